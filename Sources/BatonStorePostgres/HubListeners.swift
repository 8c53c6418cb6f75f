public import BatonCore
import Synchronization

/// Which Baton instances hold a socket (or a long poll) of a session, as the row this process's latest write of it
/// locked said (`sessions.listeners`): the hub's fan-out announces an event only when another instance listens.
///
/// Why a write's row is enough: an instance names itself in the row (`PostgresNotifications.listen(to:as:)`) with an
/// `UPDATE`, which waits for the row lock every write takes, and reads the store for its socket only after that. A
/// write that locked the row first committed before the name went in, so the socket's read finds its messages; a
/// write that locks it after reads the name, since PostgreSQL hands a `FOR UPDATE` that waited the row's newest
/// version. A later write of the session here replaces the entry with a newer row's, which names every instance
/// that still listens.
public final class HubListeners: Sendable {
    private let known = Mutex<[SessionID: [String]]>([:])
    /// Sessions remembered at most; past it the memory starts over (an unknown session's events are announced).
    /// An entry is needed only until the events of its write are announced, moments later.
    let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    func remember(_ listeners: [String], of session: SessionID) {
        known.withLock { known in
            if known.count >= capacity, known[session] == nil { known.removeAll(keepingCapacity: true) }
            known[session] = listeners
        }
    }

    /// The instances that listened to `session` when this process last wrote it; nil when it has not (or forgot).
    public func listeners(of session: SessionID) -> [String]? { known.withLock { $0[session] } }
}
