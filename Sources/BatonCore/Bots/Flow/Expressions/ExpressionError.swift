/// A parse or evaluation error of an expression or template, located in the text it came from.
public struct ExpressionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A human-readable explanation, e.g. `expected ')' to close '(' opened at column 5`.
    public var message: String
    /// The 0-based character offset in the original text passed to `Expression(parsing:)` or
    /// `Template(parsing:)`; for a template hole this counts from the start of the whole template.
    public var offset: Int

    /// Creates an error with `message` located at the 0-based character `offset`.
    public init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    /// `column N: message`, with the 1-based column editors and config diagnostics show.
    public var description: String { "column \(offset + 1): \(message)" }
}
