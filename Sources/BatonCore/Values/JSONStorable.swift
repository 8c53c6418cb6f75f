import Foundation

/// A value the stores keep as JSON text, converted by hand instead of through `Codable`.
///
/// Every turn writes its session's state and every message its content; through `JSONEncoder`/`JSONDecoder` that
/// was the largest single cost of relaying an agent's reply. The JSON has exactly the shape the synthesized
/// `Codable` conformance gives (rows written before still read, and `JSONDecoder` still reads rows written now),
/// which `JSONStorableTests` checks both ways, with keys sorted as ``JSONValue/jsonText`` sorts them.
public protocol JSONStorable {
    /// Writes the value as JSON, shaped as its `Codable` conformance encodes it.
    func write(to writer: inout JSONTextWriter)
    /// Reads what `write(to:)` (or `JSONEncoder`) wrote.
    init(storageJSON: JSONValue) throws(JSONShapeError)
}

extension JSONStorable {
    /// The stored text.
    public var storageText: String {
        var writer = JSONTextWriter()
        write(to: &writer)
        return writer.text
    }

    /// Reads stored text.
    public init(storageText: String) throws {
        try self.init(storageJSON: JSONValue.parse(storageText.utf8))
    }
}

/// Stored JSON that does not have the shape of the type read from it.
public struct JSONShapeError: Error, Sendable, Hashable, CustomStringConvertible {
    public let type: String
    public let key: String
    public let expected: String
    public var description: String { "\(type).\(key): expected \(expected)" }
}

/// The members of a stored object, read with the checks `Codable` makes: a required member must be there with
/// the right type; an optional one may be missing or `null`.
struct JSONMembers {
    let members: [String: JSONValue]
    let type: String

    init(_ value: JSONValue, of type: String) throws(JSONShapeError) {
        guard case .object(let members) = value else { throw JSONShapeError(type: type, key: "", expected: "an object") }
        self.members = members
        self.type = type
    }

    func fail(_ key: String, _ expected: String) -> JSONShapeError { JSONShapeError(type: type, key: key, expected: expected) }

    func value(_ key: String) throws(JSONShapeError) -> JSONValue {
        guard let value = members[key] else { throw fail(key, "a value") }
        return value
    }

    /// A present, non-null member, or `nil`.
    func optional(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func string(_ key: String) throws(JSONShapeError) -> String {
        guard case .string(let text)? = members[key] else { throw fail(key, "a string") }
        return text
    }

    func optionalString(_ key: String) throws(JSONShapeError) -> String? {
        guard let value = optional(key) else { return nil }
        guard case .string(let text) = value else { throw fail(key, "a string") }
        return text
    }

    func int64(_ key: String) throws(JSONShapeError) -> Int64 {
        guard case .number(let number)? = members[key], let integer = Int64(exactly: number) else { throw fail(key, "an integer") }
        return integer
    }

    func optionalInt64(_ key: String) throws(JSONShapeError) -> Int64? {
        guard optional(key) != nil else { return nil }
        return try int64(key)
    }

    func int(_ key: String) throws(JSONShapeError) -> Int { Int(try int64(key)) }

    func optionalInt(_ key: String) throws(JSONShapeError) -> Int? { try optionalInt64(key).map { Int($0) } }

    func optionalDouble(_ key: String) throws(JSONShapeError) -> Double? {
        guard let value = optional(key) else { return nil }
        guard case .number(let number) = value else { throw fail(key, "a number") }
        return number
    }

    func optionalBool(_ key: String) throws(JSONShapeError) -> Bool? {
        guard let value = optional(key) else { return nil }
        guard case .bool(let flag) = value else { throw fail(key, "true or false") }
        return flag
    }

    /// A date as `Codable` writes one by default: seconds since 2001-01-01.
    func optionalDate(_ key: String) throws(JSONShapeError) -> Date? {
        try optionalDouble(key).map(Date.init(timeIntervalSinceReferenceDate:))
    }

    func array(_ key: String) throws(JSONShapeError) -> [JSONValue] {
        guard case .array(let items)? = members[key] else { throw fail(key, "an array") }
        return items
    }

    func raw<T: RawRepresentable<String>>(_ key: String, as type: T.Type) throws(JSONShapeError) -> T {
        guard let value = T(rawValue: try string(key)) else { throw fail(key, "one of the known \(T.self) values") }
        return value
    }
}
