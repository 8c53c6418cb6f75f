/// A recursive-descent parser from tokens to an `ExpressionNode`.
///
/// Grammar, loosest first:
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
            throw ExpressionError(
                message: "expected '\(symbol.rawValue)' to close '\(opener.rawValue)' opened at column \(openOffset + 1), found \(current.quoted)",
                offset: current.offset
            )
        }
        advance()
    }

    /// Counts one level of nesting; the cap keeps recursion far from the stack limit on any thread.
    private mutating func enter(at offset: Int) throws(ExpressionError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw ExpressionError(
                message: "expression is nested more than \(Self.maximumDepth) levels deep",
                offset: offset
            )
        }
    }

    private mutating func leave() {
        depth -= 1
    }

    // MARK: - Grammar

    private mutating func parseConditional() throws(ExpressionError) -> ExpressionNode {
        let condition = try parseLogical(.or)
        guard isSymbol(.question) else { return condition }
        let questionOffset = current.offset
        advance()
        try enter(at: questionOffset)
        let then = try parseConditional()
        guard isSymbol(.colon) else {
            throw ExpressionError(
                message: "expected ':' after the '?' at column \(questionOffset + 1), found \(current.quoted)",
                offset: current.offset
            )
        }
        advance()
        let otherwise = try parseConditional()
        leave()
        return .conditional(condition: condition, then: then, otherwise: otherwise)
    }

    private mutating func parseLogical(_ op: LogicalOperator) throws(ExpressionError) -> ExpressionNode {
        let symbol: ExpressionSymbol = op == .or ? .or : .and
        var operands = [try parseOperand(of: op)]
        while isSymbol(symbol) {
            advance()
            operands.append(try parseOperand(of: op))
        }
        return operands.count == 1 ? operands[0] : .logical(op, operands: operands)
    }

    private mutating func parseOperand(of op: LogicalOperator) throws(ExpressionError) -> ExpressionNode {
        op == .or ? try parseLogical(.and) : try parseBinary(level: 0)
    }

    private mutating func parseBinary(level: Int) throws(ExpressionError) -> ExpressionNode {
        guard level < BinaryOperator.levels.count else { return try parseUnary() }
        let first = try parseBinary(level: level + 1)
        var rest: [BinaryOperation] = []
        while case .symbol(let symbol) = current.kind,
            let op = BinaryOperator(symbol: symbol),
            BinaryOperator.levels[level].contains(op)
        {
            let offset = current.offset
            advance()
            rest.append(BinaryOperation(op: op, operand: try parseBinary(level: level + 1), offset: offset))
        }
        return rest.isEmpty ? first : .binary(first: first, rest: rest)
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
                guard case .identifier(let name) = current.kind else {
                    throw ExpressionError(
                        message: "expected a member name after '.', found \(current.quoted)",
                        offset: current.offset
                    )
                }
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
        switch token.kind {
        case .number(let value):
            advance()
            return .literal(.number(value))
        case .string(let value):
            advance()
            return .literal(.string(value))
        case .identifier(let name):
            advance()
            return try parseName(name, at: token.offset)
        case .symbol(.leftParen):
            advance()
            try enter(at: token.offset)
            let inner = try parseConditional()
            try close(.rightParen, opener: .leftParen, at: token.offset)
            leave()
            return inner
        case .symbol(.leftBracket):
            advance()
            try enter(at: token.offset)
            let elements = try parseList(closing: .rightBracket, opener: .leftBracket, at: token.offset)
            leave()
            return .array(elements)
        case .symbol, .end:
            throw ExpressionError(message: "expected an expression, found \(token.quoted)", offset: token.offset)
        }
    }

    private mutating func parseName(_ name: String, at offset: Int) throws(ExpressionError) -> ExpressionNode {
        switch name {
        case "true": return .literal(.bool(true))
        case "false": return .literal(.bool(false))
        case "null": return .literal(.null)
        default: break
        }
        if isSymbol(.leftParen) {
            return try parseCall(name, at: offset)
        }
        if Self.roots.contains(name) {
            return .root(name)
        }
        if ExpressionFunction(rawValue: name) != nil {
            throw ExpressionError(message: "'\(name)' is a function; call it as \(name)(…)", offset: offset)
        }
        throw ExpressionError(
            message: "unknown name '\(name)'; use input, context, profile or session",
            offset: offset
        )
    }

    private mutating func parseCall(_ name: String, at offset: Int) throws(ExpressionError) -> ExpressionNode {
        guard let function = ExpressionFunction(rawValue: name) else {
            let known = ExpressionFunction.allCases.map(\.rawValue).sorted().joined(separator: ", ")
            throw ExpressionError(message: "unknown function '\(name)'; known functions: \(known)", offset: offset)
        }
        let openOffset = current.offset
        advance()
        try enter(at: openOffset)
        let arguments = try parseList(closing: .rightParen, opener: .leftParen, at: openOffset)
        leave()
        if arguments.count != function.arity {
            let expected = function.arity == 1 ? "1 argument" : "\(function.arity) arguments"
            throw ExpressionError(
                message: "\(name) expects \(expected), got \(arguments.count)",
                offset: offset
            )
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
}
