/// The built-in functions of the expression language.
///
/// Functions are pure: no I/O, clock, randomness or code execution. They are also total on types —
/// a wrong-typed argument gives a neutral result (text functions read `displayText`, numeric ones give
/// `null`, predicates give `false`) — so the only runtime errors are an invalid `matches` pattern and
/// the string size limit.
enum ExpressionFunction: String, CaseIterable, Sendable, Hashable {
    case lower, upper, trim, length, contains, startsWith, endsWith, matches
    case number, string
    case defaultValue = "default"
    case round, floor, ceil, join, split, isEmpty

    var arity: Int {
        switch self {
        case .lower, .upper, .trim, .length, .number, .string, .round, .floor, .ceil, .isEmpty: 1
        case .contains, .startsWith, .endsWith, .matches, .defaultValue, .join, .split: 2
        }
    }

    /// Applies the function to already evaluated arguments (`default` is handled lazily by the evaluator).
    func apply(to arguments: [JSONValue], at offset: Int) throws(ExpressionError) -> JSONValue {
        // The parser checked the arity, so these reads are in bounds.
        let first = arguments.first ?? .null
        let second = arguments.count > 1 ? arguments[1] : .null
        switch self {
        case .lower:
            return try Self.checked(first.displayText.lowercased(), at: offset)
        case .upper:
            return try Self.checked(first.displayText.uppercased(), at: offset)
        case .trim:
            return .string(Self.trimmed(first.displayText))
        case .length:
            return .number(Double(Self.length(of: first)))
        case .contains:
            return .bool(Self.contains(first, second))
        case .startsWith:
            return .bool(first.displayText.hasPrefix(second.displayText))
        case .endsWith:
            return .bool(first.displayText.hasSuffix(second.displayText))
        case .matches:
            return .bool(try Self.matches(first.displayText, pattern: second.displayText, at: offset))
        case .number:
            return Self.number(from: first)
        case .string:
            return try Self.checked(first.displayText, at: offset)
        case .defaultValue:
            return first == .null || first == .string("") ? second : first
        case .round:
            return Self.rounded(first, .toNearestOrAwayFromZero)
        case .floor:
            return Self.rounded(first, .down)
        case .ceil:
            return Self.rounded(first, .up)
        case .join:
            return try Self.join(first, separator: second.displayText, at: offset)
        case .split:
            return Self.split(first.displayText, separator: second.displayText)
        case .isEmpty:
            return .bool(!first.isTruthy)
        }
    }

    /// Wraps a produced string, enforcing the result size limit.
    static func checked(_ text: String, at offset: Int) throws(ExpressionError) -> JSONValue {
        if text.utf8.count > ExpressionEvaluator.maximumStringBytes {
            throw ExpressionError(
                message: "string result is longer than \(ExpressionEvaluator.maximumStringBytes / 1024) KiB",
                offset: offset
            )
        }
        return .string(text)
    }

    private static func trimmed(_ text: String) -> String {
        let start = text.firstIndex { !$0.isWhitespace } ?? text.endIndex
        let end = text.lastIndex { !$0.isWhitespace }.map { text.index(after: $0) } ?? start
        return String(text[start..<end])
    }

    private static func length(of value: JSONValue) -> Int {
        switch value {
        case .string(let text): text.count
        case .array(let elements): elements.count
        case .object(let members): members.count
        case .null, .bool, .number: 0
        }
    }

    private static func contains(_ haystack: JSONValue, _ needle: JSONValue) -> Bool {
        switch haystack {
        case .string(let text):
            guard case .string(let part) = needle else { return false }
            // An empty needle is found everywhere, as in `startsWith(s, "")`.
            return part.isEmpty || text.contains(part)
        case .array(let elements):
            return elements.contains(needle)
        case .null, .bool, .number, .object:
            return false
        }
    }

    private static func matches(_ text: String, pattern: String, at offset: Int) throws(ExpressionError) -> Bool {
        let regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex(pattern)
        } catch {
            throw ExpressionError(message: "invalid regular expression '\(pattern)'", offset: offset)
        }
        return text.firstMatch(of: regex) != nil
    }

    private static func number(from value: JSONValue) -> JSONValue {
        switch value {
        case .number:
            return value
        case .string(let text):
            let trimmed = trimmed(text)
            guard isDecimal(trimmed), let number = Double(trimmed), number.isFinite else { return .null }
            return .number(number)
        case .null, .bool, .array, .object:
            return .null
        }
    }

    /// Plain decimal notation only: `Double.init` alone would also accept `0x1F`, `nan` and `inf`.
    private static func isDecimal(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        func skipDigits() -> Int {
            let start = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                index += 1
            }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            index += 1
        }
        var digits = skipDigits()
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            digits += skipDigits()
        }
        guard digits > 0 else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard skipDigits() > 0 else { return false }
        }
        return index == bytes.count
    }

    private static func rounded(_ value: JSONValue, _ rule: FloatingPointRoundingRule) -> JSONValue {
        guard case .number(let number) = value else { return .null }
        return .number(number.rounded(rule))
    }

    private static func join(_ value: JSONValue, separator: String, at offset: Int) throws(ExpressionError) -> JSONValue {
        let parts: [String]
        switch value {
        case .array(let elements): parts = elements.map(\.displayText)
        case .null: parts = []
        case .bool, .number, .string, .object: parts = [value.displayText]
        }
        return try checked(parts.joined(separator: separator), at: offset)
    }

    private static func split(_ text: String, separator: String) -> JSONValue {
        // Splitting nothing gives no parts, so `isEmpty(split(x, ","))` holds for a missing or empty x.
        if text.isEmpty { return .array([]) }
        if separator.isEmpty { return .array(text.map { .string(String($0)) }) }
        let parts = text.split(separator: separator, omittingEmptySubsequences: false)
        return .array(parts.map { .string(String($0)) })
    }
}
