/// The bot of a session that a bot outside Baton owns (`Channel.api`): it never speaks, since the outside bot
/// answers the user itself and only posts its turns here for the transcript. While a handover runs, the user's
/// messages belong to the agent; when it ends, the conversation is the outside bot's again.
///
/// Handovers of these sessions are asked for through `ConversationMachine.openHandover`, not by a flow node.
public struct HandoverOnlyBot: Bot {
    public init() {}

    public func handle(_ event: FlowEvent, state: ConversationState, session: SessionFacts) -> FlowResult {
        var state = state
        switch event {
        case .message where state.handover?.isLive == true:
            return FlowResult(state: state, effects: [.relayToAgent], problems: [])
        case .handoverEnded:
            state.flow.position = .idle
            return FlowResult(state: state, effects: [], problems: [])
        case .start, .message, .botAnswered:
            return FlowResult(state: state, effects: [], problems: [])
        }
    }
}
