import BatonCore
import Foundation
import Synchronization

/// Passes a user's typing to the agents during an active handover, and only the signals worth passing: a change,
/// or a repeated "on" after `repeatAfter` (dashboards hide a typing indicator that is not refreshed). Keystroke-rate
/// frames never become keystroke-rate desk calls, and no channel waits for the desk.
final class TypingRelay: Sendable {
    static let repeatAfter: TimeInterval = 5
    private let store: any SessionStore
    private let desks: Desks
    private let background: BackgroundWork
    private let now: @Sendable () -> Date
    private let last = Mutex<[SessionID: (on: Bool, at: Date)]>([:])

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

    func shouldForward(_ on: Bool, sessionID: SessionID) -> Bool {
        let now = now()
        return last.withLock { last in
            if last.count > 10_000 { last = last.filter { now.timeIntervalSince($0.value.at) < 60 } }
            if let previous = last[sessionID], previous.on == on, !on || now.timeIntervalSince(previous.at) < Self.repeatAfter { return false }
            last[sessionID] = (on, now)
            return true
        }
    }
}
