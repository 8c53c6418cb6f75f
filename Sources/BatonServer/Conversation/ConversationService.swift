public import BatonCore
import Foundation
public import Logging

/// Runs conversations: stores each user message together with the flow's answer in one transaction, tells the
/// open sockets, and carries out the flow's handover effects.
public struct ConversationService: Sendable {
    public let store: any SessionStore
    public let hub: ConversationHub
    public let endpoints: EndpointRegistry
    let handover: @Sendable (Endpoint) -> any HandoverGateway
    let now: @Sendable () -> Date
    let logger: Logger

    public init(
        store: any SessionStore, hub: ConversationHub, endpoints: EndpointRegistry,
        handover: @escaping @Sendable (Endpoint) -> any HandoverGateway = { _ in UnsupportedHandoverGateway() },
        now: @escaping @Sendable () -> Date = Date.init, logger: Logger
    ) {
        self.store = store
        self.hub = hub
        self.endpoints = endpoints
        self.handover = handover
        self.now = now
        self.logger = logger
    }

    /// What one call produced: the user's message (when there was one) and every message stored because of it.
    public struct Turn: Sendable {
        public var session: Session
        /// The user's stored message; for a re-sent message, the one stored the first time.
        public var userMessage: Message?
        /// Messages stored during this call, the user's included, in order.
        public var messages: [Message]
        /// True when the message had been received before and this call changed nothing.
        public var duplicate: Bool
    }

    // MARK: Sessions

    /// Opens a new session for `userID` (or finds the existing one) and, when new, runs the flow's start.
    public func openSession(endpoint: Endpoint, userID: String, channel: Channel) async throws -> Turn {
        let (session, created) = try await store.findOrCreateSession(
            endpointID: endpoint.id, userID: userID, channel: channel, initialState: ConversationState(), now: now(), makeID: SessionID.random)
        guard created else { return Turn(session: session, userMessage: nil, messages: [], duplicate: false) }
        logger.info("session opened", metadata: ["session": "\(session.id)", "endpoint": "\(endpoint.id)", "channel": "\(channel.rawValue)"])
        return try await apply(.start, to: session.id, endpoint: endpoint, userDraft: nil)
    }

    /// The session with this id if it belongs to `endpoint`.
    public func session(_ id: SessionID, endpoint: Endpoint) async throws -> Session? {
        guard let session = try await store.session(id: id), session.endpointID == endpoint.id else { return nil }
        return session
    }

    // MARK: Turns

    /// Handles a user message: stores it and the flow's answer, or passes it to the agent during a handover.
    /// A message whose `clientMessageID` was already stored has no second effect.
    public func receive(_ input: UserInput, clientMessageID: String?, in sessionID: SessionID, endpoint: Endpoint) async throws -> Turn {
        if let clientMessageID, let existing = try await store.message(sessionID: sessionID, clientMessageID: clientMessageID) {
            return try await duplicateTurn(existing, sessionID: sessionID)
        }
        var data: [String: JSONValue] = [:]
        if let payload = input.payload { data["payload"] = .string(payload) }
        if input.data != .null { data["data"] = input.data }
        let draft = MessageDraft(
            sender: .user, content: MessageContent(text: input.text, data: data.isEmpty ? nil : .object(data)), createdAt: now(),
            clientMessageID: clientMessageID)
        do {
            return try await apply(.message(input), to: sessionID, endpoint: endpoint, userDraft: draft)
        } catch SessionStoreError.duplicateClientMessage(_, let clientID) {
            // Two copies raced past the first check; the store let exactly one in.
            guard let existing = try await store.message(sessionID: sessionID, clientMessageID: clientID) else { throw SessionStoreError.sessionNotFound(sessionID) }
            return try await duplicateTurn(existing, sessionID: sessionID)
        }
    }

    /// Tells the flow that the session's handover ended.
    public func handoverEnded(_ outcome: HandoverOutcome, sessionID: SessionID, endpoint: Endpoint) async throws -> Turn {
        try await apply(.handoverEnded(outcome), to: sessionID, endpoint: endpoint, userDraft: nil)
    }

    /// Runs one flow event in one store transaction, then carries out the effects that need I/O.
    func apply(_ event: FlowEvent, to sessionID: SessionID, endpoint: Endpoint, userDraft: MessageDraft?) async throws -> Turn {
        let engine = endpoint.engine
        let time = now()
        let (outcome, stored) = try await store.update(sessionID: sessionID, now: time) { update in
            if let userDraft { update.append(userDraft) }
            let session = update.session
            let facts = SessionFacts(sessionID: session.id.rawValue, endpointID: session.endpointID, userID: session.userID, channel: session.channel.rawValue)
            let result = engine.handle(event, state: update.state, session: facts)
            update.state = result.state
            for case .say(let content) in result.effects {
                update.append(MessageDraft(sender: .bot, content: content, createdAt: time))
            }
            return (effects: result.effects, problems: result.problems, session: session)
        }
        for problem in outcome.problems {
            logger.error("flow problem", metadata: ["session": "\(sessionID)", "endpoint": "\(endpoint.id)", "problem": "\(problem)"])
        }
        await hub.publish(stored)
        var turn = Turn(session: outcome.session, userMessage: userDraft == nil ? nil : stored.first, messages: stored, duplicate: false)
        for effect in outcome.effects {
            switch effect {
            case .say: continue
            case .relayToAgent:
                if let message = turn.userMessage { await handover(endpoint).relay(message, session: outcome.session, endpoint: endpoint) }
            case .cancelHandover:
                await handover(endpoint).cancel(session: outcome.session, endpoint: endpoint)
            case .requestHandover(let request):
                let more = try await startHandover(request, session: outcome.session, endpoint: endpoint)
                turn.messages += more.messages
            }
        }
        return turn
    }

    func startHandover(_ request: HandoverRequest, session: Session, endpoint: Endpoint) async throws -> Turn {
        let transcript = try await store.messages(sessionID: session.id, after: 0, limit: 10_000)
        switch await handover(endpoint).start(request, session: session, endpoint: endpoint, transcript: transcript) {
        case .accepted:
            guard let accepted = request.acceptedMessage else { return Turn(session: session, userMessage: nil, messages: [], duplicate: false) }
            return try await post(accepted, sender: .bot, to: session.id)
        case .failed(let outcome):
            logger.warning(
                "handover failed",
                metadata: ["session": "\(session.id)", "endpoint": "\(endpoint.id)", "reason": "\(outcome.reason?.rawValue ?? "-")", "detail": "\(outcome.detail ?? "")"])
            return try await handoverEnded(outcome, sessionID: session.id, endpoint: endpoint)
        }
    }

    /// Stores a message that is not a flow turn (a notice, an agent's reply) and tells the sockets.
    public func post(_ content: MessageContent, sender: Sender, agentName: String? = nil, externalID: String? = nil, to sessionID: SessionID) async throws -> Turn {
        let time = now()
        let (session, stored) = try await store.update(sessionID: sessionID, now: time) { update in
            update.append(MessageDraft(sender: sender, content: content, createdAt: time, agentName: agentName, externalID: externalID))
            return update.session
        }
        await hub.publish(stored)
        return Turn(session: session, userMessage: nil, messages: stored, duplicate: false)
    }

    func duplicateTurn(_ existing: Message, sessionID: SessionID) async throws -> Turn {
        guard let session = try await store.session(id: sessionID) else { throw SessionStoreError.sessionNotFound(sessionID) }
        return Turn(session: session, userMessage: existing, messages: [], duplicate: true)
    }
}
