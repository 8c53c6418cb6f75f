import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket

/// One WebSocket client: to Baton's webchat (which answers `hello` with `ready`) or to the bare server.
struct BenchSocket: Sendable {
    let outbound: WebSocketOutboundWriter
    /// The webchat session `ready` named (nil for the bare server).
    let session: String?
    private let task: Task<Void, Never>

    static let logger: Logger = {
        var logger = Logger(label: "bench.socket")
        logger.logLevel = .critical
        return logger
    }()

    /// Connects; with `hello`, sends it and returns once `ready` came back. Every later text frame goes to `onText`.
    static func open(url: String, hello: String?, onText: @escaping @Sendable (String) -> Void) async throws -> BenchSocket {
        let (ready, announce) = AsyncThrowingStream<(WebSocketOutboundWriter, String?), any Error>.makeStream()
        let task = Task {
            do {
                try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 20), logger: logger) { inbound, outbound, _ in
                    var waitingForReady = hello != nil
                    if let hello { try await outbound.write(.text(hello)) } else { announce.yield((outbound, nil)) }
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        if waitingForReady {
                            guard let frame = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], frame["type"] as? String == "ready"
                            else { continue }
                            waitingForReady = false
                            announce.yield((outbound, frame["session"] as? String))
                            continue
                        }
                        onText(text)
                    }
                }
                announce.finish()
            } catch {
                announce.finish(throwing: error)
            }
        }
        for try await (outbound, session) in ready {
            return BenchSocket(outbound: outbound, session: session, task: task)
        }
        throw BenchError("the socket to \(url) closed before it was ready")
    }

    func send(_ text: String) async throws { try await outbound.write(.text(text)) }

    /// Closes the socket and waits until its connection has ended.
    func close() async {
        try? await outbound.close(.normalClosure, reason: nil)
        await task.value
    }
}
