/// A channel whose users Baton reaches by posting (a Chatwoot inbox), rather than one whose clients read from
/// Baton. The outbox hands it each bot message and notice in order (`OutboxJob.reply`), retrying what it cannot
/// take now, exactly as it does a desk's work.
public protocol ReplyChannel: Sendable {
    /// Delivers one message of the session to the user. `attempt` (1 for the first try) lets the channel check
    /// whether an earlier attempt that got no answer went through, so a retry never posts a second copy.
    func deliver(_ message: Message, session: Session, attempt: Int) async -> JobOutcome
}
