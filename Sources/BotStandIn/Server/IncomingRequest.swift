/// The parts of an HTTP request a stand-in looks at (kept free of Hummingbird so handlers stay plain functions).
struct IncomingRequest: Sendable {
    let method: String
    /// Path without the query string.
    let path: String
    /// Raw query string without `?`.
    let query: String?
    /// Lower-cased names, in arrival order.
    let headers: [(name: String, value: String)]
    let body: [UInt8]
    /// The body went over the stand-in's limit; `body` is then empty.
    let bodyTooLarge: Bool

    /// The first value of a header (case-insensitive).
    func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }

    /// The first value of a query parameter, percent-decoded; nil when absent.
    func queryValue(_ name: String) -> String? {
        QueryString.items(query).first { $0.name == name }?.value
    }
}

/// `application/x-www-form-urlencoded` query strings.
enum QueryString {
    static func items(_ query: String?) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts.first.map(String.init) ?? ""), parts.count > 1 ? decode(String(parts[1])) : "")
        }
    }

    static func decode(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
