import Foundation

/// The parts of an HTTP request the stand-in looks at.
struct IncomingRequest: Sendable {
    let method: String
    /// Path without the query string, percent-decoding not applied.
    let path: String
    let query: String?
    /// Lowercased names.
    let headers: [(name: String, value: String)]
    let body: [UInt8]

    func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }

    /// The media type without parameters, lowercased (`application/json`).
    var mediaType: String? {
        header("content-type").map { $0.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? "" }
    }

    /// Path segments (empty ones dropped).
    var segments: [String] { path.split(separator: "/").map(String.init) }

    /// Decoded query items in order; `a[]` keys are kept as written.
    var queryItems: [(String, String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = FormDecoding.decode(String(parts[0]))
            let value = parts.count > 1 ? FormDecoding.decode(String(parts[1])) : ""
            return (key, value)
        }
    }
}

/// `application/x-www-form-urlencoded` decoding.
enum FormDecoding {
    static func decode(_ s: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(s.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), let h = iterator.next(), let l = iterator.next(),
                let value = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
