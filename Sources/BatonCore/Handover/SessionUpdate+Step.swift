extension SessionUpdate {
    /// Saves a machine step with this change: its state, its messages, and the outbox jobs its desk commands
    /// become. The jobs are planned against the ids the messages will have, so each transcript message is handed
    /// to the desk exactly once.
    public mutating func apply(_ step: ConversationStep) {
        state = step.state
        step.messages.forEach { append($0) }
        let jobs = OutboxPlanner.jobs(for: step.commands, state: &state, lastMessageID: lastMessageID, sessionID: session.id.rawValue)
        jobs.forEach { enqueue($0) }
    }
}

extension SessionFacts {
    /// What a flow may read of this session as `session.*`.
    public init(_ session: Session) {
        self.init(sessionID: session.id.rawValue, endpointID: session.endpointID, userID: session.userID, channel: session.channel.rawValue)
    }
}
