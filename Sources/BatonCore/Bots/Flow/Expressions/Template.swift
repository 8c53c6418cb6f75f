/// Text with `{{ expression }}` holes, e.g. `"Hello {{ profile.name }}!"`.
///
/// A hole ends at the first `}}` outside a string literal; `\{{` writes a literal `{{`.
/// Error offsets count characters from the start of the whole template text.
/// Two templates are equal when their source texts are equal.
public struct Template: Sendable, Hashable {
    /// The text the template was parsed from.
    public let source: String
    private let parts: [Part]

    private enum Part: Sendable, Hashable {
        case text(String)
        /// `offset` is that of the hole's `{{`.
        case hole(ExpressionNode, offset: Int)
    }

    /// Parses `text`, reporting unclosed or empty holes and errors in hole expressions.
    public init(parsing text: String) throws(ExpressionError) {
        self.source = text
        self.parts = try Self.parts(of: Array(text))
    }

    /// True when the text has no `{{ }}` holes.
    public var isLiteral: Bool {
        !parts.contains { if case .hole = $0 { true } else { false } }
    }

    /// Renders every hole with `JSONValue.displayText` and concatenates.
    ///
    /// Throws the first evaluation error of a hole, or an error at a hole when the text grows beyond 64 KiB there.
    public func render(in scope: JSONValue) throws(ExpressionError) -> String {
        let evaluator = ExpressionEvaluator(scope: scope)
        var output = ""
        var outputBytes = 0
        for part in parts {
            switch part {
            case .text(let text):
                output += text
                outputBytes += text.utf8.count
            case .hole(let node, let offset):
                let text = try evaluator.evaluate(node).displayText
                outputBytes += text.utf8.count
                if outputBytes > ExpressionEvaluator.maximumStringBytes {
                    throw ExpressionError(
                        message: "rendered text is longer than \(ExpressionEvaluator.maximumStringBytes / 1024) KiB",
                        offset: offset
                    )
                }
                output += text
            }
        }
        return output
    }

    /// When the whole text is exactly one hole (surrounding whitespace allowed) returns that value with its
    /// type (so `"{{ context.age }}"` gives `.number`); otherwise `.string(render(...))`.
    /// A literal text gives `.string` of the text, with `\{{` escapes resolved.
    public func evaluate(in scope: JSONValue) throws(ExpressionError) -> JSONValue {
        var single: ExpressionNode?
        for part in parts {
            switch part {
            case .text(let text) where text.allSatisfy(\.isWhitespace):
                continue
            case .hole(let node, _) where single == nil:
                single = node
                continue
            case .text, .hole:
                return .string(try render(in: scope))
            }
        }
        guard let single else { return .string(try render(in: scope)) }
        return try ExpressionEvaluator(scope: scope).evaluate(single)
    }

    public static func == (lhs: Template, rhs: Template) -> Bool {
        lhs.source == rhs.source
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
    }

    // MARK: - Parsing

    private static func parts(of characters: [Character]) throws(ExpressionError) -> [Part] {
        var parts: [Part] = []
        var literal = ""
        var index = 0
        func isOpening(at position: Int) -> Bool {
            position + 1 < characters.count && characters[position] == "{" && characters[position + 1] == "{"
        }
        while index < characters.count {
            if characters[index] == "\\", isOpening(at: index + 1) {
                literal += "{{"
                index += 3
            } else if isOpening(at: index) {
                let closing = try closingBraces(in: characters, holeAt: index)
                if !literal.isEmpty {
                    parts.append(.text(literal))
                    literal = ""
                }
                let inner = (index + 2)..<closing
                if characters[inner].allSatisfy(\.isWhitespace) {
                    throw ExpressionError(message: "empty '{{ }}' hole; put an expression inside", offset: index)
                }
                parts.append(.hole(try ExpressionParser.parse(characters, range: inner), offset: index))
                index = closing + 2
            } else {
                literal.append(characters[index])
                index += 1
            }
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        return parts
    }

    /// The offset of the `}}` closing the hole opened at `start`, skipping `}}` inside string literals.
    private static func closingBraces(in characters: [Character], holeAt start: Int) throws(ExpressionError) -> Int {
        var quote: Character?
        var index = start + 2
        while index < characters.count {
            let character = characters[index]
            if let open = quote {
                if character == "\\" {
                    index += 1  // the escaped character cannot end the string
                } else if character == open {
                    quote = nil
                }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "}", index + 1 < characters.count, characters[index + 1] == "}" {
                return index
            }
            index += 1
        }
        throw ExpressionError(message: "unclosed '{{'; add '}}' to end the expression", offset: start)
    }
}
