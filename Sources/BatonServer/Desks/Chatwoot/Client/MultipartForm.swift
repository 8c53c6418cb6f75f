import Foundation
import NIOCore

/// A file to attach to a Chatwoot message.
public struct NewFile: Sendable, Hashable {
    public var name: String
    public var mimeType: String
    public var bytes: [UInt8]
    public init(name: String, mimeType: String, bytes: [UInt8]) {
        self.name = name
        self.mimeType = mimeType
        self.bytes = bytes
    }
}

/// A `multipart/form-data` body (RFC 7578), for the one Chatwoot call that takes files.
struct MultipartForm {
    let boundary = "baton-" + UUID().uuidString
    private var buffer = ByteBuffer()

    mutating func field(_ name: String, _ value: String) {
        buffer.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"\r\n\r\n\(value)\r\n")
    }

    mutating func file(_ field: String, name: String, contentType: String, bytes: [UInt8]) {
        buffer.writeString(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(field))\"; filename=\"\(Self.quoted(name))\"\r\nContent-Type: \(contentType)\r\n\r\n")
        buffer.writeBytes(bytes)
        buffer.writeString("\r\n")
    }

    func finish() -> (bytes: ByteBuffer, contentType: String) {
        var body = buffer
        body.writeString("--\(boundary)--\r\n")
        return (body, "multipart/form-data; boundary=\(boundary)")
    }

    /// Quotes and line breaks would end the header value early; browsers percent-encode them too.
    static func quoted(_ text: String) -> String {
        text.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }
}
