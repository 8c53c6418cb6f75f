/// Why a text is not JSON, with the byte offset where the parser gave up.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "\(reason) at byte \(offset)" }
}

extension JSONValue {
    /// Parses RFC 8259 JSON straight into a `JSONValue`.
    ///
    /// `JSONDecoder` can only reach `JSONValue` through `Codable`, which tries each kind of value in turn and
    /// throws (building a coding path) for each miss: for a Chatwoot webhook that was a third of Baton's time per
    /// relayed message. This reads each value once. It is strict (invalid UTF-8, control characters in strings,
    /// trailing commas, leading zeros and trailing bytes are errors) and nests at most `maxDepth` deep, so hostile
    /// input gets an error, never a crash.
    public static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int = 512) throws(JSONParseError) -> JSONValue {
        let buffer = Array(bytes)
        var parser = JSONByteParser(bytes: buffer, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == buffer.count else { throw parser.error("unexpected bytes after the value") }
        return value
    }
}

/// The parser behind ``JSONValue/parse(_:maxDepth:)`` and ``JSONObjectView``: a cursor over the bytes.
struct JSONByteParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var index = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func error(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
    }

    /// The value at the cursor.
    mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected character")
        }
    }

    /// Checks the value at the cursor and moves past it without building it: containers and strings, the parts
    /// that cost allocations, are walked; a literal or a number is parsed as usual (its checks are the same).
    mutating func skipValue(depth: Int) throws(JSONParseError) {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): try memberNames(depth: depth + 1) { parser, _ throws(JSONParseError) in try parser.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["): try elements(depth: depth + 1) { parser throws(JSONParseError) in try parser.skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""): try skipString()
        default: _ = try value(depth: depth)
        }
    }

    mutating func literal(_ word: String) throws(JSONParseError) {
        for expected in word.utf8 {
            guard index < bytes.count, bytes[index] == expected else { throw error("invalid literal") }
            index += 1
        }
    }

    mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
        // Collected in order, then hashed once into a dictionary of the right size: growing a dictionary member by
        // member rehashed Chatwoot's objects of tens of members four times or more, and reserving room up front
        // made every small object kept in memory (a session's context) larger.
        var collected: [(String, JSONValue)] = []
        try memberNames(depth: depth) { parser, name throws(JSONParseError) in collected.append((parser.name(name), try parser.value(depth: depth))) }
        // A repeated name keeps its last value, as before.
        return .object(Dictionary(collected, uniquingKeysWith: { _, last in last }))
    }

    mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
        var collected: [JSONValue] = []
        try elements(depth: depth) { parser throws(JSONParseError) in collected.append(try parser.value(depth: depth)) }
        return .array(collected)
    }

    /// Where a member's name lies in the text, between its quotes, and whether those bytes are the name as they stand
    /// (no escapes in them): checked, not made (``name(_:)`` makes it).
    typealias NameSpan = (bytes: Range<Int>, plain: Bool)

    /// Reads an object's `{`, names, `:`, `,` and `}`, calling `member` with each name's span and the cursor at its
    /// value, which it must read or skip. Building, skipping and indexing share this, so all accept exactly the same
    /// texts.
    mutating func memberNames(depth: Int, _ member: (inout JSONByteParser, _ name: NameSpan) throws(JSONParseError) -> Void) throws(JSONParseError) {
        guard depth <= maxDepth else { throw error("nested deeper than \(maxDepth)") }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let nameStart = index + 1
            let plain = try skipString()
            let name = (bytes: nameStart..<(index - 1), plain: plain)
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            try member(&self, name)
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return
            } else {
                throw error("expected ',' or '}'")
            }
        }
    }

    /// Reads an array's `[`, `,` and `]`, calling `element` with the cursor at each element (see ``members``).
    mutating func elements(depth: Int, _ element: (inout JSONByteParser) throws(JSONParseError) -> Void) throws(JSONParseError) {
        guard depth <= maxDepth else { throw error("nested deeper than \(maxDepth)") }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return
            } else {
                throw error("expected ',' or ']'")
            }
        }
    }

    /// The text of `bytes` when they are valid UTF-8. `UTF8Span` validates in one specialized pass; the generic
    /// `String(validating:as:)` looked up type metadata at run time on every call, 2 % of Baton's time relaying a
    /// webhook (every string of the body goes through here).
    static func validUTF8(_ bytes: Span<UInt8>) -> String? {
        guard let span = try? UTF8Span(validating: bytes) else { return nil }
        return String(copying: span)
    }

    mutating func string() throws(JSONParseError) -> String {
        index += 1
        let start = index
        // The common case, no escapes: one validated slice.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                guard let text = Self.validUTF8(bytes.span.extracting(start..<index)) else { throw error("invalid UTF-8 in a string") }
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw error("control character in a string") }
            index += 1
        }
        var scalars = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = Self.validUTF8(scalars.span) else { throw error("invalid UTF-8 in a string") }
                index += 1
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw error("unexpected end of input") }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escaped)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"): scalars.append(contentsOf: try unicodeEscape().utf8)
                default: throw error("invalid escape")
                }
            default:
                guard byte >= 0x20 else { throw error("control character in a string") }
                scalars.append(byte)
                index += 1
            }
        }
        throw error("unterminated string")
    }

    /// Checks a string without making it: its bytes are validated in place; one with an escape, rare in what is
    /// skipped, is read as usual (the escapes' rules are there). Returns whether the string had no escape, so that
    /// its bytes between the quotes are its text.
    @discardableResult
    mutating func skipString() throws(JSONParseError) -> Bool {
        let start = index
        index += 1
        let first = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                guard (try? UTF8Span(validating: bytes.span.extracting(first..<index))) != nil else { throw error("invalid UTF-8 in a string") }
                index += 1
                return true
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw error("control character in a string") }
            index += 1
        }
        index = start
        _ = try string()
        return false
    }

    /// The text of a name ``memberNames(depth:_:)`` found (checked then, so this cannot fail).
    func name(_ name: NameSpan) -> String {
        if name.plain { return String(decoding: bytes[name.bytes], as: UTF8.self) }
        var reader = JSONByteParser(bytes: bytes, maxDepth: maxDepth)
        reader.index = name.bytes.lowerBound - 1
        guard let text = try? reader.string() else { preconditionFailure("a checked name failed to parse") }
        return text
    }

    /// Whether a name ``memberNames(depth:_:)`` found is `text`, compared in place when it has no escape.
    func name(_ name: NameSpan, is text: String) -> Bool {
        guard name.plain else { return self.name(name) == text }
        var text = text
        return text.withUTF8 { wanted in
            guard wanted.count == name.bytes.count else { return false }
            var offset = name.bytes.lowerBound
            for byte in wanted {
                guard bytes[offset] == byte else { return false }
                offset += 1
            }
            return true
        }
    }

    /// After `\u`: four hex digits, or a surrogate pair of two escapes. A lone surrogate becomes U+FFFD, as
    /// Foundation's decoder does.
    mutating func unicodeEscape() throws(JSONParseError) -> String {
        let first = try hex4()
        if (0xD800...0xDBFF).contains(first) {
            if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                index += 2
                let second = try hex4()
                if (0xDC00...0xDFFF).contains(second), let scalar = Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)) {
                    return String(Character(scalar))
                }
                return "\u{FFFD}" + (Unicode.Scalar(second).map { String(Character($0)) } ?? "\u{FFFD}")
            }
            return "\u{FFFD}"
        }
        return Unicode.Scalar(first).map { String(Character($0)) } ?? "\u{FFFD}"
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("unexpected end of input") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func number() throws(JSONParseError) -> Double {
        let start = index
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
        let digits = index
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw error("leading zero in a number") }
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        // An integer (ids, counts, times in seconds), the most common number by far, of up to 15 digits is exact in
        // a Double: read here, without making a string for `Double(_:)` to parse.
        let integral = index == bytes.count || (bytes[index] != UInt8(ascii: ".") && bytes[index] | 0x20 != UInt8(ascii: "e"))
        if integral, index - digits <= 15 {
            var value: Int64 = 0
            for position in digits..<index { value = value * 10 + Int64(bytes[position] &- UInt8(ascii: "0")) }
            // `-0` stays the negative zero `Double("-0")` gives.
            return negative ? -Double(value) : Double(value)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        // The grammar was checked above, so only range remains: Double gives ±infinity for huge numbers.
        guard let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)), value.isFinite else { throw error("number out of range") }
        return value
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
