import HummingbirdWebSocket
import NIOCore
import NIOWebSocket

/// Puts the user's WebSocket messages together from their frames: a message is one frame, or a first frame and its
/// continuations when the sender split it (RFC 6455, section 5.4), at most `maxSize` bytes in all.
///
/// The WebSocket library does the same (`WebSocketInboundStream.AsyncIterator.nextMessage(maxSize:)`), with the same
/// answers to a broken sequence, but as a function that waits for the next frame: its 448 bytes of task memory sat on
/// the wait every open socket keeps for its whole life, and took each socket's task onto one more slab of that memory
/// (a kilobyte a socket, BENCHMARKS.md). Here the waiting is the plain frame iterator's, and this holds only what a
/// split message has gathered so far.
struct WebchatMessageAssembler {
    /// Why a sequence of frames is refused, as the close code the socket is closed with.
    struct Refusal: Error, Equatable {
        let code: WebSocketErrorCode
    }

    let maxSize: Int
    /// The first frame's kind and everything gathered so far, while a split message waits for its last frame. Boxed,
    /// and only then: this waits in every open socket's task memory (see the type's comment), and nearly every
    /// message is a single frame.
    private var gathered: Gathered?

    private final class Gathered {
        let opcode: WebSocketDataFrame.Opcode
        var data: ByteBuffer
        init(_ opcode: WebSocketDataFrame.Opcode, _ data: ByteBuffer) { (self.opcode, self.data) = (opcode, data) }
    }

    init(maxSize: Int) { self.maxSize = maxSize }

    /// Takes the socket's next data frame; returns the message once its last frame is in, `nil` while more are due.
    mutating func take(_ frame: WebSocketDataFrame) throws(Refusal) -> WebSocketMessage? {
        try take(frame.opcode, frame.data, fin: frame.fin)
    }

    /// Takes a data frame given by its parts (see `take(_:)`; the library's frame cannot be made outside it, so its
    /// tests call this). Refuses a continuation with no message begun and a
    /// new message before the last one ended (`protocolError`), and a message past `maxSize` (`messageTooLarge`).
    mutating func take(_ opcode: WebSocketDataFrame.Opcode, _ data: ByteBuffer, fin: Bool) throws(Refusal) -> WebSocketMessage? {
        guard opcode == .continuation else {
            guard gathered == nil else { throw Refusal(code: .protocolError) }
            guard data.readableBytes <= maxSize else { throw Refusal(code: .messageTooLarge) }
            guard fin else {
                gathered = Gathered(opcode, data)
                return nil
            }
            return Self.message(opcode, data)
        }
        guard let begun = gathered else { throw Refusal(code: .protocolError) }
        guard begun.data.readableBytes + data.readableBytes <= maxSize else { throw Refusal(code: .messageTooLarge) }
        var more = data
        begun.data.writeBuffer(&more)
        guard fin else { return nil }
        gathered = nil
        return Self.message(begun.opcode, begun.data)
    }

    /// As the library reads a message with Hummingbird's default configuration (`validateUTF8` off): text that is
    /// not UTF-8 has its bad bytes replaced, and then fails as JSON, not as the socket.
    private static func message(_ opcode: WebSocketDataFrame.Opcode, _ data: ByteBuffer) -> WebSocketMessage {
        opcode == .binary ? .binary(data) : .text(String(buffer: data))
    }
}
