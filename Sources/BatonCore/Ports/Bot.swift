/// Who answers first, before any human: given an event of the conversation (its start, a user message, a
/// handover's end), the bot decides the new state and what to say or do. Pure: no I/O, no clock, no randomness,
/// so one store transaction can run it and every answer can be replayed.
///
/// The YAML flow engine (`Bots/Flow`) is Baton's bot. Bots that answer from elsewhere (a language model, a webhook
/// bot) are reached from a flow's node through the outbox, as desks are, and report back as events.
public protocol Bot: Sendable {
    /// Handles one event.
    func handle(_ event: FlowEvent, state: ConversationState, session: SessionFacts) -> FlowResult
}

extension FlowEngine: Bot {}
