import HummingbirdWebSocket
import NIOWebSocket
public import ServiceLifecycle
import Synchronization

/// Says goodbye to every open webchat socket when the server stops: a close with 1001 ("going away"), which tells
/// the page (and any client that follows docs/webchat-protocol.md) to reconnect, to another instance or to this one
/// once it is back.
///
/// A service of its own, stopped before the application: the WebSocket library closes its sockets itself when the
/// HTTP server stops, with 1000, and a handler of Baton's beside it raced that close and lost. `baton serve` puts it
/// after the application in its service group, which stops services in reverse order.
public final class WebchatGoodbye: Service, Sendable {
    private struct State {
        var open: [Int: WebSocketOutboundWriter] = [:]
        var next = 0
        var leaving = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Counts a socket in; `nil` when the server is already saying goodbye (the caller closes it at once).
    func enter(_ outbound: WebSocketOutboundWriter) -> Int? {
        state.withLock { state in
            guard !state.leaving else { return nil }
            defer { state.next += 1 }
            state.open[state.next] = outbound
            return state.next
        }
    }

    /// Counts a socket out: it closed.
    func leave(_ ticket: Int) {
        _ = state.withLock { $0.open.removeValue(forKey: ticket) }
    }

    /// Waits for the server to stop, then closes every open socket with 1001, all at once.
    public func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return  // cancelled: the process is going down without a goodbye
        }
        let sockets = state.withLock { state in
            state.leaving = true
            return Array(state.open.values)
        }
        await withTaskGroup(of: Void.self) { group in
            for outbound in sockets {
                group.addTask { await WebchatSocket.close(outbound, with: .goingAway) }
            }
        }
    }
}
