/// Serialises ``JSONValue`` the way the imitated servers do: compact or spaced, keys in insertion order, and each
/// server's own escaping (see ``Style``).
public enum JSONWriter {
    /// How the text is laid out and escaped.
    public enum Style: Sendable {
        /// Rails' `to_json`, as Chatwoot sends its payloads: no spaces, non-ASCII raw, and ActiveSupport's HTML-safe
        /// escaping (`<` `>` `&` U+2028 U+2029 as `\u003c` `\u003e` `\u0026` `\u2028` `\u2029`, via
        /// `lib/webhooks/trigger.rb`), `/` not escaped, doubles as Ruby's `Float#to_s` writes them.
        case rails
        /// No spaces, non-ASCII raw (OpenAI's and Go's encoders).
        case compact
        /// No spaces, non-ASCII as `\uXXXX` (Sanic's `json()` response, which Rasa's REST channel uses).
        case compactASCII
        /// Python's `json.dumps` defaults: `", "` and `": "` separators, non-ASCII as `\uXXXX` (Rasa's NDJSON stream).
        case pythonDumps
    }

    /// The serialised text.
    public static func string(_ value: JSONValue, style: Style = .rails) -> String {
        var out = ""
        out.reserveCapacity(256)
        write(value, style: style, into: &out)
        return out
    }

    /// The serialised UTF-8 bytes.
    public static func bytes(_ value: JSONValue, style: Style = .rails) -> [UInt8] { Array(string(value, style: style).utf8) }

    static func write(_ value: JSONValue, style: Style, into out: inout String) {
        let spaced = style == .pythonDumps
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += style == .rails ? formatDouble(d) : (d.isFinite ? d.description : "null")
        case .string(let s): writeString(s, style: style, into: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += spaced ? ", " : "," }
                write(item, style: style, into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, (key, item)) in members.enumerated() {
                if index > 0 { out += spaced ? ", " : "," }
                writeString(key, style: style, into: &out)
                out += spaced ? ": " : ":"
                write(item, style: style, into: &out)
            }
            out += "}"
        }
    }

    /// Ruby's `Float#to_s`: the shortest round-tripping digits, `.0` for integral values.
    public static func formatDouble(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        // Swift's description is also shortest-round-trip; only the exponent spelling differs from Ruby's.
        var text = d.description
        if let e = text.firstIndex(of: "e") {
            var mantissa = String(text[..<e])
            if !mantissa.contains(".") { mantissa += ".0" }
            text = mantissa + String(text[e...])
        }
        return text
    }

    static func writeString(_ s: String, style: Style, into out: inout String) {
        let asciiOnly = style == .compactASCII || style == .pythonDumps
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "<" where style == .rails: out += "\\u003c"
            case ">" where style == .rails: out += "\\u003e"
            case "&" where style == .rails: out += "\\u0026"
            case "\u{2028}" where style == .rails: out += "\\u2028"
            case "\u{2029}" where style == .rails: out += "\\u2029"
            default:
                if scalar.value < 0x20 || (asciiOnly && scalar.value > 0x7E) {
                    // UTF-16 code units, as Python's ensure_ascii writes them (surrogate pairs above the BMP).
                    for unit in String(scalar).utf16 { out += "\\u" + hex4(unit) }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    static func hex4(_ unit: UInt16) -> String {
        let hex = String(unit, radix: 16)
        return String(repeating: "0", count: 4 - hex.count) + hex
    }
}
