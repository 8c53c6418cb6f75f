public import Foundation

/// A value the stores keep as JSON text (and the hub sends between instances), converted by hand instead of through
/// `Codable`.
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
public struct JSONMembers {
    let members: [String: JSONValue]
    let type: String

    /// The members of `value`, which must be an object; `type` names it in errors.
    public init(_ value: JSONValue, of type: String) throws(JSONShapeError) {
        guard case .object(let members) = value else { throw JSONShapeError(type: type, key: "", expected: "an object") }
        self.members = members
        self.type = type
    }

    /// The error for member `key` that is not what was `expected`.
    public func fail(_ key: String, _ expected: String) -> JSONShapeError { JSONShapeError(type: type, key: key, expected: expected) }

    /// A member that must be there (`null` included).
    public func value(_ key: String) throws(JSONShapeError) -> JSONValue {
        guard let value = members[key] else { throw fail(key, "a value") }
        return value
    }

    /// A present, non-null member, or `nil`.
    public func optional(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    /// A string that must be there.
    public func string(_ key: String) throws(JSONShapeError) -> String {
        guard case .string(let text)? = members[key] else { throw fail(key, "a string") }
        return text
    }

    /// A string, or `nil` when the member is missing or `null`.
    public func optionalString(_ key: String) throws(JSONShapeError) -> String? {
        guard let value = optional(key) else { return nil }
        guard case .string(let text) = value else { throw fail(key, "a string") }
        return text
    }

    /// A whole number that must be there.
    public func int64(_ key: String) throws(JSONShapeError) -> Int64 {
        guard case .number(let number)? = members[key], let integer = Int64(exactly: number) else { throw fail(key, "an integer") }
        return integer
    }

    /// A whole number, or `nil` when the member is missing or `null`.
    public func optionalInt64(_ key: String) throws(JSONShapeError) -> Int64? {
        guard optional(key) != nil else { return nil }
        return try int64(key)
    }

    /// A whole number that must be there.
    public func int(_ key: String) throws(JSONShapeError) -> Int { Int(try int64(key)) }

    /// A whole number, or `nil` when the member is missing or `null`.
    public func optionalInt(_ key: String) throws(JSONShapeError) -> Int? { try optionalInt64(key).map { Int($0) } }

    /// A number, or `nil` when the member is missing or `null`.
    public func optionalDouble(_ key: String) throws(JSONShapeError) -> Double? {
        guard let value = optional(key) else { return nil }
        guard case .number(let number) = value else { throw fail(key, "a number") }
        return number
    }

    /// `true` or `false`, or `nil` when the member is missing or `null`.
    public func optionalBool(_ key: String) throws(JSONShapeError) -> Bool? {
        guard let value = optional(key) else { return nil }
        guard case .bool(let flag) = value else { throw fail(key, "true or false") }
        return flag
    }

    /// `true` or `false`, which must be there.
    public func bool(_ key: String) throws(JSONShapeError) -> Bool {
        guard let flag = try optionalBool(key) else { throw fail(key, "true or false") }
        return flag
    }

    /// A date that must be there, as `Codable` writes one by default: seconds since 2001-01-01.
    public func date(_ key: String) throws(JSONShapeError) -> Date {
        guard let date = try optionalDate(key) else { throw fail(key, "a number") }
        return date
    }

    /// A date as `Codable` writes one by default: seconds since 2001-01-01.
    public func optionalDate(_ key: String) throws(JSONShapeError) -> Date? {
        try optionalDouble(key).map(Date.init(timeIntervalSinceReferenceDate:))
    }

    /// An array that must be there.
    public func array(_ key: String) throws(JSONShapeError) -> [JSONValue] {
        guard case .array(let items)? = members[key] else { throw fail(key, "an array") }
        return items
    }

    /// A string that must be there and be one of `type`'s raw values.
    public func raw<T: RawRepresentable<String>>(_ key: String, as type: T.Type) throws(JSONShapeError) -> T {
        guard let value = T(rawValue: try string(key)) else { throw fail(key, "one of the known \(T.self) values") }
        return value
    }

    /// One of `type`'s raw values, or `nil` when the member is missing or `null`.
    public func optionalRaw<T: RawRepresentable<String>>(_ key: String, as type: T.Type) throws(JSONShapeError) -> T? {
        guard optional(key) != nil else { return nil }
        return try raw(key, as: type)
    }
}
