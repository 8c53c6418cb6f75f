/// Splits a `text/event-stream` body into its events' data, as the SSE spec reads it: lines end with `\n`, `\r\n`
/// or `\r`; `data:` lines (one leading space dropped) are joined with `\n`; a blank line ends an event; `:` lines
/// are comments; other fields are ignored. Bytes may arrive split anywhere, a line or a UTF-8 character included.
struct ServerSentEvents {
    private var line: [UInt8] = []
    private var data: [String] = []
    private var lastWasCR = false

    /// The data of every event that `bytes` completes.
    mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [String] where Bytes.Element == UInt8 {
        var events: [String] = []
        for byte in bytes {
            if lastWasCR, byte == UInt8(ascii: "\n") {
                lastWasCR = false
                continue
            }
            lastWasCR = byte == UInt8(ascii: "\r")
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if let event = endLine() { events.append(event) }
            } else {
                line.append(byte)
            }
        }
        return events
    }

    /// At the end of the body: an event whose blank line never came, if any (servers that end on an error do).
    mutating func finish() -> String? {
        if !line.isEmpty { _ = endLine() }
        defer { data = [] }
        return data.isEmpty ? nil : data.joined(separator: "\n")
    }

    private mutating func endLine() -> String? {
        defer { line = [] }
        if line.isEmpty {
            defer { data = [] }
            return data.isEmpty ? nil : data.joined(separator: "\n")
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let text = String(decoding: line, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return nil }
        guard text[..<colon] == "data" else { return nil }
        var value = text[text.index(after: colon)...]
        if value.first == " " { value = value.dropFirst() }
        data.append(String(value))
        return nil
    }
}
