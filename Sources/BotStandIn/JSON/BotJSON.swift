/// A JSON value that keeps object keys in the order they were written.
///
/// The stand-ins build their answers in the key order the real servers use (so a recorded answer reads like the
/// contract's examples) and parse requests without Foundation, which blurs booleans with numbers — a `stream: 1`
/// must not pass as `stream: true`.
public enum BotJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([BotJSON])
    /// Ordered members; a later duplicate key replaces the earlier value in place.
    case object([(String, BotJSON)])

    public static func == (lhs: BotJSON, rhs: BotJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        case let (.int(a), .double(b)), let (.double(b), .int(a)): return Double(a) == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            // Key order does not matter for equality, as in JSON itself.
            guard a.count == b.count else { return false }
            let other = Dictionary(b, uniquingKeysWith: { _, last in last })
            return a.allSatisfy { other[$0.0] == $0.1 }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .int(let i): hasher.combine(Double(i))
        case .double(let d): hasher.combine(d)
        case .string(let s): hasher.combine(s)
        case .array(let a): hasher.combine(a)
        case .object(let o): hasher.combine(o.count)
        }
    }
}

extension BotJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(Int64(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: BotJSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, BotJSON)...) { self = .object(elements) }
}

extension BotJSON {
    /// The member named `key` of an object, else nil.
    public subscript(key: String) -> BotJSON? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.0 == key })?.1
    }

    /// The element at `index` of an array, else nil.
    public subscript(index: Int) -> BotJSON? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    /// The keys of an object in order (empty for anything else).
    public var keys: [String] {
        guard case .object(let members) = self else { return [] }
        return members.map(\.0)
    }

    /// The items of an array, else nil.
    public var arrayValue: [BotJSON]? {
        guard case .array(let items) = self else { return nil }
        return items
    }

    /// The string, else nil.
    public var stringValue: String? {
        guard case .string(let s) = self else { return nil }
        return s
    }

    /// The number as an Int when it is integral, else nil.
    public var intValue: Int? {
        switch self {
        case .int(let i): return Int(exactly: i)
        case .double(let d): return d.rounded() == d ? Int(exactly: d) : nil
        default: return nil
        }
    }

    /// The number as a Double, else nil.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The boolean, else nil.
    public var boolValue: Bool? {
        guard case .bool(let b) = self else { return nil }
        return b
    }

    /// True for `.null`.
    public var isNull: Bool { self == .null }

    /// True for objects.
    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    /// A copy of this object with `key` set (replaced in place when present, appended otherwise).
    public func setting(_ key: String, _ value: BotJSON) -> BotJSON {
        guard case .object(var members) = self else { return self }
        if let index = members.firstIndex(where: { $0.0 == key }) {
            members[index].1 = value
        } else {
            members.append((key, value))
        }
        return .object(members)
    }

    /// Compact JSON text (no spaces, non-ASCII characters left as they are).
    public var compactText: String { BotJSONWriter.string(self, style: .compact) }

    /// Parses UTF-8 JSON text (strict: one value, surrounding whitespace only).
    public static func parse(_ text: String) throws -> BotJSON { try BotJSONParser.parse(Array(text.utf8)) }

    /// Parses UTF-8 JSON bytes (strict: one value, surrounding whitespace only).
    public static func parse(bytes: [UInt8]) throws -> BotJSON { try BotJSONParser.parse(bytes) }
}
