/// A parsed expression, e.g. `context.age >= 18 && profile.tier == "gold"`.
///
/// Expressions read a scope object whose members are the roots `input`, `context`, `profile` and
/// `session`; any other bare name is rejected when parsing. Evaluation is pure and deterministic.
/// Two expressions are equal when their source texts are equal.
public struct Expression: Sendable, Hashable {
    /// The text the expression was parsed from.
    public let source: String
    let root: ExpressionNode

    /// Parses `source`, reporting the first syntax error, unknown name or function, wrong arity,
    /// excessive length (over 4,096 characters) or nesting (over 64 levels) with its character offset.
    public init(parsing source: String) throws(ExpressionError) {
        let characters = Array(source)
        self.root = try ExpressionParser.parse(characters, range: 0..<characters.count)
        self.source = source
    }

    /// Evaluates against a scope object whose members are the roots: `input`, `context`, `profile`, `session`.
    ///
    /// Missing members and out-of-range indexes give `null`; type errors, division by zero and oversized
    /// strings throw an error located at the offending operator or function in `source`.
    public func evaluate(in scope: JSONValue) throws(ExpressionError) -> JSONValue {
        try ExpressionEvaluator(scope: scope).evaluate(root)
    }

    /// The scope roots this expression reads, e.g. `["context", "profile"]` for
    /// `context.age >= 18 && profile.tier == "gold"`, for diagnostics.
    public var referencedRoots: Set<String> {
        root.referencedRoots
    }

    public static func == (lhs: Expression, rhs: Expression) -> Bool {
        lhs.source == rhs.source
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
    }
}
