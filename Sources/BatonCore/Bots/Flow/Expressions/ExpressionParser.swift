/// A recursive-descent parser from tokens to an `ExpressionNode`.
///
/// Grammar, loosest first (the binary levels are parsed by precedence climbing):
/// ```
/// conditional := or ( '?' conditional ':' conditional )?
/// or          := and ( '||' and )*
/// and         := equality ( '&&' equality )*
/// equality    := comparison ( ('==' | '!=') comparison )*
/// comparison  := additive ( ('<' | '<=' | '>' | '>=') additive )*
/// additive    := multiplicative ( ('+' | '-') multiplicative )*
/// multiplicative := unary ( ('*' | '/' | '%') unary )*
/// unary       := ('!' | '-') unary | postfix
/// postfix     := primary ( '.' name | '[' conditional ']' )*
/// primary     := number | string | true | false | null | root | function '(' arguments ')'
///              | '(' conditional ')' | '[' elements ']'
/// ```
struct ExpressionParser {
    /// The longest accepted expression, in characters.
    static let maximumLength = 4096
    /// How many brackets, calls, unary operators and conditionals may enclose one another.
    static let maximumDepth = 64
    static let roots: Set<String> = ["input", "context", "profile", "session"]

    private let tokens: [ExpressionToken]
    private var position = 0
    private var depth = 0

    private init(tokens: [ExpressionToken]) {
        self.tokens = tokens
    }

    /// Parses `characters[range]`; every offset in the result and in errors indexes `characters`.
    static func parse(_ characters: [Character], range: Range<Int>) throws(ExpressionError) -> ExpressionNode {
        // Checked before lexing so that oversized input costs nothing beyond the count.
        if range.count > maximumLength {
            throw ExpressionError(
                message: "expression is longer than \(maximumLength) characters",
                offset: range.lowerBound + maximumLength
            )
        }
        var lexer = ExpressionLexer(characters: characters, range: range)
        var parser = ExpressionParser(tokens: try lexer.tokenize())
        if case .end = parser.current.kind {
            throw ExpressionError(message: "empty expression", offset: range.lowerBound)
        }
        let node = try parser.parseConditional()
        if case .end = parser.current.kind { return node }
        throw ExpressionError(
            message: "unexpected \(parser.current.quoted); expected an operator or the end of the expression",
            offset: parser.current.offset
        )
    }

    // MARK: - Token access

    private var current: ExpressionToken {
        // `tokenize` always ends with `.end` and the parser never advances past it.
        tokens[min(position, tokens.count - 1)]
    }

    private mutating func advance() {
        if position < tokens.count - 1 { position += 1 }
    }

    private func isSymbol(_ symbol: ExpressionSymbol) -> Bool {
        if case .symbol(let found) = current.kind { return found == symbol }
        return false
    }

    /// Consumes the closing bracket `symbol` or reports which opening bracket it should have closed.
    private mutating func close(_ symbol: ExpressionSymbol, opener: ExpressionSymbol, at openOffset: Int) throws(ExpressionError) {
        guard isSymbol(symbol) else {
            throw Self.unclosed(opener, expecting: symbol, openedAt: openOffset, found: current)
        }
        advance()
    }

    /// Counts one level of nesting; the cap keeps recursion far from the stack limit on any thread.
    private mutating func enter(at offset: Int) throws(ExpressionError) {
        depth += 1
        if depth > Self.maximumDepth { throw Self.tooDeep(at: offset) }
    }

    private mutating func leave() {
        depth -= 1
    }

    // MARK: - Grammar
    //
    // Every nesting level recurses through parsePrimary → (parseCall → parseList |) parseConditional →
    // parseBinary → parseUnary → parsePostfix. Error messages are built in the static helpers below
    // rather than inline, because unoptimised builds reserve frame space for every string interpolation
    // of a function, and 64 levels must fit comfortably in a 512 KiB thread stack.

