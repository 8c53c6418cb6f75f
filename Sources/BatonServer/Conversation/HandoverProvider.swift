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
    /// It could not be opened; the flow goes on with this outcome.
    case failed(HandoverOutcome)
}

/// What a provider says about a transcript message it was asked to post.
public enum PostResult: Sendable, Hashable {
    /// Posted (or deliberately not posted, e.g. an agent's own message); the sync moves past it.
    case done
    /// Not posted now; the sync stops here and tries again later.
    case retryLater
}

/// The I/O side of handovers on one provider (Chatwoot). Everything it does is asked for by the pure
/// `ConversationMachine`; what the provider reports back (agent replies, status changes) reaches
/// `ConversationService` through the provider's webhook route.
public protocol HandoverProvider: Sendable {
    /// Opens a provider conversation for the session (contact included), or says why it cannot.
    func open(_ request: HandoverRequest, number: Int, session: Session, endpoint: Endpoint) async -> OpenResult
    /// Posts one transcript message to the provider conversation.
    func post(_ message: Message, handover: HandoverState, session: Session, endpoint: Endpoint) async -> PostResult
    /// Posts a private note for the agents (not shown to the user), e.g. that older history was left out.
    func note(_ text: String, handover: HandoverState, session: Session, endpoint: Endpoint) async -> PostResult
    /// Resolves the provider conversation because the user left.
    func close(conversationID: Int, session: Session, endpoint: Endpoint) async
}

/// The provider of endpoints without one: every handover fails as `unsupported`, so the flow can say so and go on
/// instead of leaving the user waiting.
public struct UnsupportedHandoverProvider: HandoverProvider {
    public init() {}

    public func open(_ request: HandoverRequest, number: Int, session: Session, endpoint: Endpoint) async -> OpenResult {
        .failed(HandoverOutcome(status: .error, reason: .unsupported, detail: "endpoint '\(endpoint.id)' has no handover provider"))
    }

    public func post(_ message: Message, handover: HandoverState, session: Session, endpoint: Endpoint) async -> PostResult { .done }

    public func note(_ text: String, handover: HandoverState, session: Session, endpoint: Endpoint) async -> PostResult { .done }

    public func close(conversationID: Int, session: Session, endpoint: Endpoint) async {}
}
