/// Turns the provider commands of a step into outbox jobs, inside the step's transaction. Pure.
public enum OutboxPlanner {
    /// Chatwoot refuses more than 200 messages a minute in one conversation; a longer backlog is cut to its newest
    /// messages, with a note telling the agents how many older ones there are.
    public static let maxBacklog = 150

    /// The jobs for `commands`. A sync becomes one `post` job per message the provider has not been given yet
    /// (up to `lastMessageID`, the newest message once the step is saved), and moves `syncedThrough` past them,
    /// so each message is handed to the provider exactly once.
    /// When `transcriptIsInDesk`, the desk conversation is the channel's own and already has every message: a sync
    /// only moves the position.
    public static func jobs(
        for commands: [ProviderCommand], state: inout ConversationState, lastMessageID: Int64, sessionID: String, transcriptIsInDesk: Bool = false
    ) -> [OutboxJob] {
        var jobs: [OutboxJob] = []
        for command in commands {
            switch command {
            case .open(let request, let number):
                jobs.append(.open(request, number: number))
            case .sync:
                guard var handover = state.handover, handover.phase == .active, handover.syncedThrough < lastMessageID else { continue }
                if transcriptIsInDesk {
                    handover.syncedThrough = lastMessageID
                    state.handover = handover
                    continue
                }
                let backlog = lastMessageID - handover.syncedThrough
                if backlog > Int64(maxBacklog) {
                    let skipped = backlog - Int64(maxBacklog)
                    jobs.append(.note("\(skipped) earlier messages of this conversation are not shown here (Baton session \(sessionID)).", handover: handover.number))
                    handover.syncedThrough += skipped
                }
                for id in (handover.syncedThrough + 1)...lastMessageID {
                    jobs.append(.post(messageID: id, handover: handover.number))
                }
                handover.syncedThrough = lastMessageID
                state.handover = handover
            case .close(let conversationID):
                jobs.append(.close(conversationID: conversationID, handover: state.handover?.number ?? 0))
            case .note(let text):
                jobs.append(.note(text, handover: state.handover?.number ?? 0))
            case .release(let conversationID):
                jobs.append(.release(conversationID: conversationID, handover: state.handover?.number ?? 0))
            case .askBot(let request):
                // The bot reads the transcript up to the user's message it answers (later ones are later turns');
                // a bot that speaks first, up to the step's newest.
                jobs.append(.botTurn(request, throughMessageID: request.input?.messageID ?? lastMessageID))
            }
        }
        return jobs
    }
}
