import HummingbirdCore
import NIOCore
import StandInJSON

/// What a handler answers; the HTTP bridge turns it into bytes on the wire.
enum StandInReply: Sendable {
    /// A whole response with a `Content-Length`.
    case full(status: Int, headers: [(String, String)], body: [UInt8])
    /// Head first, then the body in chunks as `write` produces them. When `write` throws, the connection is closed
    /// where it stands: no terminating chunk, so the client sees the body end early.
    case stream(status: Int, headers: [(String, String)], write: @Sendable (inout StreamOut) async throws -> Void)
    /// Close the connection without a byte of answer.
    case dropConnection

    /// A JSON body.
    static func json(_ value: JSONValue, status: Int = 200, style: JSONWriter.Style = .compact, headers: [(String, String)] = []) -> StandInReply {
        .full(status: status, headers: [("Content-Type", "application/json")] + headers, body: JSONWriter.bytes(value, style: style))
    }

    /// A text body.
    static func text(_ text: String, status: Int, contentType: String = "text/plain; charset=utf-8") -> StandInReply {
        .full(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }
}

/// The writing end of a streamed body.
struct StreamOut {
    var writer: any ResponseBodyWriter

    /// Writes one chunk.
    mutating func send(_ text: String) async throws {
        try await writer.write(ByteBuffer(string: text))
    }
}

/// Thrown by a stream's writer to close the connection mid-body (a "cut" stream, or a stand-in shutting down).
struct StreamCut: Error {}
