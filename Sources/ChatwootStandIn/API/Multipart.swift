import Foundation

/// A minimal `multipart/form-data` parser (RFC 7578), enough for what HTTP clients send.
enum Multipart {
    struct Part: Sendable {
        let name: String
        let filename: String?
        let contentType: String?
        let data: [UInt8]
    }

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    /// The boundary parameter of a `Content-Type` header.
    static func boundary(fromContentType contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }

    static func parse(_ body: [UInt8], boundary: String) throws -> [Part] {
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [Part] = []
        guard var position = find(delimiter, in: body, from: 0) else { throw ParseError(description: "multipart boundary not found") }
        position += delimiter.count
        while true {
            // After a delimiter: "--" ends the body, otherwise CRLF and a part follow.
            if position + 1 < body.count, body[position] == UInt8(ascii: "-"), body[position + 1] == UInt8(ascii: "-") { break }
            position = skipLineBreak(body, position)
            guard let headerEnd = find(Array("\r\n\r\n".utf8), in: body, from: position) else {
                throw ParseError(description: "multipart part without headers")
            }
            let headerText = String(decoding: body[position..<headerEnd], as: UTF8.self)
            let contentStart = headerEnd + 4
            guard let next = find(Array("\r\n".utf8) + delimiter, in: body, from: contentStart) else {
                throw ParseError(description: "multipart part not terminated")
            }
            parts.append(try makePart(headers: headerText, data: Array(body[contentStart..<next])))
            position = next + 2 + delimiter.count
        }
        return parts
    }

    private static func skipLineBreak(_ body: [UInt8], _ position: Int) -> Int {
        var p = position
        if p < body.count, body[p] == UInt8(ascii: "\r") { p += 1 }
        if p < body.count, body[p] == UInt8(ascii: "\n") { p += 1 }
        return p
    }

    private static func makePart(headers: String, data: [UInt8]) throws -> Part {
        var name: String?
        var filename: String?
        var contentType: String?
        for line in headers.split(separator: "\r\n") {
            let pair = line.split(separator: ":", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let field = pair[0].trimmingCharacters(in: .whitespaces).lowercased()
            let value = pair[1].trimmingCharacters(in: .whitespaces)
            if field == "content-type" { contentType = value }
            if field == "content-disposition" {
                name = parameter("name", in: value)
                filename = parameter("filename", in: value)
            }
        }
        guard let name else { throw ParseError(description: "multipart part without a name") }
        return Part(name: name, filename: filename, contentType: contentType, data: data)
    }

    /// A `key="value"` (or unquoted) parameter of a header value.
    private static func parameter(_ key: String, in value: String) -> String? {
        var index = value.startIndex
        while let range = value.range(of: "\(key)=", range: index..<value.endIndex) {
            let before = range.lowerBound == value.startIndex ? ";" : value[value.index(before: range.lowerBound)]
            index = range.upperBound
            guard before == ";" || before == " " else { continue }
            var rest = value[range.upperBound...]
            if rest.hasPrefix("\"") {
                rest = rest.dropFirst()
                var out = ""
                var escaped = false
                for c in rest {
                    if escaped { out.append(c); escaped = false; continue }
                    if c == "\\" { escaped = true; continue }
                    if c == "\"" { break }
                    out.append(c)
                }
                return out
            }
            return String(rest.prefix { $0 != ";" }).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var i = start
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var match = true
                for j in 1..<needle.count where haystack[i + j] != needle[j] {
                    match = false
                    break
                }
                if match { return i }
            }
            i += 1
        }
        return nil
    }
}
