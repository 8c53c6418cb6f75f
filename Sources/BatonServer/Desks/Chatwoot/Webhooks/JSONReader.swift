import BatonCore
import Foundation

/// Reads one JSON object of a webhook body, tolerant the way Chatwoot needs and strict where it matters.
///
/// Tolerant: unknown keys are ignored, `null` counts as absent, ids and timestamps may arrive as numeric strings.
/// Strict: a value of a clearly wrong type throws with its path, so a garbled body never turns into a silently
/// wrong action. Numbers go through `Int(exactly:)`, never `Int(_:)`, so absurd values cannot trap.
struct JSONReader {
    /// A webhook body's objects are views (members built when read); objects inside a value that was built whole
    /// (an array's elements) are its dictionaries.
    private enum Members {
        case built([String: JSONValue])
        case found(JSONObjectView)
    }

    private let members: Members
    let path: String

    init(_ value: JSONValue, path: String) throws(ChatwootWebhookDecodingError) {
        guard case .object(let members) = value else {
            throw ChatwootWebhookDecodingError(path: path, reason: "expected an object, got \(Self.describe(value))")
        }
        self.members = .built(members)
        self.path = path
    }

    init(_ view: JSONObjectView, path: String) {
        members = .found(view)
        self.path = path
    }

    /// Reads a body that must be one JSON object, building only the members read.
    ///
    /// - Throws: `notJSON` with the parser's error when the body is not JSON; an error at the top when it is JSON
    ///   but not an object.
    static func body(_ body: Data, notJSON: (JSONParseError) -> ChatwootWebhookDecodingError) throws(ChatwootWebhookDecodingError) -> JSONReader {
        let view: JSONObjectView?
        do {
            view = try JSONObjectView(validating: body)
        } catch {
            throw notJSON(error)
        }
        if let view { return JSONReader(view, path: "") }
        // JSON, but not an object: built (it was checked, so it parses), so that the error says what it is.
        guard let value = try? JSONValue.parse(body) else { preconditionFailure("checked JSON failed to parse") }
        return try JSONReader(value, path: "")
    }

    /// The object's member names.
    var names: [String] {
        switch members {
        case .built(let members): Array(members.keys)
        case .found(let view): view.names
        }
    }

    /// The value at `key` as sent, `null` included.
    func member(_ key: String) -> JSONValue? {
        switch members {
        case .built(let members): members[key]
        case .found(let view): view.value(key)
        }
    }

    func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ key: String, _ reason: String) -> ChatwootWebhookDecodingError {
        ChatwootWebhookDecodingError(path: childPath(key), reason: reason)
    }

    func typeError(_ key: String, expected: String, got value: JSONValue) -> ChatwootWebhookDecodingError {
        error(key, "expected \(expected), got \(Self.describe(value))")
    }

    /// The value at `key`, with `null` treated as absent.
    func value(_ key: String) -> JSONValue? {
        guard let value = member(key), value != .null else { return nil }
        return value
    }

    func string(_ key: String) throws(ChatwootWebhookDecodingError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw typeError(key, expected: "a string", got: value) }
        return text
    }

    /// A string that may also arrive as a number (free-text ids such as `source_id`).
    func identifierString(_ key: String) throws(ChatwootWebhookDecodingError) -> String? {
        switch value(key) {
        case nil: return nil
        case .string(let text): return text
        case .number(let number) where number.isFinite: return JSONValue.number(number).displayText
        case let other?: throw typeError(key, expected: "a string", got: other)
        }
    }

    func int(_ key: String) throws(ChatwootWebhookDecodingError) -> Int? {
        guard let value = value(key) else { return nil }
        if let number = Self.integer(value) { return number }
        throw typeError(key, expected: "an integer", got: value)
    }

    func requiredInt(_ key: String) throws(ChatwootWebhookDecodingError) -> Int {
        guard let number = try int(key) else { throw error(key, "is missing") }
        return number
    }

    func double(_ key: String) throws(ChatwootWebhookDecodingError) -> Double? {
        switch value(key) {
        case nil: return nil
        case .number(let number) where number.isFinite: return number
        case .string(let text):
            if let number = Double(text.trimmingCharacters(in: .whitespaces)), number.isFinite { return number }
            throw typeError(key, expected: "a number", got: .string(text))
        case let other?: throw typeError(key, expected: "a number", got: other)
        }
    }

    func bool(_ key: String) throws(ChatwootWebhookDecodingError) -> Bool? {
        switch value(key) {
        case nil: return nil
        case .bool(let flag): return flag
        case .string("true"): return true
        case .string("false"): return false
        case let other?: throw typeError(key, expected: "a boolean", got: other)
        }
    }

    func object(_ key: String) throws(ChatwootWebhookDecodingError) -> JSONReader? {
        if case .found(let view) = members, let object = view.object(key) { return JSONReader(object, path: childPath(key)) }
        guard let value = value(key) else { return nil }
        return try JSONReader(value, path: childPath(key))
    }

    func requiredObject(_ key: String) throws(ChatwootWebhookDecodingError) -> JSONReader {
        guard let reader = try object(key) else { throw error(key, "is missing") }
        return reader
    }

    func array(_ key: String) throws(ChatwootWebhookDecodingError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else { throw typeError(key, expected: "an array", got: value) }
        return elements
    }

    /// A free-form attributes hash (`custom_attributes`, `content_attributes`): an object, `{}` when absent,
    /// or an object serialised as a JSON string (how Rails stores some legacy rows).
    func attributes(_ key: String) throws(ChatwootWebhookDecodingError) -> JSONValue {
        switch value(key) {
        case nil: return .emptyObject
        case .object(let members): return .object(members)
        case .string(let text):
            if let parsed = try? JSONValue(jsonText: text), case .object = parsed { return parsed }
            throw typeError(key, expected: "an object", got: .string(text))
        case let other?: throw typeError(key, expected: "an object", got: other)
        }
    }

    // MARK: - Helpers

    /// An integer from a JSON number without a fraction or a numeric string; `nil` otherwise.
    static func integer(_ value: JSONValue) -> Int? {
        switch value {
        case .number(let number): Int(exactly: number)
        case .string(let text): Int(text.trimmingCharacters(in: .whitespaces))
        default: nil
        }
    }

    /// A short description of a value for error messages (never the whole, possibly huge, value).
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): "the boolean \(flag)"
        case .number(let number): "the number \(JSONValue.number(number).displayText)"
        case .string(let text):
            text.count > 40 ? "the string \"\(text.prefix(40))…\"" : "the string \"\(text)\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}
