/// A punctuation or operator token of the expression language.
enum ExpressionSymbol: String, Sendable, Hashable {
    case dot = "."
    case comma = ","
    case leftParen = "("
    case rightParen = ")"
    case leftBracket = "["
    case rightBracket = "]"
    case question = "?"
    case colon = ":"
    case plus = "+"
    case minus = "-"
    case star = "*"
    case slash = "/"
    case percent = "%"
    case bang = "!"
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessEqual = "<="
    case greater = ">"
    case greaterEqual = ">="
    case and = "&&"
    case or = "||"
}

/// One lexical token, located by the character offset of its first character.
struct ExpressionToken: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case number(Double)
        case string(String)
        case identifier(String)
        case symbol(ExpressionSymbol)
        case end
    }

    let kind: Kind
    let offset: Int

    /// How the token reads in an error message.
    var quoted: String {
        switch kind {
        case .number(let value): "number \(JSONValue.format(value))"
        case .string(let value): "string \"\(value)\""
        case .identifier(let name): "'\(name)'"
        case .symbol(let symbol): "'\(symbol.rawValue)'"
        case .end: "the end of the expression"
        }
    }
}

/// Splits expression text into tokens.
///
/// The lexer works on an array of `Character`s and a range inside it, so that a template can lex
/// a hole in place and every offset stays relative to the whole template text.
struct ExpressionLexer {
    private let characters: [Character]
    private let end: Int
    private var position: Int

    private static let escapes: [Character: Character] = [
        "\\": "\\", "'": "'", "\"": "\"", "n": "\n", "t": "\t",
    ]

    init(characters: [Character], range: Range<Int>) {
        self.characters = characters
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    /// All tokens of the range, always terminated by an `.end` token located at the range's end.
    mutating func tokenize() throws(ExpressionError) -> [ExpressionToken] {
        var tokens: [ExpressionToken] = []
        while let token = try next() {
            tokens.append(token)
        }
        tokens.append(ExpressionToken(kind: .end, offset: end))
        return tokens
    }

    private func peek(_ ahead: Int = 0) -> Character? {
        let index = position + ahead
        return index < end ? characters[index] : nil
    }

    private mutating func next() throws(ExpressionError) -> ExpressionToken? {
        while let character = peek(), character.isWhitespace {
            position += 1
        }
        guard let character = peek() else { return nil }
        let start = position
        if Self.isDigit(character) { return try number() }
        if Self.isIdentifierStart(character) { return identifier() }
        if character == "'" || character == "\"" { return try string(quote: character) }
        return try symbol(character, at: start)
    }

    private mutating func number() throws(ExpressionError) -> ExpressionToken {
        let start = position
        while let character = peek(), Self.isDigit(character) { position += 1 }
        // A dot only belongs to the number when a digit follows, so `1.5` is a number but `a[0].b` is not misread.
        if peek() == ".", let after = peek(1), Self.isDigit(after) {
            position += 1
            while let character = peek(), Self.isDigit(character) { position += 1 }
        }
        let text = String(characters[start..<position])
        guard let value = Double(text), value.isFinite else {
            throw ExpressionError(message: "number \(text) is too large", offset: start)
        }
        return ExpressionToken(kind: .number(value), offset: start)
    }

    private mutating func identifier() -> ExpressionToken {
        let start = position
        while let character = peek(), Self.isIdentifierPart(character) { position += 1 }
        return ExpressionToken(kind: .identifier(String(characters[start..<position])), offset: start)
    }

    private mutating func string(quote: Character) throws(ExpressionError) -> ExpressionToken {
        let start = position
        position += 1
        var value = ""
        while let character = peek() {
            if character == quote {
                position += 1
                return ExpressionToken(kind: .string(value), offset: start)
            }
            if character == "\\" {
                guard let escaped = peek(1) else { break }
                guard let replacement = Self.escapes[escaped] else {
                    throw ExpressionError(
                        message: "unknown escape '\\\(escaped)' in string; use \\\\, \\', \\\", \\n or \\t",
                        offset: position
                    )
                }
                value.append(replacement)
                position += 2
            } else {
                value.append(character)
                position += 1
            }
        }
        throw ExpressionError(message: "unterminated string; add a closing \(quote)", offset: start)
    }

    private mutating func symbol(_ character: Character, at start: Int) throws(ExpressionError) -> ExpressionToken {
        let next = peek(1)
        let symbol: ExpressionSymbol
        var length = 1
        switch character {
        case ".": symbol = .dot
        case ",": symbol = .comma
        case "(": symbol = .leftParen
        case ")": symbol = .rightParen
        case "[": symbol = .leftBracket
        case "]": symbol = .rightBracket
        case "?": symbol = .question
        case ":": symbol = .colon
        case "+": symbol = .plus
        case "-": symbol = .minus
        case "*": symbol = .star
        case "/": symbol = .slash
        case "%": symbol = .percent
        case "!" where next == "=": symbol = .notEqual; length = 2
        case "!": symbol = .bang
        case "<" where next == "=": symbol = .lessEqual; length = 2
        case "<": symbol = .less
        case ">" where next == "=": symbol = .greaterEqual; length = 2
        case ">": symbol = .greater
        case "=" where next == "=": symbol = .equal; length = 2
        case "=":
            throw ExpressionError(message: "unexpected '='; use '==' to compare", offset: start)
        case "&" where next == "&": symbol = .and; length = 2
        case "&":
            throw ExpressionError(message: "unexpected '&'; use '&&' for logical and", offset: start)
        case "|" where next == "|": symbol = .or; length = 2
        case "|":
            throw ExpressionError(message: "unexpected '|'; use '||' for logical or", offset: start)
        default:
            throw ExpressionError(message: "unexpected character '\(character)'", offset: start)
        }
        position += length
        return ExpressionToken(kind: .symbol(symbol), offset: start)
    }

    // ASCII only: `Character` classification would accept e.g. Arabic-Indic digits that `Double` cannot parse.
    private static func isDigit(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else { return false }
        return ascii >= 0x30 && ascii <= 0x39
    }

    private static func isIdentifierStart(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else { return false }
        return (ascii >= 0x41 && ascii <= 0x5A) || (ascii >= 0x61 && ascii <= 0x7A) || ascii == 0x5F
    }

    private static func isIdentifierPart(_ character: Character) -> Bool {
        isIdentifierStart(character) || isDigit(character)
    }
}
