import BatonConfig
import BatonCore

/// Passes an agent's typing on to the outside bot whose user they write to, when the endpoint has a callback (the
/// webchat hears of it through the hub): in the background, so the desk's webhook is answered at once, and only
/// while the handover is active.
struct AgentTypingNotices: Sendable {
    let store: any SessionStore
    let callbacks: HandoverCallbacks
    let background: BackgroundWork

    func agentTyping(_ on: Bool, sessionID: SessionID, endpoint: Endpoint) {
        guard endpoint.configuration.rest.callback != nil else { return }
        background.submit { [store, callbacks] in
            guard let session = try? await store.session(id: sessionID), session.channel.isOwnedByOutsideBot,
                let handover = session.state.handover, handover.phase == .active
            else { return }
            await callbacks.agentTyping(on, session: session, handover: handover)
        }
    }
}
