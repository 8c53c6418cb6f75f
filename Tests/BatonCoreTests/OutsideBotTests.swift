import BatonCore
import Foundation
import Testing

/// Sessions a bot outside Baton owns (the handovers API): the handover-only bot, the machine's steps for opening,
/// closing and the bot's own turns, and the notifications each change owes.
@Suite struct OutsideBotTests {
    static let now = Date(timeIntervalSince1970: 1_750_000_000)
    /// The endpoint's user-inactivity timer runs on these handovers too, so the clocks are kept.
    static let policy = HandoverPolicy(timers: HandoverTimers(userInactivity: 600))
    static let machine = machine(at: now)

    static func machine(at time: Date) -> ConversationMachine {
        ConversationMachine(
            bot: HandoverOnlyBot(), session: SessionFacts(sessionID: "s_1", endpointID: "support", userID: "crm-1", channel: "api"), now: time, policy: policy)
    }
    static let request: HandoverRequest = {
        var request = HandoverRequest(nodeID: "", provider: "chatwoot", inbox: 7, acceptedMessage: nil)
        request.note = "The bot's summary"
        return request
    }()
    static let transcript = [
        MessageDraft(sender: .user, content: MessageContent(text: "Help"), createdAt: now.addingTimeInterval(-60), clientMessageID: "m1"),
        MessageDraft(sender: .bot, content: MessageContent(text: "One moment"), createdAt: now.addingTimeInterval(-55), clientMessageID: "m2"),
    ]

    static func opened() -> ConversationState {
        let opening = machine.openHandover(request, transcript: transcript, profile: ["name": "Grace"], state: ConversationState()).state
        return machine.handle(.opened(number: 1, contactID: 3, conversationID: 22, inboxID: 7), state: opening).state
    }

    @Test func theBotNeverSpeaksAndTheUsersMessagesGoToTheAgentOnlyDuringAHandover() {
        let started = Self.machine.handle(.start, state: ConversationState())
        #expect(started.messages.isEmpty && started.commands.isEmpty)
        let alone = Self.machine.handle(.message(UserInput(text: "hello")), state: ConversationState())
        #expect(alone.messages.isEmpty && alone.commands.isEmpty, "the outside bot answers its user itself")
        let relayed = Self.machine(at: Self.now.addingTimeInterval(30)).handle(.message(UserInput(text: "hello")), state: Self.opened())
        #expect(relayed.messages.isEmpty)
        #expect(relayed.commands == [.sync])
        #expect(relayed.state.handover?.userWroteAt == Self.now.addingTimeInterval(30))
    }

    @Test func openingStoresTheTranscriptThenAsksTheDeskOnceWithTheBotsNote() {
        let step = Self.machine.openHandover(Self.request, transcript: Self.transcript, profile: ["name": "Grace"], state: ConversationState())
        #expect(step.messages == Self.transcript, "as given: senders, times, ids")
        #expect(step.commands == [.open(Self.request, number: 1), .note("The bot's summary")])
        #expect(step.state.handover?.phase == .opening)
        #expect(step.state.profile == ["name": "Grace"])
        let again = Self.machine.openHandover(Self.request, transcript: Self.transcript, profile: [:], state: step.state)
        #expect(again.state == step.state && again.messages.isEmpty && again.commands.isEmpty, "a retried request changes nothing")
        let running = Self.machine.openHandover(Self.request, transcript: [], profile: [:], state: Self.opened())
        #expect(running.commands.isEmpty)
    }

    @Test func closingResolvesTheDesksConversationAndOnlyWhenOneRuns() {
        let step = Self.machine.closeHandover(state: Self.opened())
        #expect(step.state.handover?.phase == .cancelled)
        #expect(step.commands == [.close(conversationID: 22)])
        #expect(step.state.flow.position == .idle)
        let nothing = Self.machine.closeHandover(state: step.state)
        #expect(nothing.state == step.state && nothing.commands.isEmpty && nothing.messages.isEmpty)
    }

