import BatonCore
import HummingbirdWebSocket
import Logging
import ServiceContextModule
import Synchronization
import Tracing

/// Forwards a session's live events to one webchat socket: the backlog after the client's last id first, then each
/// event in order, never a message twice.
///
/// It has no task while there is nothing to send. The hub hands it events (`enqueue`), and a task runs only while
/// some are waiting, then ends. A socket that spends its life waiting for agents thus costs no task, no stream and
/// no task-local stack for this half of its work: with a forwarding task per socket that was about 5 KB of an
/// idle socket's memory.
final class LiveForwarder: Sendable {
    /// Events waiting beyond this are dropped oldest first; the socket then catches up from the store before it
    /// sends those left (`WebchatSocket.catchUp`), retractions included.
    static let maxPending = 1_000

    /// An event with the trace it was published in, so its send is a span of that trace (a webhook's, a message's).
    private struct Pending {
        var event: HubEvent
        var context: ServiceContext?
    }

    private struct State {
        var pending: [Pending] = []
        /// Whether a task is sending (it takes what arrives meanwhile); set from the start, for the backlog.
        var running = true
        var closed = false
        var position: WebchatSocket.ForwardPosition?
        /// Whether events were dropped since the position was last taken.
        var dropped = false
    }

    private let socket: WebchatSocket
    let sessionID: SessionID
    private let outbound: WebSocketOutboundWriter
    /// The socket's event loop, where live events are sent from (see `EventLoopTaskExecutor`).
    private let executor: EventLoopTaskExecutor
    private let state = Mutex(State())

    init(socket: WebchatSocket, sessionID: SessionID, outbound: WebSocketOutboundWriter, executor: EventLoopTaskExecutor) {
        self.socket = socket
        self.sessionID = sessionID
        self.outbound = outbound
        self.executor = executor
    }

    /// Sends the handover state and the backlog after `after`, then whatever arrived meanwhile.
    func start(after: Int64, handoverUpdates: Bool) {
        Task {
            do {
                let position = try await socket.start(after: after, handoverUpdates: handoverUpdates, sessionID: sessionID, outbound: outbound)
                state.withLock { $0.position = position }
                await drain()
            } catch {
                stop(error)
            }
        }
    }

    /// Whether the session's handover is active as far as this socket has been told.
    var handoverIsActive: Bool {
        state.withLock { $0.position?.handover.known?.phase == .active }
    }

    /// Takes one event from the hub (called on the publisher's side, so it only queues).
    func enqueue(_ event: HubEvent) {
        let startDraining = state.withLock { state in
            guard !state.closed else { return false }
            if state.pending.count >= Self.maxPending {
                state.pending.removeFirst()
                state.dropped = true
            }
            state.pending.append(Pending(event: event, context: ServiceContext.current))
            guard !state.running else { return false }
            state.running = true
            return true
        }
        if startDraining { Task(executorPreference: executor) { await self.drain() } }
    }

    /// Stops forwarding: the socket is gone.
    func close() {
        state.withLock { state in
            state.closed = true
            state.pending = []
        }
    }

    /// Sends what is waiting until nothing is; the task that calls it is the only sender until it returns.
    private func drain() async {
        while let (events, position) = takePending() {
            var position = position
            do {
                // Events were dropped: what they carried is read from the store before those that are left.
                if position.lostEvents { try await socket.catchUp(&position, sessionID: sessionID, outbound: outbound) }
                for item in events {
                    guard let context = item.context else {
                        try await socket.forward(item.event, position: &position, sessionID: sessionID, outbound: outbound)
                        continue
                    }
                    try await BatonTracing.withSpan("webchat send", context: context, ofKind: .producer) { _ in
                        try await socket.forward(item.event, position: &position, sessionID: sessionID, outbound: outbound)
                    }
                }
                state.withLock { $0.position = position }
            } catch {
                return stop(error)
            }
        }
    }

    /// The waiting events and where sending stands, or `nil` (and no longer running) when there are none.
    private func takePending() -> ([Pending], WebchatSocket.ForwardPosition)? {
        state.withLock { state in
            guard !state.closed, !state.pending.isEmpty, var position = state.position else {
                state.running = false
                return nil
            }
            defer { (state.pending, state.dropped) = ([], false) }
            if state.dropped { position.lostEvents = true }
            return (state.pending, position)
        }
    }

    private func stop(_ error: any Error) {
        // The socket closed under a write, or the store failed: the page reconnects and resumes from its last id.
        socket.logger.debug("webchat forwarding stopped", metadata: ["session": "\(sessionID)", "error": "\(error)"])
        close()
    }
}
