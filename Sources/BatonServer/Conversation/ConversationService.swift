public import BatonCore
public import Foundation
public import Logging
import ServiceLifecycle

/// Runs conversations. Every event (a user message, a handover event, an agent's reply) is one store transaction
/// in which the pure `ConversationMachine` decides the new state and the messages to store; afterwards the open
/// sockets are told, and provider work runs in the background so no request waits for Chatwoot.
public struct ConversationService: Sendable {
    public let store: any SessionStore
    public let hub: ConversationHub
    public let endpoints: EndpointRegistry
    let provider: @Sendable (Endpoint) -> any HandoverProvider
    let background: BackgroundWork
    let sync: HandoverSync
    let now: @Sendable () -> Date
    let logger: Logger

    public init(
        store: any SessionStore, hub: ConversationHub, endpoints: EndpointRegistry, background: BackgroundWork,
        provider: @escaping @Sendable (Endpoint) -> any HandoverProvider = { _ in UnsupportedHandoverProvider() },
        now: @escaping @Sendable () -> Date = Date.init, syncRetryBase: Duration = .seconds(1), logger: Logger
    ) {
        self.sync = HandoverSync(retryBase: syncRetryBase)
        self.store = store
        self.hub = hub
        self.endpoints = endpoints
        self.background = background
        self.provider = provider
        self.now = now
        self.logger = logger
    }

    /// What one call stored.
    public struct Turn: Sendable {
        /// The session as it was before the call.
        public var session: Session
        /// The user's stored message; for a re-sent message, the one stored the first time.
        public var userMessage: Message?
        /// Messages stored by this call, the user's included, in order.
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
        return try await step(session.id, endpoint: endpoint) { machine, state in machine.handle(.start, state: state) }
    }

    /// The session with this id if it belongs to `endpoint`.
    public func session(_ id: SessionID, endpoint: Endpoint) async throws -> Session? {
        guard let session = try await store.session(id: id), session.endpointID == endpoint.id else { return nil }
        return session
    }

    // MARK: Events

