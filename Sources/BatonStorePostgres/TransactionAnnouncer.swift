public import BatonCore
import Synchronization

/// Tells the other instances of the message a write takes back, the messages it stores and the handover phase it moves
/// to, from inside the statement that stores them, so PostgreSQL delivers the notifications exactly when the
/// transaction commits: no statement or transaction of their own, and none missed when the writing instance dies
/// between its commit and an announcement sent after it. The hub's fan-out gives one to the store through its relay
/// (`PostgresNotifications.announceInTransactions(with:)`).
public protocol TransactionAnnouncer: Sendable {
    /// What tells the instances listening to `session` of `retracted` (the id of the message the write took back),
    /// `messages` (its own) and then of `phase` (its handover's new phase, when the write moves it), in order (the
    /// retraction, a moved copy's move, then every message, then the phase, as the hub publishes them), each payload
    /// with the instances it is for (nil: every instance), as `PostgresNotifications.send` takes them; nil when they
    /// must be announced after the commit instead, like any other event (while events of their session published
    /// before them still wait to be sent, which they must not overtake).
    /// Asked while the write's transaction runs, after its session's row was locked, so the listeners are this
    /// write's (`HubListeners`).
    func announcements(of session: SessionID, retracted: Int64?, messages: [Message], phase: HandoverPhase?) -> [(payload: String, to: [String]?)]?
}

/// What a store's save statements ask for the notifications of the messages they store, once its fan-out has given
/// an announcer: each payload with the channel of each instance it is for.
final class TransactionAnnouncerSlot: Sendable {
    private struct Announcing: Sendable {
        let announcer: any TransactionAnnouncer
        /// The shared channel, whose name each instance's own channel starts with (`PostgresNotifications`).
        let channel: String
    }

    // Not a closure: a function value kept in a generic container is re-wrapped in a conversion thunk on every
    // access through `withLock`'s `inout`, and the wrappers pile up (every save statement walked them all).
    private let current = Mutex<Announcing?>(nil)

    func set(_ announcer: any TransactionAnnouncer, channel: String) {
        current.withLock { $0 = Announcing(announcer: announcer, channel: channel) }
    }

    /// The notifications of `step`'s retraction, messages and handover phase, each on its channel; nil when there is
    /// no announcer or it declines.
    func notifications(of step: PostgresSessionStore.StepWrite) -> [(channel: String, payload: String)]? {
        guard let announcing = current.withLock({ $0 }),
            let announcements = announcing.announcer.announcements(
                of: step.sessionID, retracted: step.update.retracted?.id, messages: step.messages, phase: step.update.handoverPhase)
        else { return nil }
        return announcements.flatMap { payload, instances in
            PostgresNotifications.channels(of: instances, shared: announcing.channel).map { (channel: $0, payload: payload) }
        }
    }
}
