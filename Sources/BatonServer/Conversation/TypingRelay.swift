import BatonCore
import Synchronization

/// Decides which of a user's typing signals are worth passing to the agents: a change, or a repeated "on" after
/// `repeatAfter` (dashboards hide a typing indicator that is not refreshed). Keystroke-rate frames never become
/// keystroke-rate API calls.
final class TypingRelay: Sendable {
    static let repeatAfter: Duration = .seconds(5)
    private let last = Mutex<[SessionID: (on: Bool, at: ContinuousClock.Instant)]>([:])

    func shouldForward(_ on: Bool, sessionID: SessionID, now: ContinuousClock.Instant = .now) -> Bool {
        last.withLock { last in
            if last.count > 10_000 { last = last.filter { now - $0.value.at < .seconds(60) } }
            if let previous = last[sessionID], previous.on == on, !on || now - previous.at < Self.repeatAfter { return false }
            last[sessionID] = (on, now)
            return true
        }
    }
}

extension ConversationService {
    /// The user started or stopped typing: during an active handover the provider may show it to the agents.
    public func userTyping(_ on: Bool, sessionID: SessionID, endpoint: Endpoint) {
        guard typingRelay.shouldForward(on, sessionID: sessionID) else { return }
        let provider = provider(endpoint)
        background.submit {
            guard let session = try? await store.session(id: sessionID), let handover = session.state.handover, handover.phase == .active else { return }
            await provider.userTyping(on, handover: handover, session: session, endpoint: endpoint)
        }
    }
}
