public import Foundation

/// The steps of a session a bot outside Baton owns (`Channel.api`): it asks for a handover, posts its own turns,
/// and closes the handover, through the handovers API. They take the same lifecycle as a flow's handover node.
extension ConversationMachine {
    /// Asks the desk for a handover, as a flow's handover node does, after storing the outside bot's `transcript`
    /// (the agents get it as a Baton handover's history) and merging `profile` into the user's. A handover that is
    /// opening or running is kept as it is, and nothing is stored: a retried request must not open a second
    /// conversation or store its transcript twice.
    public func openHandover(
        _ request: HandoverRequest, transcript: [MessageDraft], profile: [String: JSONValue], state: ConversationState
    ) -> ConversationStep {
        var step = ConversationStep(state: state)
        guard state.handover?.isLive != true else { return step }
        if !profile.isEmpty, case .object(var current) = step.state.profile {
            current.merge(profile) { _, new in new }
            step.state.profile = .object(current)
        } else if !profile.isEmpty {
            step.state.profile = .object(profile)
        }
        step.messages = transcript
        step.state.flow.position = .inHandover(nodeID: request.nodeID)
        apply(.requestHandover(request), into: &step)
        return step
    }

    /// The outside bot ends the handover (its user left, or it takes the user back): the desk's conversation is
    /// resolved and the user is the outside bot's again. Nothing happens when no handover is opening or running.
    public func closeHandover(state: ConversationState) -> ConversationStep {
        var step = ConversationStep(state: state)
        guard state.handover?.isLive == true else { return step }
        apply(.cancelHandover, into: &step)
        step.state.flow.position = .idle
        return step
    }

    /// The outside bot said `content` to its user: kept in the transcript and, while an agent has the user,
    /// posted to the agents' conversation like the user's messages. `createdAt` is when the bot said it; a
    /// `clientMessageID` stored before makes the store refuse the step (a retry).
    public func outsideBotSaid(_ content: MessageContent, at createdAt: Date, clientMessageID: String?, state: ConversationState) -> ConversationStep {
        var step = ConversationStep(state: state)
        step.messages.append(MessageDraft(sender: .bot, content: content, createdAt: createdAt, clientMessageID: clientMessageID))
        if state.handover?.phase == .active { step.commands.append(.sync) }
        return step
    }
}
