/// Serialises ``JSONValue`` the way Rails' `to_json` does for Chatwoot's payloads.
///
/// Compact (no spaces), keys in insertion order, UTF-8 output with non-ASCII characters left raw, and Rails'
/// HTML-safe escaping: `<` `>` `&` U+2028 U+2029 become `\u003c` `\u003e` `\u0026` `\u2028` `\u2029`
/// (ActiveSupport `escape_html_entities_in_json`, via `lib/webhooks/trigger.rb`). `/` is not escaped.
public enum JSONWriter {
    /// The serialised text.
    public static func string(_ value: JSONValue) -> String {
        var out = ""
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    /// The serialised UTF-8 bytes.
    public static func bytes(_ value: JSONValue) -> [UInt8] { Array(string(value).utf8) }

    static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += formatDouble(d)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, (key, item)) in members.enumerated() {
                if index > 0 { out += "," }
                writeString(key, into: &out)
                out += ":"
                write(item, into: &out)
            }
            out += "}"
        }
    }

    /// Ruby's `Float#to_s`: the shortest round-tripping digits, `.0` for integral values.
    static func formatDouble(_ d: Double) -> String {
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

    static func writeString(_ s: String, into out: inout String) {
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
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
