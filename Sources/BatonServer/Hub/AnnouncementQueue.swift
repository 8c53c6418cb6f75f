import BatonCore
import Synchronization

/// What a relayed hub published and its `HubFanOut` has not sent yet, in publication order, for the fan-out to take
/// in batches (one round trip each). It keeps the newest `capacity` while the relay cannot send: the other
/// instances' sockets catch up from the store.
///
/// Stored messages and handover phases may instead be announced by the transaction that stores them
/// (``announceInTransaction(_:)``); when the hub publishes them after the commit, they are not queued again.
public final class AnnouncementQueue: Sendable {
    private struct State {
        var pending: [HubAnnouncement] = []
        /// The sessions of the batch the fan-out took and has not sent yet.
        var sending: Set<SessionID> = []
        /// Announced by a transaction that stores them, so not to be queued when the hub publishes them. One whose
        /// transaction did not commit is never published and stays; a repeat of it is harmless, so the set is
        /// simply emptied when it grows past `capacity`.
        var announced: Set<HubAnnouncement> = []
    }

    private let state = Mutex(State())
    private let bell = Doorbell()
    let capacity: Int

    /// The most waiting events `announceInTransaction(_:)` looks through: a few batches' worth.
    static let lookedThrough = 64

    init(capacity: Int) { self.capacity = capacity }

    func append(_ announcement: HubAnnouncement) {
        let queued = state.withLock { state in
            if state.announced.remove(announcement) != nil { return false }
            if state.pending.count >= capacity { state.pending.removeFirst(state.pending.count - capacity + 1) }
            state.pending.append(announcement)
            return true
        }
        if queued { bell.ring() }
    }

    /// Whether `announcements` may go out in the transaction that stores them, ahead of their publication: only
    /// when no event of their sessions published before waits to be sent or is on its way, which they would
    /// overtake (a session's sockets see its events in order; events of different sessions may pass each other).
    /// Those it allows are not queued when published; those it refuses are, as usual.
    /// While more than `lookedThrough` events wait, the fan-out is behind and every message joins them: this runs in
    /// every write transaction, under the lock every publication takes, and must not read a long queue.
    func announceInTransaction(_ announcements: [HubAnnouncement]) -> Bool {
        state.withLock { state in
            let sessions = Set(announcements.map(\.sessionID))
            let behind = state.pending.count > Self.lookedThrough || !state.sending.isDisjoint(with: sessions)
                || state.pending.contains { sessions.contains($0.sessionID) }
            guard !behind else {
                state.announced.subtract(announcements)
                return false
            }
            if state.announced.count + announcements.count > capacity { state.announced = [] }
            state.announced.formUnion(announcements)
            return true
        }
    }

    /// The oldest `limit` announcements, waiting for one when there is none; nil once the task is cancelled.
    /// One consumer at a time, which calls `sent()` once it has sent them.
    func next(upTo limit: Int) async -> [HubAnnouncement]? {
        while !Task.isCancelled {
            let batch: [HubAnnouncement] = state.withLock { state in
                let batch = Array(state.pending.prefix(limit))
                state.pending.removeFirst(batch.count)
                state.sending = Set(batch.map(\.sessionID))
                return batch
            }
            if !batch.isEmpty { return batch }
            await bell.wait()
        }
        return nil
    }

    /// The batch `next(upTo:)` gave is sent (or given up).
    func sent() {
        state.withLock { $0.sending = [] }
    }
}
