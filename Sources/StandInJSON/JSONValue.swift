/// A JSON value that keeps object keys in insertion order: the stand-ins' one JSON type.
///
/// Chatwoot's payloads are Ruby hashes serialised in insertion order, and the bot servers write their answers in
/// a fixed key order too; keeping the order lets a stand-in emit bodies that match the real server's byte for byte
/// (Chatwoot's signed example proves it) and lets tests compare key lists. Parsed without Foundation, which blurs
/// booleans with numbers (a `stream: 1` must not pass as `stream: true`).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    /// Ordered members; a later duplicate key replaces the earlier value in place (as a Ruby hash does).
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        case let (.int(a), .double(b)), let (.double(b), .int(a)): return Double(a) == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            // Object equality ignores order, as JSON semantics do.
            guard a.count == b.count else { return false }
            let bDict = Dictionary(b, uniquingKeysWith: { _, last in last })
            return a.allSatisfy { bDict[$0.0] == $0.1 }
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

extension JSONValue {
    /// An empty JSON object.
    public static let emptyObject = JSONValue.object([])

    /// The member named `key` of an object, else nil.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.0 == key })?.1
    }

    /// The element at `index` of an array, else nil.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    /// The keys of an object in order (empty for anything else).
    public var keys: [String] {
        guard case .object(let members) = self else { return [] }
        return members.map(\.0)
    }

    /// The members of an object (empty for anything else).
    public var members: [(String, JSONValue)] {
        guard case .object(let members) = self else { return [] }
        return members
    }

    /// The items of an array, else nil.
    public var arrayValue: [JSONValue]? {
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
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// True for objects.
    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    /// A copy of this object with `key` set (replaced in place when present, appended otherwise).
    public func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var members) = self else { return self }
        if let index = members.firstIndex(where: { $0.0 == key }) {
            members[index].1 = value
        } else {
            members.append((key, value))
        }
        return .object(members)
    }

    /// A copy of this object without `key`.
    public func removing(_ key: String) -> JSONValue {
        guard case .object(let members) = self else { return self }
        return .object(members.filter { $0.0 != key })
    }

    /// Ruby's `Hash#merge`: keys of `other` replace ours in place, new keys are appended.
    public func merging(_ other: JSONValue) -> JSONValue {
        var result = self
        for (key, value) in other.members { result = result.setting(key, value) }
        return result
    }

    /// The compact Rails-style serialisation (see ``JSONWriter``).
    public var compactString: String { JSONWriter.string(self) }

    /// Parses UTF-8 JSON text.
    public static func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    /// Parses UTF-8 JSON bytes.
    public static func parse(bytes: [UInt8]) throws -> JSONValue { try JSONParser.parse(bytes) }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(Int64(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
}

extension JSONValue {
    /// `.string(value)` or `.null`.
    public static func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    /// `.int(value)` or `.null`.
    public static func int(_ value: Int?) -> JSONValue { value.map { .int(Int64($0)) } ?? .null }
    /// `.int(value)`.
    public static func int(_ value: Int) -> JSONValue { .int(Int64(value)) }
}
