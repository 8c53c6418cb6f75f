import BatonCore
import Foundation
import Synchronization

/// Passes what a user's page says of the user to the agents: their typing during an active handover, and that they
/// saw the agents' messages. Only the signals worth passing go on: a change of typing, or a repeated "on" after
/// `repeatAfter` (dashboards hide a typing indicator that is not refreshed), and a message seen newer than the last
/// passed on. Keystroke-rate frames never become keystroke-rate desk calls, and no channel waits for the desk.
final class UserPresenceRelay: Sendable {
    static let repeatAfter: TimeInterval = 5
    private let store: any SessionStore
    private let desks: Desks
    private let background: BackgroundWork
    private let now: @Sendable () -> Date
    /// What each session's user was last said to do, typing or not, with when.
    private let typing = Mutex<[SessionID: (on: Bool, at: Date)]>([:])
    /// The newest message id each session's user was said to have seen, with when.
    private let seen = Mutex<[SessionID: (id: Int64, at: Date)]>([:])

    init(store: any SessionStore, desks: Desks, background: BackgroundWork, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.desks = desks
        self.background = background
        self.now = now
    }

    /// The user started or stopped typing.
    func userTyping(_ on: Bool, sessionID: SessionID, endpoint: Endpoint) {
        guard shouldForward(on, sessionID: sessionID) else { return }
        background.submit { [store, desks] in
            guard let session = try? await store.session(id: sessionID), let handover = session.state.handover, handover.phase == .active else { return }
            await desks.desk(for: endpoint, channel: session.channel).userTyping(on, handover: handover, session: session)
        }
    }

    /// The user's page showed the messages up to `messageID` (it was in view): the desk may mark the agents' read.
    /// An id the session does not have yet is dropped, not remembered: it would make the real ones look old until it
    /// was reached (the REST routes refuse it up front; a webchat page's frame is only dropped).
    func userSaw(through messageID: Int64, sessionID: SessionID, endpoint: Endpoint) {
        guard isNewer(messageID, sessionID: sessionID, remembering: false) else { return }
        background.submit { [self] in
            guard let session = try? await store.session(id: sessionID), messageID <= session.lastMessageID,
                isNewer(messageID, sessionID: sessionID, remembering: true),
                // Any handover that has a desk conversation: the agents' last replies may be read after it ended.
                let handover = session.state.handover, handover.conversationID != nil
            else { return }
            await desks.desk(for: endpoint, channel: session.channel).userSaw(handover: handover, session: session)
        }
    }

    /// Whether `messageID` is newer than what the session's user was last said to have seen (remembering it, when
    /// asked: once it is known to be one of the session's).
    func isNewer(_ messageID: Int64, sessionID: SessionID, remembering: Bool) -> Bool {
        let now = now()
        return seen.withLock { seen in
            if seen.count > 10_000 { seen = seen.filter { now.timeIntervalSince($0.value.at) < 600 } }
            if let previous = seen[sessionID], previous.id >= messageID { return false }
            if remembering { seen[sessionID] = (messageID, now) }
            return true
        }
    }

    /// Whether this typing signal is worth passing on (and remembers it): a change, or "on" again after `repeatAfter`.
    func shouldForward(_ on: Bool, sessionID: SessionID) -> Bool {
        let now = now()
        return typing.withLock { typing in
            if typing.count > 10_000 { typing = typing.filter { now.timeIntervalSince($0.value.at) < 60 } }
            if let previous = typing[sessionID], previous.on == on, !on || now.timeIntervalSince(previous.at) < Self.repeatAfter { return false }
            typing[sessionID] = (on, now)
            return true
        }
    }
}
