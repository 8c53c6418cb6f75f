import BatonCore
import Synchronization

/// The sessions whose first subscriber on this instance came or whose last one left, for `HubFanOut` to record
/// through the relay in batches (`HubRelay.listen(to:as:)`), so that other instances announce exactly the events
/// someone here listens to. A new subscriber waits until its session is recorded before it reads the store: a
/// message written before that is in the store, one written after reaches it through the relay (see
/// `HubListeners`, where PostgreSQL keeps the record).
public final class ListeningRegistry: Sendable {
    private struct State {
        /// Sessions to record as held or released, whichever the hub says when their turn comes.
        var pending: Set<SessionID> = []
        /// Sessions recorded as held here.
        var recorded: Set<SessionID> = []
        var waiters: [SessionID: [CheckedContinuation<Void, Never>]] = [:]
        /// Whether a fan-out records the sessions; without one no subscriber waits.
        var attached = false
    }
    private let state = Mutex(State())
    private let bell = Doorbell()

    init() {}

    /// Returns once `session` is recorded as held here (or recording it failed: then it is tried again, and the
    /// subscriber gets other instances' events from then on, and earlier ones when it next reads the store).
    func held(_ session: SessionID) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                guard state.attached, !(state.recorded.contains(session) && !state.pending.contains(session)) else { return true }
                state.pending.insert(session)
                state.waiters[session, default: []].append(continuation)
                return false
            }
            if resumeNow { continuation.resume() } else { bell.ring() }
        }
    }

    /// The session's last subscriber here left.
    func released(_ session: SessionID) { changed([session]) }

    /// Records `sessions` again, whatever the hub says of them then (after a failure, or a new listening connection).
    func changed(_ sessions: some Sequence<SessionID>) {
        let attached = state.withLock { state in
            if state.attached { state.pending.formUnion(sessions) }
            return state.attached
        }
        if attached { bell.ring() }
    }

    /// The sessions to record next, waiting for one; nil once the task is cancelled. One consumer at a time, which
    /// calls `recorded(_:held:succeeded:)` for each batch.
    func next() async -> Set<SessionID>? {
        state.withLock { $0.attached = true }
        while !Task.isCancelled {
            let batch = state.withLock { state -> Set<SessionID> in
                defer { state.pending = [] }
                return state.pending
            }
            if !batch.isEmpty { return batch }
            await bell.wait()
        }
        detach()
        return nil
    }

    /// `sessions` were recorded (`held` of them as held here, the rest as released), or tried: their waiters go on.
    func recorded(_ sessions: Set<SessionID>, held: Set<SessionID>, succeeded: Bool) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if succeeded {
                state.recorded.subtract(sessions)
                state.recorded.formUnion(held)
            }
            // A session that changed again meanwhile keeps its waiters for its next turn.
            return sessions.filter { !state.pending.contains($0) }.flatMap { state.waiters.removeValue(forKey: $0) ?? [] }
        }
        waiters.forEach { $0.resume() }
    }

    /// The fan-out stopped: nobody waits for a record any more.
    private func detach() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.attached = false
            state.pending = []
            defer { state.waiters = [:] }
            return state.waiters.values.flatMap { $0 }
        }
        waiters.forEach { $0.resume() }
    }
}
