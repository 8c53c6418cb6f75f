/// Request parameters as Rails sees them: query, JSON body or multipart fields merged into one object.
struct Params: Sendable {
    /// An object of all parameters (multipart fields and query values are strings).
    var values: JSONValue = .emptyObject
    /// Multipart file parts (`attachments[]`).
    var files: [UploadedFile] = []

    subscript(key: String) -> JSONValue? { values[key] }

    /// Rails' `params[key].present?`: not nil/null, not an empty or blank string, not an empty collection.
    func isPresent(_ key: String) -> Bool {
        switch values[key] {
        case nil, .null?: return false
        case .string(let s)?: return !s.allSatisfy(\.isWhitespace)
        case .array(let a)?: return !a.isEmpty
        case .object(let o)?: return !o.isEmpty
        default: return true
        }
    }

    /// The value as text (numbers and booleans as Rails would stringify them).
    func string(_ key: String) -> String? {
        switch values[key] {
        case .string(let s)?: s
        case .int(let i)?: String(i)
        case .double(let d)?: JSONWriter.formatDouble(d)
        case .bool(let b)?: b ? "true" : "false"
        default: nil
        }
    }

    /// `string(key)` when present (Rails `.presence`).
    func presentString(_ key: String) -> String? { isPresent(key) ? string(key) : nil }

    /// The value as an integer, accepting numeric strings (`find(params[:id])` semantics).
    func int(_ key: String) -> Int? {
        switch values[key] {
        case .int(let i)?: return Int(exactly: i)
        case .double(let d)?: return Int(exactly: d.rounded(.towardZero))
        case .string(let s)?:
            // Rails casts "12abc" to 12 for integer columns; keep the leading digits the same way.
            let digits = s.trimmingPrefixWhitespace().prefix { $0.isNumber || $0 == "-" }
            return Int(digits)
        default: return nil
        }
    }

    /// ActiveModel boolean casting: false for false, "false", "0", "f", "off", "" and friends; nil when absent.
    func bool(_ key: String) -> Bool? {
        switch values[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case .int(let i)?: return i != 0
        case .string(let s)?:
            if s.isEmpty { return nil }
            return !["false", "0", "f", "F", "off", "OFF", "FALSE", "False"].contains(s)
        default: return true
        }
    }

    /// An object, or a JSON string holding one (multipart clients send objects as JSON text).
    func object(_ key: String) -> JSONValue? {
        switch values[key] {
        case .object?: return values[key]
        case .string(let s)?: return (try? JSONValue.parse(s)).flatMap { $0.isObject ? $0 : nil }
        default: return nil
        }
    }

    /// A nested object as `Params`.
    func nested(_ key: String) -> Params? {
        guard let object = object(key) else { return nil }
        return Params(values: object, files: [])
    }
}