    /// A user message: stored with the flow's answer, or passed to the agent during a handover. A message whose
    /// `clientMessageID` was stored before has no second effect.
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
            return try await step(sessionID, endpoint: endpoint, userDraft: draft) { machine, state in machine.handle(.message(input), state: state) }
        } catch SessionStoreError.duplicateClientMessage(_, let clientID) {
            // Two copies raced past the first check; the store let exactly one in.
            guard let existing = try await store.message(sessionID: sessionID, clientMessageID: clientID) else { throw SessionStoreError.sessionNotFound(sessionID) }
            return try await duplicateTurn(existing, sessionID: sessionID)
        }
    }

    /// A handover event reported by the provider.
    @discardableResult
    public func handover(_ event: HandoverEvent, sessionID: SessionID, endpoint: Endpoint) async throws -> Turn {
        try await step(sessionID, endpoint: endpoint) { machine, state in machine.handle(event, state: state) }
    }

    /// An agent's message for the user. `externalID` (the provider's message id) makes a repeated delivery harmless.
    /// - Returns: the stored message, or `nil` when it had been delivered before.
    @discardableResult
    public func agentMessage(
        _ content: MessageContent, agentName: String?, externalID: String, sessionID: SessionID
    ) async throws -> Message? {
        let time = now()
        do {
            let (_, stored) = try await store.update(sessionID: sessionID, now: time) { update in
                update.append(MessageDraft(sender: .agent, content: content, createdAt: time, agentName: agentName, externalID: externalID))
            }
            await hub.publish(stored)
            return stored.first
        } catch SessionStoreError.duplicateExternalMessage {
            return nil
        }
    }

    /// The provider's message `externalID` was deleted by its author.
    public func retract(externalID: String, sessionID: SessionID) async throws {
        guard let message = try await store.retract(sessionID: sessionID, externalID: externalID) else { return }
        await hub.publish(.retracted(messageID: message.id), to: sessionID)
    }

    /// An agent started or stopped typing.
    public func typing(_ on: Bool, sessionID: SessionID) async {
        await hub.publish(.typing(sender: .agent, on: on), to: sessionID)
    }

    // MARK: Steps

    /// Runs one machine step in one store transaction, tells the sockets, and queues the provider work.
    func step(
        _ sessionID: SessionID, endpoint: Endpoint, userDraft: MessageDraft? = nil,
        _ work: @escaping @Sendable (ConversationMachine, ConversationState) -> ConversationStep
    ) async throws -> Turn {
        let time = now()
        let engine = endpoint.engine
        let (outcome, stored) = try await store.update(sessionID: sessionID, now: time) { update in
            if let userDraft { update.append(userDraft) }
            let session = update.session
            let facts = SessionFacts(sessionID: session.id.rawValue, endpointID: session.endpointID, userID: session.userID, channel: session.channel.rawValue)
            let step = work(ConversationMachine(engine: engine, session: facts, now: time), update.state)
            update.state = step.state
            step.messages.forEach { update.append($0) }
            return (commands: step.commands, problems: step.problems, session: session)
        }
        for problem in outcome.problems {
            logger.error("flow problem", metadata: ["session": "\(sessionID)", "endpoint": "\(endpoint.id)", "problem": "\(problem)"])
        }
        await hub.publish(stored)
        if !outcome.commands.isEmpty {
            let commands = outcome.commands
            background.submit { await perform(commands, sessionID: sessionID, endpoint: endpoint) }
        }
        return Turn(session: outcome.session, userMessage: userDraft == nil ? nil : stored.first, messages: stored, duplicate: false)
    }

    /// Carries out provider commands, feeding their outcomes back as handover events.
    func perform(_ commands: [ProviderCommand], sessionID: SessionID, endpoint: Endpoint) async {
        let provider = provider(endpoint)
        for command in commands {
            do {
                guard let session = try await store.session(id: sessionID) else { return }
                switch command {
                case .open(let request, let number):
                    switch await provider.open(request, number: number, session: session, endpoint: endpoint) {
                    case .opened(let opened):
                        try await handover(
                            .opened(number: number, contactID: opened.contactID, conversationID: opened.conversationID, inboxID: opened.inboxID),
                            sessionID: sessionID, endpoint: endpoint)
                    case .failed(let outcome):
                        logger.warning(
                            "handover could not start",
                            metadata: ["session": "\(sessionID)", "endpoint": "\(endpoint.id)", "reason": "\(outcome.reason?.rawValue ?? "-")", "detail": "\(outcome.detail ?? "")"])
                        try await handover(.failedToOpen(number: number, outcome), sessionID: sessionID, endpoint: endpoint)
                    }
                case .sync:
                    let outcome = await sync.sync(sessionID, endpoint: endpoint, store: store, provider: provider, now: now, logger: logger)
                    if case .stalled(let delay) = outcome { retrySync(sessionID, endpoint: endpoint, after: delay) }
                case .close(let conversationID):
                    await sync.waitUntilIdle(sessionID)
                    await provider.close(conversationID: conversationID, session: session, endpoint: endpoint)
                }
            } catch {
                logger.error("provider work failed", metadata: ["session": "\(sessionID)", "error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Tries a stalled sync again later. A graceful shutdown ends the wait (the sync resumes with the next event).
    func retrySync(_ sessionID: SessionID, endpoint: Endpoint, after delay: Duration) {
        logger.info("handover sync will retry", metadata: ["session": "\(sessionID)", "after": "\(delay)"])
        background.submit {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
            } catch {
                return
            }
            await perform([.sync], sessionID: sessionID, endpoint: endpoint)
        }
    }

    func duplicateTurn(_ existing: Message, sessionID: SessionID) async throws -> Turn {
        guard let session = try await store.session(id: sessionID) else { throw SessionStoreError.sessionNotFound(sessionID) }
        return Turn(session: session, userMessage: existing, messages: [], duplicate: true)
    }
}
