/// Serialises ``BotJSON`` the way the imitated servers do.
public enum BotJSONWriter {
    /// How the text is laid out.
    public enum Style: Sendable {
        /// No spaces, non-ASCII characters raw (OpenAI's and Go's encoders).
        case compact
        /// No spaces, non-ASCII characters as `\uXXXX` (Sanic's `json()` response, which Rasa's REST channel uses).
        case compactASCII
        /// Python's `json.dumps` defaults: `", "` and `": "` separators, non-ASCII as `\uXXXX` (Rasa's NDJSON stream).
        case pythonDumps
    }

    /// The serialised text.
    public static func string(_ value: BotJSON, style: Style = .compact) -> String {
        var out = ""
        write(value, style: style, into: &out)
        return out
    }

    /// The serialised UTF-8 bytes.
    public static func bytes(_ value: BotJSON, style: Style = .compact) -> [UInt8] { Array(string(value, style: style).utf8) }

    private static func write(_ value: BotJSON, style: Style, into out: inout String) {
        let spaced = style == .pythonDumps
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? d.description : "null"
        case .string(let s): writeString(s, asciiOnly: style != .compact, into: &out)
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
                writeString(key, asciiOnly: style != .compact, into: &out)
                out += spaced ? ": " : ":"
                write(item, style: style, into: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ s: String, asciiOnly: Bool, into out: inout String) {
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

    private static func hex4(_ unit: UInt16) -> String {
        let hex = String(unit, radix: 16)
        return String(repeating: "0", count: 4 - hex.count) + hex
    }
}
