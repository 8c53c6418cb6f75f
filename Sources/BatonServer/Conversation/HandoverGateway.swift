public import BatonCore

/// What became of a request to start a handover.
public enum HandoverStart: Sendable, Hashable {
    /// The provider opened the conversation; agents will answer through it.
    case accepted
    /// It could not start; the flow goes on with this outcome.
    case failed(HandoverOutcome)
}

/// Connects sessions with human agents on a provider (Chatwoot). The conversation service calls it for the
/// effects a flow produces; the provider reports agent messages and the end of a handover back through
/// `ConversationService`.
public protocol HandoverGateway: Sendable {
    /// Opens a handover for the session, with its transcript so far.
    func start(_ request: HandoverRequest, session: Session, endpoint: Endpoint, transcript: [Message]) async -> HandoverStart
    /// Passes a user message to the agent.
    func relay(_ message: Message, session: Session, endpoint: Endpoint) async
    /// Ends the handover at the user's request.
    func cancel(session: Session, endpoint: Endpoint) async
}

/// The gateway of endpoints that have no handover provider: every handover fails as `unsupported`, so the flow
/// can say so and carry on instead of leaving the user waiting.
public struct UnsupportedHandoverGateway: HandoverGateway {
    public init() {}

    public func start(_ request: HandoverRequest, session: Session, endpoint: Endpoint, transcript: [Message]) async -> HandoverStart {
        .failed(HandoverOutcome(status: .error, reason: .unsupported, detail: "endpoint '\(endpoint.id)' has no handover provider"))
    }

    public func relay(_ message: Message, session: Session, endpoint: Endpoint) async {}

    public func cancel(session: Session, endpoint: Endpoint) async {}
}
