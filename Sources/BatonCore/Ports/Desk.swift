public import Foundation

/// Where humans answer: a help desk in which handovers open conversations (Chatwoot today).
///
/// A desk serves one endpoint. Everything it does is asked for by the pure `ConversationMachine` and carried out
/// by the outbox, which retries what the desk cannot take now; each call answers in the outbox's own vocabulary,
/// `JobOutcome`. `attempt` (1 for the first try) lets a desk check whether an earlier attempt that got no answer
/// had in fact gone through, so a retry never makes a second conversation or a second copy of a message. What the
/// desk reports on its own (agent replies, status changes) reaches the conversation through the desk's webhook route.
public protocol Desk: Sendable {
    /// Opens a desk conversation for the session (contact included). Answers `.reported(.opened(…))` once it is
    /// open, `.reported(.failedToOpen(…))` when it never will be, or a retry.
    func open(_ request: HandoverRequest, number: Int, session: Session, attempt: Int) async -> JobOutcome
    /// Posts one transcript message to the desk conversation.
    func post(_ message: Message, handover: HandoverState, session: Session, attempt: Int) async -> JobOutcome
    /// Posts a private note for the agents (not shown to the user), e.g. that older history was left out.
    func note(_ text: String, handover: HandoverState, session: Session, attempt: Int) async -> JobOutcome
    /// Resolves the desk conversation because the user left.
    func close(conversationID: Int, session: Session, attempt: Int) async -> JobOutcome
    /// The agents' messages in the handover's conversation after `handover.reconciledThrough`, read through the
    /// desk's API to make up for webhooks that never arrived; `nil` when it cannot be read now.
    func history(of handover: HandoverState, session: Session) async -> DeskHistory?
    /// Shows the agents that the user is (or stopped) typing; best effort, never retried.
    func userTyping(_ on: Bool, handover: HandoverState, session: Session) async
    /// Tells the desk the user saw the agents' messages so far (their page showed them); best effort, never retried.
    func userSaw(handover: HandoverState, session: Session) async
    /// Sends the user's answer to the desk's satisfaction survey.
    func answerSurvey(_ answer: SurveyAnswer, session: Session, attempt: Int) async -> JobOutcome
    /// Gives the conversation back after an agent handed the user to the bot without resolving.
    func release(conversationID: Int, session: Session, attempt: Int) async -> JobOutcome
}

extension Desk {
    public func history(of handover: HandoverState, session: Session) async -> DeskHistory? { nil }
    public func userTyping(_ on: Bool, handover: HandoverState, session: Session) async {}
    public func userSaw(handover: HandoverState, session: Session) async {}
    public func answerSurvey(_ answer: SurveyAnswer, session: Session, attempt: Int) async -> JobOutcome { .done }
    public func release(conversationID: Int, session: Session, attempt: Int) async -> JobOutcome { .done }
}

/// An agent's message read back from a desk by reconciliation.
public struct DeskMessage: Sendable, Hashable {
    /// The desk's message id, as stored in `Message.externalID`.
    public var externalID: String
    /// Its place in the desk's order (`MessageDraft.externalOrder`).
    public var order: Int64
    public var content: MessageContent
    public var agentName: String?
    /// The agent deleted it.
    public var deleted: Bool
    /// When the agent sent it, when the desk says.
    public var sentAt: Date?

    public init(externalID: String, order: Int64, content: MessageContent, agentName: String?, deleted: Bool, sentAt: Date? = nil) {
        self.externalID = externalID
        self.order = order
        self.content = content
        self.agentName = agentName
        self.deleted = deleted
        self.sentAt = sentAt
    }
}

/// What reconciliation read from a desk conversation.
public struct DeskHistory: Sendable, Hashable {
    /// The agents' messages for the user, oldest first.
    public var messages: [DeskMessage]
    /// The newest desk message id read: everything up to it has been seen.
    public var through: Int64
    /// The conversation's status as its status event would report it, when what was read says it changed (its
    /// event may have been lost too); applied after the messages.
    public var status: HandoverEvent?

    public init(messages: [DeskMessage], through: Int64, status: HandoverEvent? = nil) {
        self.messages = messages
        self.through = through
        self.status = status
    }
}

/// The desk of endpoints without one: every handover fails as `unsupported`, so the flow can say so and go on
/// instead of leaving the user waiting.
public struct UnsupportedDesk: Desk {
    public init() {}

    public func open(_ request: HandoverRequest, number: Int, session: Session, attempt: Int) async -> JobOutcome {
        .reported(
            .failedToOpen(
                number: number, HandoverOutcome(status: .error, reason: .unsupported, detail: "endpoint '\(session.endpointID)' has no handover desk")))
    }

    public func post(_ message: Message, handover: HandoverState, session: Session, attempt: Int) async -> JobOutcome { .done }

    public func note(_ text: String, handover: HandoverState, session: Session, attempt: Int) async -> JobOutcome { .done }

    public func close(conversationID: Int, session: Session, attempt: Int) async -> JobOutcome { .done }
}
