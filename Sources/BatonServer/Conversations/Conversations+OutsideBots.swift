public import BatonCore
public import Foundation
import Logging

/// Why the handovers API refused to act on a user.
public enum OutsideBotError: Error, Sendable, Hashable {
    /// The user id already names a session of another channel of the endpoint (a REST or webchat user).
    case userOnAnotherChannel(Channel)
    /// Another channel addressed a user the handovers API owns.
    case userOwnedByOutsideBot
}

/// The write path of sessions a bot outside Baton owns (`Channel.api`, the handovers API): the same steps, store
/// transactions and outbox as every other channel, with `HandoverOnlyBot` as the session's bot.
extension Conversations {
    /// Opens a handover for the outside bot's user `userID` (finding or creating the user's session), storing
    /// `transcript` first and merging `profile` into the user's. While a handover is opening or running this
    /// changes nothing (a retried request is harmless).
    /// - Returns: the session after the step, and whether it opened a handover (false: one was live already).
    /// - Throws: `OutsideBotError` when the user id belongs to another channel's session.
    public func openHandover(
        _ request: HandoverRequest, transcript: [MessageDraft], profile: [String: JSONValue], userID: String, endpoint: Endpoint
    ) async throws -> (session: Session, opened: Bool) {
        let session = try await outsideBotSession(userID: userID, endpoint: endpoint)
        var fresh: [MessageDraft] = []
        for draft in transcript {
            // An item given again (the same transcript sent for a later handover) is stored once.
            if let id = draft.clientMessageID, try await store.message(sessionID: session.id, clientMessageID: id) != nil { continue }
            fresh.append(draft)
        }
        let transcript = fresh
        let turn = try await step(session.id, endpoint: endpoint) { machine, state in
            machine.openHandover(request, transcript: transcript, profile: profile, state: state)
        }
        // The turn's session is the one the step's transaction began with.
        let after = try await current(session.id)
        return (after, after.state.handover?.number != turn.session.state.handover?.number)
    }

    /// Ends the user's handover that is opening or running; nothing happens when none is.
    /// - Returns: the session after the step.
    public func closeHandover(sessionID: SessionID, endpoint: Endpoint) async throws -> Session {
        _ = try await step(sessionID, endpoint: endpoint) { machine, state in machine.closeHandover(state: state) }
        return try await current(sessionID)
    }

    /// The outside bot said `content` to its user (at `createdAt`, its own clock, when it says so). A
    /// `clientMessageID` stored before has no second effect.
    /// - Throws: `MessageLimitError` when the session sends too fast or too much (nothing is stored then).
    public func outsideBotSaid(_ content: MessageContent, at createdAt: Date?, clientMessageID: String?, sessionID: SessionID, endpoint: Endpoint) async throws -> Turn {
        if let clientMessageID, let existing = try await store.message(sessionID: sessionID, clientMessageID: clientMessageID) {
            return try await duplicateTurn(existing, sessionID: sessionID)
        }
        try await counted { try limits.checkLength(content.text) }
        let time = createdAt ?? now()
        do {
            return try await counted {
                try await step(sessionID, endpoint: endpoint, rateLimited: true) { machine, state in
                    machine.outsideBotSaid(content, at: time, clientMessageID: clientMessageID, state: state)
                }
            }
        } catch SessionStoreError.duplicateClientMessage(_, let clientID) {
            guard let existing = try await store.message(sessionID: sessionID, clientMessageID: clientID) else { throw SessionStoreError.sessionNotFound(sessionID) }
            return try await duplicateTurn(existing, sessionID: sessionID)
        }
    }

    /// The outside bot's user's session on the endpoint, created (silent: no flow runs) on first use.
    func outsideBotSession(userID: String, endpoint: Endpoint) async throws -> Session {
        let (session, created) = try await store.findOrCreateSession(
            endpointID: endpoint.id, userID: userID, channel: .api, initialState: ConversationState(), now: now(), makeID: SessionID.random)
        guard session.channel == .api else { throw OutsideBotError.userOnAnotherChannel(session.channel) }
        if created { logger.info("session opened", metadata: ["session": "\(session.id)", "endpoint": "\(endpoint.id)", "channel": "api"]) }
        return session
    }

    func current(_ sessionID: SessionID) async throws -> Session {
        guard let session = try await store.session(id: sessionID) else { throw SessionStoreError.sessionNotFound(sessionID) }
        return session
    }
}
