public import BatonCore

/// A provider conversation that was opened for a handover.
public struct OpenedConversation: Sendable, Hashable {
    public var contactID: Int
    public var conversationID: Int
    public var inboxID: Int
    public init(contactID: Int, conversationID: Int, inboxID: Int) {
        self.contactID = contactID
        self.conversationID = conversationID
        self.inboxID = inboxID
    }
}

/// What became of opening a provider conversation.
public enum OpenResult: Sendable, Hashable {
    case opened(OpenedConversation)
    /// It could not be opened now (the provider is down or rate limiting): the outbox tries again.
    case retry(String)
    /// A call got no answer and may still be carried out: the outbox tries again after `settle`, when the retry can
    /// find what that call made instead of making a second conversation.
    case unsettled(String, settle: Duration)
    /// It could not be opened; the flow goes on with this outcome.
    case failed(HandoverOutcome)
}

/// What a provider says about a request it was asked to make (post a message or note, close a conversation).
public enum DeliveryResult: Sendable, Hashable {
    /// Made (or deliberately not made, e.g. an agent's own message is never posted back).
    case done
    /// Not made now (rate limit, outage): the outbox tries again later, the session's later jobs wait.
    case retry(String)
    /// Sent but not answered (a timeout): the provider may still carry it out, so the outbox tries again only after
    /// `settle`, when a retry can see whether it did.
    case unsettled(String, settle: Duration)
    /// Refused for good (the same request would be refused again): the job is dead-lettered at once.
    case refused(String)
}

/// An agent's message read back from the provider by reconciliation.
public struct ProviderMessage: Sendable, Hashable {
    /// The provider's message id, as stored in `Message.externalID`.
    public var externalID: String
    /// Its place in the provider's order (`MessageDraft.externalOrder`).
    public var order: Int64
    public var content: MessageContent
    public var agentName: String?
    /// The agent deleted it.
    public var deleted: Bool

    public init(externalID: String, order: Int64, content: MessageContent, agentName: String?, deleted: Bool) {
        self.externalID = externalID
        self.order = order
        self.content = content
        self.agentName = agentName
        self.deleted = deleted
    }
}

/// What reconciliation read from a provider conversation.
public struct ProviderHistory: Sendable, Hashable {
    /// The agents' messages for the user, oldest first.
    public var messages: [ProviderMessage]
    /// The newest provider message id read: everything up to it has been seen.
    public var through: Int64

    public init(messages: [ProviderMessage], through: Int64) {
        self.messages = messages
        self.through = through
    }
}

/// The I/O side of handovers on one provider (Chatwoot). Everything it does is asked for by the pure
/// `ConversationMachine` and carried out by the outbox worker, which retries what the provider cannot take now;
/// `attempt` (1 for the first try) lets a provider check whether an earlier attempt that got no answer had in fact
/// gone through, so a retry never makes a second conversation or a second copy of a message. What the provider
/// reports back (agent replies, status changes) reaches `ConversationService` through the provider's webhook route.
public protocol HandoverProvider: Sendable {
    /// Opens a provider conversation for the session (contact included), or says why it cannot.
    func open(_ request: HandoverRequest, number: Int, session: Session, endpoint: Endpoint, attempt: Int) async -> OpenResult
    /// Posts one transcript message to the provider conversation.
    func post(_ message: Message, handover: HandoverState, session: Session, endpoint: Endpoint, attempt: Int) async -> DeliveryResult
    /// Posts a private note for the agents (not shown to the user), e.g. that older history was left out.
    func note(_ text: String, handover: HandoverState, session: Session, endpoint: Endpoint, attempt: Int) async -> DeliveryResult
    /// Resolves the provider conversation because the user left.
    func close(conversationID: Int, session: Session, endpoint: Endpoint, attempt: Int) async -> DeliveryResult
    /// The agents' messages in the handover's conversation after `handover.reconciledThrough`, read through the
    /// provider's API to make up for webhooks that never arrived; `nil` when it cannot be read now.
    func history(of handover: HandoverState, session: Session, endpoint: Endpoint) async -> ProviderHistory?
    /// Shows the agents that the user is (or stopped) typing; best effort, never retried.
    func userTyping(_ on: Bool, handover: HandoverState, session: Session, endpoint: Endpoint) async
}

extension HandoverProvider {
    public func history(of handover: HandoverState, session: Session, endpoint: Endpoint) async -> ProviderHistory? { nil }
    public func userTyping(_ on: Bool, handover: HandoverState, session: Session, endpoint: Endpoint) async {}
}

/// The provider of endpoints without one: every handover fails as `unsupported`, so the flow can say so and go on
/// instead of leaving the user waiting.
public struct UnsupportedHandoverProvider: HandoverProvider {
    public init() {}

    public func open(_ request: HandoverRequest, number: Int, session: Session, endpoint: Endpoint, attempt: Int) async -> OpenResult {
        .failed(HandoverOutcome(status: .error, reason: .unsupported, detail: "endpoint '\(endpoint.id)' has no handover provider"))
    }

    public func post(_ message: Message, handover: HandoverState, session: Session, endpoint: Endpoint, attempt: Int) async -> DeliveryResult { .done }

    public func note(_ text: String, handover: HandoverState, session: Session, endpoint: Endpoint, attempt: Int) async -> DeliveryResult { .done }

    public func close(conversationID: Int, session: Session, endpoint: Endpoint, attempt: Int) async -> DeliveryResult { .done }
}