    private mutating func parseConditional() throws(ExpressionError) -> ExpressionNode {
        let condition = try parseBinary(minimumLevel: 0)
        guard isSymbol(.question) else { return condition }
        let questionOffset = current.offset
        advance()
        try enter(at: questionOffset)
        let then = try parseConditional()
        guard isSymbol(.colon) else { throw Self.missingColon(questionAt: questionOffset, found: current) }
        advance()
        let otherwise = try parseConditional()
        leave()
        return .conditional(condition: condition, then: then, otherwise: otherwise)
    }

    /// Binary operators by precedence climbing: one function for all levels instead of one per level
    /// keeps the stack cost of each nesting level small. Consecutive operators of one level are
    /// collected into one flat chain.
    private mutating func parseBinary(minimumLevel: Int) throws(ExpressionError) -> ExpressionNode {
        var left = try parseUnary()
        while let level = currentInfix()?.level, level >= minimumLevel {
            let first = left
            var operands: [ExpressionNode] = []
            var operations: [BinaryOperation] = []
            var logical: LogicalOperator?
            while let (infix, found) = currentInfix(), found == level {
                let offset = current.offset
                advance()
                // The right operand takes only tighter operators, so this recursion is bounded by the level count.
                let operand = try parseBinary(minimumLevel: level + 1)
                switch infix {
                case .logical(let op):
                    logical = op
                    operands.append(operand)
                case .binary(let op):
                    operations.append(BinaryOperation(op: op, operand: operand, offset: offset))
                }
            }
            if let logical {
                left = .logical(logical, operands: [first] + operands)
            } else {
                left = .binary(first: first, rest: operations)
            }
        }
        return left
    }

    private enum Infix {
        case logical(LogicalOperator)
        case binary(BinaryOperator)
    }

    /// The infix operator at the current token and its precedence level: 0 `||`, 1 `&&`, then `BinaryOperator.levels`.
    private func currentInfix() -> (infix: Infix, level: Int)? {
        guard case .symbol(let symbol) = current.kind else { return nil }
        switch symbol {
        case .or: return (.logical(.or), 0)
        case .and: return (.logical(.and), 1)
        default:
            guard let op = BinaryOperator(symbol: symbol),
                let index = BinaryOperator.levels.firstIndex(where: { $0.contains(op) })
            else { return nil }
            return (.binary(op), index + 2)
        }
    }

    private mutating func parseUnary() throws(ExpressionError) -> ExpressionNode {
        let op: UnaryOperator
        if isSymbol(.bang) {
            op = .not
        } else if isSymbol(.minus) {
            op = .negate
        } else {
            return try parsePostfix()
        }
        let offset = current.offset
        advance()
        try enter(at: offset)
        let operand = try parseUnary()
        leave()
        return .unary(op, operand: operand, offset: offset)
    }

    private mutating func parsePostfix() throws(ExpressionError) -> ExpressionNode {
        let base = try parsePrimary()
        var accessors: [ExpressionAccessor] = []
        while true {
            if isSymbol(.dot) {
                advance()
                // Keywords are fine as member names: `context.null` reads the key "null".
                guard case .identifier(let name) = current.kind else { throw Self.missingMemberName(found: current) }
                advance()
                accessors.append(.member(name))
            } else if isSymbol(.leftBracket) {
                let openOffset = current.offset
                advance()
                try enter(at: openOffset)
                let index = try parseConditional()
                try close(.rightBracket, opener: .leftBracket, at: openOffset)
                leave()
                accessors.append(.index(index, offset: openOffset))
            } else {
                break
            }
        }
        return accessors.isEmpty ? base : .path(base: base, accessors: accessors)
    }

