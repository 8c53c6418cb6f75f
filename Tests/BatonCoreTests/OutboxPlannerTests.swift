import BatonCore
import Testing

@Suite struct OutboxPlannerTests {
    static func state(_ phase: HandoverState.Phase, syncedThrough: Int64) -> ConversationState {
        ConversationState(handover: HandoverState(phase: phase, nodeID: "h", number: 2, conversationID: 5, syncedThrough: syncedThrough))
    }

    @Test func aSyncPostsEachNewMessageOnceAndMovesThePosition() {
        var state = Self.state(.active, syncedThrough: 3)
        let jobs = OutboxPlanner.jobs(for: [.sync], state: &state, lastMessageID: 6, sessionID: "s")
        #expect(jobs == [.post(messageID: 4, handover: 2), .post(messageID: 5, handover: 2), .post(messageID: 6, handover: 2)])
        #expect(state.handover?.syncedThrough == 6)
        #expect(OutboxPlanner.jobs(for: [.sync], state: &state, lastMessageID: 6, sessionID: "s").isEmpty, "nothing twice")
    }

    /// An agent's reply is never posted back: with nothing waiting before it, the position passes over it, so the
    /// next sync posts only what came after.
    @Test func anAgentsReplyIsPassedOverWhenNothingWaits() {
        var state = Self.state(.active, syncedThrough: 3)
        state.handover?.passOver(after: 3, through: 4)
        #expect(state.handover?.syncedThrough == 4)
        #expect(OutboxPlanner.jobs(for: [.sync], state: &state, lastMessageID: 5, sessionID: "s") == [.post(messageID: 5, handover: 2)])
        // With a message still waiting (a gap), nothing is skipped.
        var waiting = Self.state(.active, syncedThrough: 2)
        waiting.handover?.passOver(after: 3, through: 4)
        #expect(waiting.handover?.syncedThrough == 2)
    }

    @Test func aLongBacklogIsCutWithANoteForTheAgents() {
        var state = Self.state(.active, syncedThrough: 0)
        let jobs = OutboxPlanner.jobs(for: [.sync], state: &state, lastMessageID: 200, sessionID: "s")
        #expect(jobs.count == 151)
        #expect(jobs.first == .note("50 earlier messages of this conversation are not shown here (Baton session s).", handover: 2))
        #expect(jobs[1] == .post(messageID: 51, handover: 2))
        #expect(jobs.last == .post(messageID: 200, handover: 2))
    }

    @Test(arguments: [HandoverState.Phase.opening, .resolved, .cancelled, .failed])
    func onlyAnActiveHandoverSyncs(phase: HandoverState.Phase) {
        var state = Self.state(phase, syncedThrough: 1)
        #expect(OutboxPlanner.jobs(for: [.sync], state: &state, lastMessageID: 4, sessionID: "s").isEmpty)
        #expect(state.handover?.syncedThrough == 1)
    }

    @Test func openAndCloseBecomeTheirJobsInOrder() {
        var state = Self.state(.cancelled, syncedThrough: 1)
        let request = HandoverRequest(nodeID: "h", provider: "chatwoot", inbox: 1, acceptedMessage: nil)
        let jobs = OutboxPlanner.jobs(for: [.close(conversationID: 5), .open(request, number: 3)], state: &state, lastMessageID: 1, sessionID: "s")
        #expect(jobs == [.close(conversationID: 5, handover: 2), .open(request, number: 3)])
    }
}
