import BatonCore
import Foundation
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

/// A channel Baton posts to (a Chatwoot inbox): its desk conversation is the channel's own.
@Suite struct ReplyPlanningTests {
    static func session(_ channel: Channel, handover: HandoverState? = nil, lastMessageID: Int64 = 2) -> Session {
        Session(
            id: SessionID(rawValue: "s_0123456789abcdef0123456789abcdef"), endpointID: "e", userID: "u", channel: channel,
            state: ConversationState(handover: handover), lastMessageID: lastMessageID, createdAt: Date(timeIntervalSince1970: 0),
            updatedAt: Date(timeIntervalSince1970: 0))
    }

    static func step(_ messages: [MessageDraft], commands: [ProviderCommand] = [], handover: HandoverState? = nil) -> ConversationStep {
        ConversationStep(state: ConversationState(handover: handover), messages: messages, commands: commands)
    }

    static let at = Date(timeIntervalSince1970: 0)

    @Test func onAChatwootChannelEachBotMessageAndNoticeIsAReplyBeforeTheDeskWork() {
        var update = SessionUpdate(session: Self.session(.chatwoot))
        update.append(MessageDraft(sender: .user, content: MessageContent(text: "hi"), createdAt: Self.at))
        let request = HandoverRequest(nodeID: "h", provider: "chatwoot", inbox: nil, acceptedMessage: nil)
        update.apply(
            Self.step(
                [MessageDraft(sender: .bot, content: MessageContent(text: "One moment"), createdAt: Self.at),
                 MessageDraft(sender: .system, content: MessageContent(text: "notice"), createdAt: Self.at)],
                commands: [.open(request, number: 1)]))
        #expect(update.jobs == [.reply(messageID: 4), .reply(messageID: 5), .open(request, number: 1)])
    }

    @Test(arguments: [Channel.webchat, .rest])
    func channelsWhoseClientsReadFromBatonGetNoReplies(channel: Channel) {
        var update = SessionUpdate(session: Self.session(channel))
        update.apply(Self.step([MessageDraft(sender: .bot, content: MessageContent(text: "Hello"), createdAt: Self.at)]))
        #expect(update.jobs.isEmpty)
    }

    @Test func aHandoverInTheChannelsOwnConversationPostsNoHistory() {
        let active = HandoverState(phase: .active, nodeID: "h", number: 1, conversationID: 9, syncedThrough: 0)
        var update = SessionUpdate(session: Self.session(.chatwoot, handover: active, lastMessageID: 7))
        update.apply(Self.step([], commands: [.sync], handover: active))
        #expect(update.jobs.isEmpty)
        #expect(update.state.handover?.syncedThrough == 7, "the position still moves, so nothing is posted later either")
    }

    @Test func onTheChatwootChannelTheFlowSeesTheInboxKind() {
        var session = Self.session(.chatwoot)
        session.state.profile = ["chatwoot": ["channel": "whatsapp"]]
        #expect(SessionFacts(session).channel == "whatsapp")
        #expect(SessionFacts(Self.session(.webchat)).channel == "webchat")
    }
}
