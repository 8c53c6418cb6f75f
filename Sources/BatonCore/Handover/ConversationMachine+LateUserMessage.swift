extension ConversationMachine {
    /// The note that tells the agents why Baton resolved the conversation again.
    public static let lateUserMessageNote =
        "Baton: the user's message above reached this conversation after it was resolved, and reopened it. The user is with the bot again, so Baton resolved the conversation again; reopen it to have the user back."

    /// How much earlier than the truth the desk may state a message's time: Chatwoot gives it to the millisecond,
    /// truncated, and the status change's time to the microsecond.
    static let messageClockPrecision = 0.001

    /// How long after the user's message events of its reopening may come: Chatwoot saves the conversation again
    /// for it (`waiting_since`, an auto-assignment), each save with its own event, until Baton's resolve lands.
    /// Its event ends the reopening sooner; this bounds it when that event is lost (Chatwoot never sends one again).
    static let reopeningEventsWithin: Double = 120

    /// The step for a reopening of a resolved handover's conversation that no agent made: the user's message
    /// reopened it, or this is another event of that reopening (the same event twice, a later save of the
    /// conversation, reconciliation's reading of it). The user stays with the bot; the first time, the agents get
    /// a note and the conversation is resolved again. `nil` when an agent reopened it, or wrote in it after the user's
    /// message (answering it), or the desk did not say enough to tell.
    func reopeningByTheUser(
        _ status: ProviderStatus, conversationID: Int, updatedAt: Double?, newestUserMessageAt message: Double?, agentWroteAt: Double? = nil,
        state: ConversationState
    ) -> ConversationStep? {
        // Only after an agent's resolve: Baton's own close (a quiet handover) comes after the user's messages in the
        // outbox, so none of them lands after it.
        guard status.isOpen, var handover = state.handover, handover.phase == .resolved,
            let lastStatusAt = handover.statusUpdatedAt
        else { return nil }
        var step = ConversationStep(state: state)
        if let reopenedAt = handover.reopenedByUserMessageAt {
            // An agent who wrote after the user's message answers it: they are there, and have the user back.
            if let agentWroteAt, agentWroteAt > reopenedAt { return nil }
            // Until the conversation is resolved again (its event ends this), an agent cannot reopen it.
            guard (updatedAt ?? lastStatusAt) - reopenedAt < Self.reopeningEventsWithin else { return nil }
            if let updatedAt, updatedAt > lastStatusAt { handover.statusUpdatedAt = updatedAt }
            step.state.handover = handover
            return step
        }
        // Created before the resolve (the last status applied), the message reopened nothing: it was there when the
        // agent resolved.
        guard let createdBy = message, createdBy > lastStatusAt - Self.messageClockPrecision else { return nil }
        if let updatedAt { handover.statusUpdatedAt = updatedAt }
        handover.reopenedByUserMessageAt = createdBy
        step.state.handover = handover
        step.commands.append(.note(Self.lateUserMessageNote))
        step.commands.append(.close(conversationID: conversationID))
        return step
    }
}