    private mutating func parsePrimary() throws(ExpressionError) -> ExpressionNode {
        let token = current
        advance()
        switch token.kind {
        case .number(let value):
            return .literal(.number(value))
        case .string(let value):
            return .literal(.string(value))
        case .identifier(let name):
            if let keyword = Self.keywords[name] { return .literal(keyword) }
            if isSymbol(.leftParen) { return try parseCall(name, at: token.offset) }
            if Self.roots.contains(name) { return .root(name) }
            throw Self.unknownName(name, at: token.offset)
        case .symbol(.leftParen):
            try enter(at: token.offset)
            let inner = try parseConditional()
            try close(.rightParen, opener: .leftParen, at: token.offset)
            leave()
            return inner
        case .symbol(.leftBracket):
            try enter(at: token.offset)
            let elements = try parseList(closing: .rightBracket, opener: .leftBracket, at: token.offset)
            leave()
            return .array(elements)
        case .symbol, .end:
            throw Self.expectedExpression(found: token)
        }
    }

    private mutating func parseCall(_ name: String, at offset: Int) throws(ExpressionError) -> ExpressionNode {
        guard let function = ExpressionFunction(rawValue: name) else { throw Self.unknownFunction(name, at: offset) }
        let openOffset = current.offset
        advance()
        try enter(at: openOffset)
        let arguments = try parseList(closing: .rightParen, opener: .leftParen, at: openOffset)
        leave()
        guard arguments.count == function.arity else {
            throw Self.wrongArity(function, got: arguments.count, at: offset)
        }
        return .call(function, arguments: arguments, offset: offset)
    }

    /// Comma-separated expressions up to and including the closing bracket (already past the opener).
    private mutating func parseList(
        closing: ExpressionSymbol,
        opener: ExpressionSymbol,
        at openOffset: Int
    ) throws(ExpressionError) -> [ExpressionNode] {
        var elements: [ExpressionNode] = []
        if isSymbol(closing) {
            advance()
            return elements
        }
        while true {
            elements.append(try parseConditional())
            if isSymbol(.comma) {
                advance()
                continue
            }
            try close(closing, opener: opener, at: openOffset)
            return elements
        }
    }

    // MARK: - Errors

    private static let keywords: [String: JSONValue] = ["true": .bool(true), "false": .bool(false), "null": .null]

    private static func unclosed(
        _ opener: ExpressionSymbol,
        expecting closer: ExpressionSymbol,
        openedAt openOffset: Int,
        found: ExpressionToken
    ) -> ExpressionError {
        ExpressionError(
            message: "expected '\(closer.rawValue)' to close '\(opener.rawValue)' opened at column \(openOffset + 1), found \(found.quoted)",
            offset: found.offset
        )
    }

    private static func tooDeep(at offset: Int) -> ExpressionError {
        ExpressionError(message: "expression is nested more than \(maximumDepth) levels deep", offset: offset)
    }

    private static func missingColon(questionAt questionOffset: Int, found: ExpressionToken) -> ExpressionError {
        ExpressionError(
            message: "expected ':' after the '?' at column \(questionOffset + 1), found \(found.quoted)",
            offset: found.offset
        )
    }

    private static func missingMemberName(found: ExpressionToken) -> ExpressionError {
        ExpressionError(message: "expected a member name after '.', found \(found.quoted)", offset: found.offset)
    }

    private static func expectedExpression(found: ExpressionToken) -> ExpressionError {
        ExpressionError(message: "expected an expression, found \(found.quoted)", offset: found.offset)
    }

    private static func unknownName(_ name: String, at offset: Int) -> ExpressionError {
        if ExpressionFunction(rawValue: name) != nil {
            return ExpressionError(message: "'\(name)' is a function; call it as \(name)(…)", offset: offset)
        }
        return ExpressionError(message: "unknown name '\(name)'; use input, context, profile or session", offset: offset)
    }

    private static func unknownFunction(_ name: String, at offset: Int) -> ExpressionError {
        let known = ExpressionFunction.allCases.map(\.rawValue).sorted().joined(separator: ", ")
        return ExpressionError(message: "unknown function '\(name)'; known functions: \(known)", offset: offset)
    }

    private static func wrongArity(_ function: ExpressionFunction, got count: Int, at offset: Int) -> ExpressionError {
        let expected = function.arity == 1 ? "1 argument" : "\(function.arity) arguments"
        return ExpressionError(message: "\(function.rawValue) expects \(expected), got \(count)", offset: offset)
    }
}
