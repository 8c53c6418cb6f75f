extension SessionUpdate {
    /// Saves a machine step with this change: its state, its messages, and the outbox jobs its desk commands
    /// become. The jobs are planned against the ids the messages will have, so each transcript message is handed
    /// to the desk exactly once.
    /// On a channel Baton posts to, each bot message and notice also becomes a `reply` job, ahead of the desk
    /// work of the same step (a "connecting you" line goes out before the handover opens).
    public mutating func apply(_ step: ConversationStep) {
        state = step.state
        for message in step.messages {
            append(message)
            if session.channel.repliesThroughOutbox, message.sender == .bot || message.sender == .system {
                // Drafts without an external order are numbered in turn, so this one is the newest.
                enqueue(.reply(messageID: lastMessageID))
            }
        }
        let jobs = OutboxPlanner.jobs(
            for: step.commands, state: &state, lastMessageID: lastMessageID, sessionID: session.id.rawValue,
            transcriptIsInDesk: session.channel.transcriptIsInDesk)
        jobs.forEach { enqueue($0) }
    }
}

extension SessionFacts {
    /// What a flow may read of this session as `session.*`.
    /// On the Chatwoot channel, `session.channel` is the inbox's kind (`whatsapp`, `website`, `email`…), recorded in
    /// `profile.chatwoot.channel`, so a flow can branch on where the user writes from.
    public init(_ session: Session) {
        var channel = session.channel.rawValue
        if session.channel == .chatwoot, case .string(let kind)? = session.state.profile["chatwoot"]?["channel"] { channel = kind }
        self.init(sessionID: session.id.rawValue, endpointID: session.endpointID, userID: session.userID, channel: channel)
    }
}