    @Test func theBotsOwnTurnsAreKeptAndReachTheAgentsOnlyWhileOneHasTheUser() {
        let before = Self.machine.outsideBotSaid(MessageContent(text: "Hi"), at: Self.now, clientMessageID: "b1", state: ConversationState())
        #expect(before.messages == [MessageDraft(sender: .bot, content: MessageContent(text: "Hi"), createdAt: Self.now, clientMessageID: "b1")])
        #expect(before.commands.isEmpty)
        let later = Self.machine(at: Self.now.addingTimeInterval(60))
        let during = later.outsideBotSaid(MessageContent(text: "Still here"), at: later.now, clientMessageID: nil, state: Self.opened())
        #expect(during.commands == [.sync])
        #expect(during.state.handover?.userWroteAt == Self.now, "the user's inactivity clock is the user's, not the bot's")
    }

    // MARK: Notifications

    static func handover(_ phase: HandoverState.Phase, number: Int = 1, conversation: Int? = 22, agent: Bool = false) -> HandoverState {
        var handover = HandoverState(phase: phase, nodeID: "", number: number, conversationID: conversation)
        handover.agentJoined = agent ? true : nil
        return handover
    }

    @Test func eachChangeOwesItsNotificationsInTheOrderTheyHappened() {
        let kinds = HandoverNotification.kinds
        #expect(kinds(nil, Self.handover(.opening, conversation: nil)) == [], "asked for: the API's answer says so")
        #expect(kinds(Self.handover(.opening, conversation: nil), Self.handover(.active)) == [.queued])
        #expect(kinds(Self.handover(.active), Self.handover(.active, agent: true)) == [.agentAssigned])
        #expect(kinds(Self.handover(.active, agent: true), Self.handover(.active, agent: true)) == [], "a reassignment")
        #expect(kinds(Self.handover(.active, agent: true), Self.handover(.resolved, agent: true)) == [.resolved])
        #expect(kinds(Self.handover(.resolved, agent: true), Self.handover(.active, agent: true)) == [.reopened], "a reopen is not a new assignment")
        #expect(kinds(Self.handover(.active), Self.handover(.cancelled)) == [.cancelled])
        #expect(kinds(Self.handover(.opening, conversation: nil), Self.handover(.cancelled, conversation: nil)) == [.cancelled])
        #expect(kinds(Self.handover(.active), Self.handover(.inactive)) == [.inactive])
        #expect(kinds(Self.handover(.active), Self.handover(.returned)) == [.resolved])
        #expect(kinds(Self.handover(.opening, conversation: nil), Self.handover(.failed, conversation: nil)) == [.failed])
        #expect(kinds(Self.handover(.opening, conversation: nil), Self.handover(.resolved)) == [.queued, .resolved], "resolved before Baton heard it open")
        #expect(kinds(Self.handover(.resolved), Self.handover(.opening, number: 2, conversation: nil)) == [], "a new handover, asked for")
        #expect(kinds(Self.handover(.cancelled), Self.handover(.cancelled)) == [], "nothing changed")
    }

    @Test func aNotificationCarriesWhyTheHandoverEndedAndTheAgentOnlyWhileAssigned() {
        let state = Self.opened()
        let failed = Self.machine.handle(.failedToOpen(number: 1, HandoverOutcome(status: .error, reason: .invalidInbox, detail: "no inbox 7")),
            state: Self.machine.openHandover(Self.request, transcript: [], profile: [:], state: ConversationState()).state)
        let snapshot = HandoverNotification.Snapshot(try! #require(failed.state.handover))
        #expect(snapshot.phase == .failed && snapshot.reason == "invalid_inbox" && snapshot.detail == "no inbox 7")
        var joined = Self.machine.handle(.agentJoined(conversationID: 22, agentName: "Ada"), state: state).state
        #expect(HandoverNotification.Snapshot(try! #require(joined.handover)).agentName == "Ada")
        joined = Self.machine.handle(.providerStatus(.resolved, conversationID: 22, updatedAt: nil), state: joined).state
        let resolved = HandoverNotification.Snapshot(try! #require(joined.handover))
        #expect(!resolved.agentAssigned && resolved.agentName == nil && resolved.reason == nil)
    }
}
