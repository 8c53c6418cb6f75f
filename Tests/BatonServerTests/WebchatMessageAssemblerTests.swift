@testable import BatonServer
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import Testing

@Suite("Webchat messages put together from their frames")
struct WebchatMessageAssemblerTests {
    func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test func aWholeFrameIsAMessage() throws {
        var messages = WebchatMessageAssembler(maxSize: 64)
        #expect(try messages.take(.text, bytes(#"{"type":"ping"}"#), fin: true) == .text(#"{"type":"ping"}"#))
        #expect(try messages.take(.binary, bytes("raw"), fin: true) == .binary(bytes("raw")))
    }

    @Test func aSplitMessageComesWhenItsLastFrameIsIn() throws {
        var messages = WebchatMessageAssembler(maxSize: 64)
        #expect(try messages.take(.text, bytes("Hel"), fin: false) == nil)
        #expect(try messages.take(.continuation, bytes("lo, "), fin: false) == nil)
        #expect(try messages.take(.continuation, bytes("Ada"), fin: true) == .text("Hello, Ada"))
        #expect(try messages.take(.text, bytes("next"), fin: true) == .text("next"), "the next message starts afresh")
        #expect(try messages.take(.binary, bytes("ab"), fin: false) == nil)
        #expect(try messages.take(.continuation, bytes("c"), fin: true) == .binary(bytes("abc")))
    }

    @Test func aBrokenSequenceIsAProtocolError() {
        var messages = WebchatMessageAssembler(maxSize: 64)
        #expect(throws: WebchatMessageAssembler.Refusal(code: .protocolError), "a continuation with no message begun") {
            try messages.take(.continuation, bytes("lo"), fin: true)
        }
        var interrupted = WebchatMessageAssembler(maxSize: 64)
        _ = try? interrupted.take(.text, bytes("Hel"), fin: false)
        #expect(throws: WebchatMessageAssembler.Refusal(code: .protocolError), "a new message before the last one ended") {
            try interrupted.take(.text, bytes("other"), fin: true)
        }
    }

    @Test func aMessagePastTheLimitIsRefusedWhereverItIsSplit() throws {
        var messages = WebchatMessageAssembler(maxSize: 8)
        #expect(try messages.take(.text, bytes("1234"), fin: false) == nil)
        #expect(try messages.take(.continuation, bytes("5678"), fin: true) == .text("12345678"), "exactly the limit is taken")
        #expect(try messages.take(.text, bytes("1234"), fin: false) == nil)
        #expect(throws: WebchatMessageAssembler.Refusal(code: .messageTooLarge)) {
            try messages.take(.continuation, bytes("56789"), fin: true)
        }
        var whole = WebchatMessageAssembler(maxSize: 8)
        #expect(throws: WebchatMessageAssembler.Refusal(code: .messageTooLarge)) { try whole.take(.text, bytes("123456789"), fin: true) }
    }
}
