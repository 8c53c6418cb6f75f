public import BatonConfig
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
    let outbox: OutboxWorker
    let reconciler: Reconciler
    let metrics: BatonMetrics
    let limits: MessageLimits
    let typingRelay = TypingRelay()
    let now: @Sendable () -> Date
    let logger: Logger

    public init(
        store: any SessionStore, hub: ConversationHub, endpoints: EndpointRegistry, background: BackgroundWork, outbox: OutboxWorker,
        metrics: BatonMetrics, limits: MessageLimits = MessageLimits(LimitSettings()), provider: @escaping @Sendable (Endpoint) -> any HandoverProvider = { _ in UnsupportedHandoverProvider() },
        now: @escaping @Sendable () -> Date = Date.init, logger: Logger
    ) {
        self.store = store
        self.hub = hub
        self.endpoints = endpoints
        self.background = background
        self.outbox = outbox
        self.reconciler = Reconciler()
        self.metrics = metrics
        self.limits = limits
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

    /// Merges `values` into the session's profile (what the flow reads as `profile.*` and agents see).
    /// - Returns: the updated session.
    @discardableResult
    public func updateProfile(_ values: [String: JSONValue], sessionID: SessionID) async throws -> Session {
        try await store.update(sessionID: sessionID, now: now()) { update in
            var profile: [String: JSONValue] = if case .object(let current) = update.state.profile { current } else { [:] }
            profile.merge(values) { _, new in new }
            update.state.profile = .object(profile)
            // No message is appended, so the session is the one read, with its new state.
            var session = update.session
            session.state = update.state
            return session
        }.result
    }

    /// The session with this id if it belongs to `endpoint`.
    public func session(_ id: SessionID, endpoint: Endpoint) async throws -> Session? {
        guard let session = try await store.session(id: id), session.endpointID == endpoint.id else { return nil }
        return session
    }

    // MARK: Events

    /// A user message: stored with the flow's answer, or passed to the agent during a handover. A message whose
    /// `clientMessageID` was stored before has no second effect.
    /// - Throws: `MessageLimitError` when the session sends too fast or too much (nothing is stored then).
    public func receive(
        _ input: UserInput, attachments: [Attachment] = [], clientMessageID: String?, in sessionID: SessionID, endpoint: Endpoint
    ) async throws -> Turn {
        if let clientMessageID, let existing = try await store.message(sessionID: sessionID, clientMessageID: clientMessageID) {
            return try await duplicateTurn(existing, sessionID: sessionID)
        }
        do {
            try limits.admit(input.text, sessionID: sessionID)
        } catch {
            metrics.refused(error.description.hasPrefix("too many") ? "rate" : "length")
            throw error
        }
        var data: [String: JSONValue] = [:]
        if let payload = input.payload { data["payload"] = .string(payload) }
        if input.data != .null { data["data"] = input.data }
        let draft = MessageDraft(
            sender: .user, content: MessageContent(text: input.text, attachments: attachments, data: data.isEmpty ? nil : .object(data)), createdAt: now(),
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
        _ content: MessageContent, agentName: String?, externalID: String, order: Int64? = nil, sessionID: SessionID
    ) async throws -> Message? {
        let time = now()
        do {
            let (_, stored) = try await store.update(sessionID: sessionID, now: time) { update in
                update.append(
                    MessageDraft(sender: .agent, content: content, createdAt: time, agentName: agentName, externalID: externalID, externalOrder: order))
                update.passOverAppended()
            }
            // Messages that arrived before this one but come after it in the provider's order moved down.
            for copy in stored {
                if let original = copy.movedFrom { await hub.publish(.moved(messageID: original, to: copy.id), to: sessionID) }
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

    /// Runs one machine step in one store transaction (its provider work saved in the outbox with it), tells the
    /// sockets, and wakes the outbox worker.
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
            let jobs = OutboxPlanner.jobs(for: step.commands, state: &update.state, lastMessageID: update.lastMessageID, sessionID: session.id.rawValue)
            jobs.forEach { update.enqueue($0) }
            return (jobs: jobs.count, problems: step.problems, session: session)
        }
        for problem in outcome.problems {
            logger.error("flow problem", metadata: ["session": "\(sessionID)", "endpoint": "\(endpoint.id)", "problem": "\(problem)"])
        }
        await hub.publish(stored)
        if outcome.jobs > 0 { outbox.wake() }
        return Turn(session: outcome.session, userMessage: userDraft == nil ? nil : stored.first, messages: stored, duplicate: false)
    }

    func duplicateTurn(_ existing: Message, sessionID: SessionID) async throws -> Turn {
        guard let session = try await store.session(id: sessionID) else { throw SessionStoreError.sessionNotFound(sessionID) }
        return Turn(session: session, userMessage: existing, messages: [], duplicate: true)
    }
}
