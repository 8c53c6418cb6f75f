import BatonCore
import Foundation
import Testing

// The conversation machine runs the flow and the handover lifecycle on one state. Every test checks the whole
// outcome of a step: the state (flow position, context, handover), the messages, the provider commands and the
// flow problems.

/// The machine's clock; every message it makes carries it.
private let machineClock = Date(timeIntervalSince1970: 1_750_000_000)

/// The provider conversation the support flow's first handover gets.
private let firstConversation = 22

/// The provider ids `.opened` reports for handover 1 in these tests.
private let opened = HandoverEvent.opened(number: 1, contactID: 11, conversationID: firstConversation, inboxID: 7)

private func botSays(_ text: String, replies: [QuickReply] = []) -> MessageDraft {
    MessageDraft(sender: .bot, content: MessageContent(text: text, quickReplies: replies), createdAt: machineClock)
}

private func systemSays(_ text: String) -> MessageDraft {
    MessageDraft(sender: .system, content: MessageContent(text: text), createdAt: machineClock)
}

/// The support flow: a question, then a handover with every option, then what happens after it.
private enum SupportFlow {
    static let intents = [Intent(name: "human", keywords: ["agent"], target: "agent")]

    static func nodes(onResolve: String? = "thanks") throws -> [FlowNode] {
        try [
            .question("ask", "How can I help?", store: "need"),
            .handover(
                "agent", inbox: "7", accepted: "An agent will help you with {{ context.need }}.", cancelKeywords: ["stop waiting"],
                cancelButton: "Leave queue", onResolve: onResolve),
            .say("after", "{{ input.handover.status }}/{{ input.handover.reason }}"),
            .question("again", "Anything else?", store: "more"),
            .end("bye", "Bye"),
            .say("thanks", "Thanks, {{ input.handover.status }}"),
            .question("rate", "Rate us?", store: "rating"),
            .say("rated", "Rated {{ context.rating }}"),
            .end("done"),
        ]
    }

    /// The accepted message the handover node renders after "billing", with its cancel button.
    static let accepted = MessageContent(text: "An agent will help you with billing.", quickReplies: [QuickReply(title: "Leave queue")])
    /// What led to the handover: the flow's own order (the question's answer), or the `human` intent.
    static let byFlow: HandoverTrigger? = nil
    static let byIntent = HandoverTrigger(kind: .intent, name: "human")
    static let request = request(trigger: byFlow)
    static func request(trigger: HandoverTrigger?) -> HandoverRequest {
        var request = HandoverRequest(nodeID: "agent", provider: "chatwoot", inbox: .number(7), acceptedMessage: accepted)
        request.trigger = trigger
        return request
    }
    static let context: JSONValue = ["need": "billing"]

    /// The support flow's handover as the machine keeps it.
    static func handover(
        _ phase: HandoverState.Phase, number: Int = 1, opened: Bool, syncedThrough: Int64 = 0, statusUpdatedAt: Double? = nil,
        trigger: HandoverTrigger? = byFlow, agentJoined: Bool? = nil
    ) -> HandoverState {
        var handover = HandoverState(
            phase: phase, nodeID: "agent", number: number, inboxID: opened ? 7 : nil, contactID: opened ? 11 : nil,
            conversationID: opened ? firstConversation : nil, syncedThrough: syncedThrough, statusUpdatedAt: statusUpdatedAt,
            acceptedMessage: accepted)
        handover.trigger = trigger
        handover.agentJoined = agentJoined
        // Kept from the opening on, for the handover's measures.
        handover.openedAt = opened ? machineClock : nil
        return handover
    }

    static func state(_ position: FlowState.Position, context: JSONValue = context, handover: HandoverState?) -> ConversationState {
        ConversationState(flow: FlowState(position: position), context: context, profile: .emptyObject, handover: handover)
    }
}

/// Feeds events to a machine and keeps the state between them, as the conversation service does.
private struct Conversation {
    let machine: ConversationMachine
    var state: ConversationState

    init(_ nodes: [FlowNode], intents: [Intent] = [], state: ConversationState = ConversationState()) {
        let engine = FlowEngine(flow: Flow(name: "test", nodes: nodes, intents: intents))
        machine = ConversationMachine(bot: engine, session: flowTestSession, now: machineClock)
        self.state = state
    }

    /// The support flow.
    init(onResolve: String? = "thanks", state: ConversationState = ConversationState()) throws {
        self.init(try SupportFlow.nodes(onResolve: onResolve), intents: SupportFlow.intents, state: state)
    }

    @discardableResult
    mutating func handle(_ event: FlowEvent) -> ConversationStep {
        let step = machine.handle(event, state: state)
        state = step.state
        return step
    }

    @discardableResult
    mutating func handle(_ event: HandoverEvent) -> ConversationStep {
        let step = machine.handle(event, state: state)
        state = step.state
        return step
    }

    @discardableResult
    mutating func send(_ text: String, payload: String? = nil) -> ConversationStep {
        handle(.message(UserInput(text: text, payload: payload)))
    }

    @discardableResult
    mutating func send(_ input: UserInput) -> ConversationStep { handle(.message(input)) }

    /// A status event for provider conversation `conversationID` (handover 1's unless told).
    @discardableResult
    mutating func status(
        _ status: ProviderStatus, in conversationID: Int = firstConversation, at updatedAt: Double? = nil, newestUserMessageAt: Double? = nil,
        agentWroteAt: Double? = nil
    ) -> ConversationStep {
        handle(.providerStatus(status, conversationID: conversationID, updatedAt: updatedAt, newestUserMessageAt: newestUserMessageAt, agentWroteAt: agentWroteAt))
    }

    // Support-flow conversations in each handover phase, reached through the machine.

    /// The user said "billing" and the handover is opening.
    static func opening(onResolve: String? = "thanks") throws -> Conversation {
        var conversation = try Conversation(onResolve: onResolve)
        conversation.handle(.start)
        conversation.send("billing")
        return conversation
    }

    static func active(onResolve: String? = "thanks") throws -> Conversation {
        var conversation = try opening(onResolve: onResolve)
        conversation.handle(opened)
        return conversation
    }

    /// Resolved by the agent at provider time `at`; the flow waits at "rate".
    static func resolved(at time: Double = 100) throws -> Conversation {
        var conversation = try active()
        conversation.status(.resolved, at: time)
        return conversation
    }

    /// Cancelled by the user while active; the flow waits at "again".
    static func cancelled() throws -> Conversation {
        var conversation = try active()
        conversation.send("stop waiting")
        return conversation
    }

    /// Could not open; the flow waits at "again".
    static func failed() throws -> Conversation {
        var conversation = try opening()
        conversation.handle(.failedToOpen(number: 1, HandoverOutcome(status: .error, reason: .providerUnreachable)))
        return conversation
    }
}

/// Checks every part of a step.
private func expectStep(
    _ step: ConversationStep, state: ConversationState, messages: [MessageDraft] = [], commands: [ProviderCommand] = [],
    problems: [FlowProblem] = [], sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    #expect(step.state == state, sourceLocation: sourceLocation)
    #expect(step.messages == messages, sourceLocation: sourceLocation)
    #expect(step.commands == commands, sourceLocation: sourceLocation)
    #expect(step.problems == problems, sourceLocation: sourceLocation)
}

/// Checks that a step changed nothing and asked for nothing.
private func expectNothing(_ step: ConversationStep, from state: ConversationState, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    expectStep(step, state: state, sourceLocation: sourceLocation)
}

@Suite struct ConversationMachineTests {
    // MARK: - Flow events without a handover

    @Test func startRunsTheFlowAndSaysItsMessagesAsTheBot() throws {
        var conversation = try Conversation()
        let step = conversation.handle(.start)
        expectStep(
            step, state: SupportFlow.state(.awaitingAnswer(nodeID: "ask", attempts: 0), context: .emptyObject, handover: nil),
            messages: [botSays("How can I help?")])
    }

    @Test func flowProblemsArePassedOnWithTheApology() throws {
        var conversation = Conversation([try .say("broken", "{{ 1 / 0 }}", location: flowTestLocation(3))])
        let step = conversation.handle(.start)
        expectStep(
            step, state: .at(.idle), messages: [botSays(FlowEngine.apology)],
            problems: [FlowProblem(nodeID: "broken", location: flowTestLocation(3), message: "column 6: division by zero")])
    }

    // MARK: - Opening

    @Test func aMessageReachingAHandoverNodeStartsOpeningHandoverOne() throws {
        var conversation = try Conversation()
        conversation.handle(.start)
        let step = conversation.send("billing")
        expectStep(
            step, state: SupportFlow.state(.inHandover(nodeID: "agent"), handover: SupportFlow.handover(.opening, opened: false)),
            commands: [.open(SupportFlow.request, number: 1)])
        // The accepted message is kept for `.opened`, not said yet.
        #expect(step.state.handover?.acceptedMessage == SupportFlow.accepted)
        #expect(step.messages.isEmpty)
    }

    @Test func startReachingAHandoverNodeOpensToo() throws {
        var conversation = try Conversation([.say("intro", "One moment."), .handover("h", provider: "other")])
        let step = conversation.handle(.start)
        let request = HandoverRequest(nodeID: "h", provider: "other", inbox: nil, acceptedMessage: nil)
        expectStep(
            step, state: ConversationState(flow: FlowState(position: .inHandover(nodeID: "h")), handover: HandoverState(phase: .opening, nodeID: "h", number: 1)),
            messages: [botSays("One moment.")], commands: [.open(request, number: 1)])
    }

    @Test(arguments: ["hello?", "agent please", "billing", "Leave", ""])
    func messagesWhileOpeningAreRelayedWithoutOpeningAgainOrSyncing(text: String) throws {
        var conversation = try Conversation.opening()
        let before = conversation.state
        let step = conversation.send(text)
        expectNothing(step, from: before)
    }

    // MARK: - Opened

    @Test func openedMakesTheHandoverActiveSaysTheAcceptedMessageAndSyncs() throws {
        var conversation = try Conversation.opening()
        let step = conversation.handle(opened)
        expectStep(
            step, state: SupportFlow.state(.inHandover(nodeID: "agent"), handover: SupportFlow.handover(.active, opened: true)),
            messages: [botSays("An agent will help you with billing.", replies: [QuickReply(title: "Leave queue")])], commands: [.sync])
    }

    @Test func openedWithoutAnAcceptedMessageOnlySyncs() throws {
        var conversation = try Conversation([.handover("h")])
        conversation.handle(.start)
        let step = conversation.handle(.opened(number: 1, contactID: 1, conversationID: 2, inboxID: 3))
        expectStep(
            step,
            state: ConversationState(
                flow: FlowState(position: .inHandover(nodeID: "h")),
                handover: {
                    var handover = HandoverState(phase: .active, nodeID: "h", number: 1, inboxID: 3, contactID: 1, conversationID: 2)
                    handover.openedAt = machineClock
                    return handover
                }()),
            commands: [.sync])
    }

    @Test func openedAfterTheUserCancelledOnlyClosesTheNewConversation() throws {
        var conversation = try Conversation.opening()
        conversation.send("stop waiting")
        let before = conversation.state
        #expect(before.handover == SupportFlow.handover(.cancelled, opened: false))
        let step = conversation.handle(opened)
        expectStep(step, state: before, commands: [.close(conversationID: firstConversation)])
    }

    @Test func openedAfterTheOpeningFailedOnlyClosesTheNewConversation() throws {
        var conversation = try Conversation.failed()
        let before = conversation.state
        let step = conversation.handle(.opened(number: 1, contactID: 5, conversationID: 6, inboxID: 7))
        expectStep(step, state: before, commands: [.close(conversationID: 6)])
    }

    @Test func aRepeatedOpenedForTheActiveConversationChangesNothing() throws {
        var conversation = try Conversation.active()
        let before = conversation.state
        #expect(before.handover?.conversationID == firstConversation)
        // Not adopted again (no second accepted message or sync) and, being the user's own conversation, not closed.
        expectNothing(conversation.handle(opened), from: before)
    }

    @Test func aRepeatedOpenedAfterAReopenChangesNothing() throws {
        var conversation = try Conversation.resolved(at: 100)
        conversation.status(.open, at: 200)
        let before = conversation.state
        #expect(before.handover == SupportFlow.handover(.active, opened: true, statusUpdatedAt: 200, agentJoined: true))
        expectNothing(conversation.handle(opened), from: before)
    }

    @Test func anotherConversationOpenedForTheActiveHandoverIsClosed() throws {
        var conversation = try Conversation.active()
        let before = conversation.state
        let step = conversation.handle(.opened(number: 1, contactID: 11, conversationID: 30, inboxID: 7))
        expectStep(step, state: before, commands: [.close(conversationID: 30)])
    }

    // MARK: - Failed to open

    static let failureReasons: [HandoverOutcome.Reason] = [.unsupported, .providerUnreachable, .invalidInbox, .rejectedCredentials, .rejected]

    @Test(arguments: failureReasons)
    func failedToOpenTellsTheUserAndContinuesBelowWithTheReason(reason: HandoverOutcome.Reason) throws {
        var conversation = try Conversation.opening()
        let step = conversation.handle(.failedToOpen(number: 1, HandoverOutcome(status: .error, reason: reason, detail: "HTTP 503")))
        expectStep(
            step,
            state: SupportFlow.state(
                .awaitingAnswer(nodeID: "again", attempts: 0),
                handover: SupportFlow.handover(.failed, opened: false).ending(HandoverOutcome(status: .error, reason: reason, detail: "HTTP 503"))),
            messages: [systemSays(HandoverNotices.failed), botSays("error/\(reason.rawValue)"), botSays("Anything else?")])
    }

    @Test func failedToOpenWithABrokenNodeBelowReportsTheProblem() throws {
        var conversation = try Conversation([.handover("h"), .say("broken", "{{ 1 / 0 }}", location: flowTestLocation(12))])
        conversation.handle(.start)
        let step = conversation.handle(.failedToOpen(number: 1, HandoverOutcome(status: .error, reason: .rejected)))
        expectStep(
            step, state: ConversationState(handover: HandoverState(phase: .failed, nodeID: "h", number: 1).ending(HandoverOutcome(status: .error, reason: .rejected))),
            messages: [systemSays(HandoverNotices.failed), botSays(FlowEngine.apology)],
            problems: [FlowProblem(nodeID: "broken", location: flowTestLocation(12), message: "column 6: division by zero")])
    }

    @Test func afterAFailureTheUserTalksToTheBot() throws {
        var conversation = try Conversation.failed()
        let step = conversation.send("no thanks")
        expectStep(
            step,
            state: SupportFlow.state(
                .idle, context: ["need": "billing", "more": "no thanks"],
                handover: SupportFlow.handover(.failed, opened: false).ending(HandoverOutcome(status: .error, reason: .providerUnreachable))),
            messages: [botSays("Bye")])
    }

    enum Phase: String, CaseIterable, Sendable { case active, resolved, cancelled, failed }

    fileprivate static func conversation(in phase: Phase) throws -> Conversation {
        switch phase {
        case .active: try .active()
        case .resolved: try .resolved()
        case .cancelled: try .cancelled()
        case .failed: try .failed()
        }
    }

    @Test(arguments: Phase.allCases)
    func failedToOpenWhenNotOpeningChangesNothing(phase: Phase) throws {
        var conversation = try Self.conversation(in: phase)
        let before = conversation.state
        let step = conversation.handle(.failedToOpen(number: 1, HandoverOutcome(status: .error, reason: .providerUnreachable)))
        expectNothing(step, from: before)
    }

    // MARK: - Active

    @Test(arguments: ["Hello?", "My invoice is wrong", "agent", "cancel", "Leave", "stop", "waiting", ""])
    func userMessagesWhileActiveAreSynced(text: String) throws {
        var conversation = try Conversation.active()
        let before = conversation.state
        let step = conversation.send(text)
        expectStep(step, state: before, commands: [.sync])
    }

    static let cancels: [UserInput] = [
        UserInput(text: "stop waiting"),
        UserInput(text: "Please, STOP waiting!"),
        UserInput(text: "Leave queue", payload: "Leave queue"),
        UserInput(text: "Leave queue"),
    ]

    @Test(arguments: cancels)
    func cancellingWhileActiveClosesTellsTheUserAndContinuesBelow(input: UserInput) throws {
        var conversation = try Conversation.active()
        let step = conversation.send(input)
        expectStep(
            step, state: SupportFlow.state(.awaitingAnswer(nodeID: "again", attempts: 0), handover: SupportFlow.handover(.cancelled, opened: true)),
            messages: [systemSays(HandoverNotices.cancelled), botSays("cancelled/user"), botSays("Anything else?")],
            commands: [.close(conversationID: firstConversation)])
    }

    @Test(arguments: cancels)
    func cancellingWhileOpeningHasNothingToCloseYet(input: UserInput) throws {
        var conversation = try Conversation.opening()
        let step = conversation.send(input)
        expectStep(
            step, state: SupportFlow.state(.awaitingAnswer(nodeID: "again", attempts: 0), handover: SupportFlow.handover(.cancelled, opened: false)),
            messages: [systemSays(HandoverNotices.cancelled), botSays("cancelled/user"), botSays("Anything else?")])
    }

    @Test func afterCancellingTheUserTalksToTheBot() throws {
        var conversation = try Conversation.cancelled()
        let step = conversation.send("nothing")
        expectStep(
            step, state: SupportFlow.state(.idle, context: ["need": "billing", "more": "nothing"], handover: SupportFlow.handover(.cancelled, opened: true)),
            messages: [botSays("Bye")])
    }

    @Test func aLaterFailureOrOpeningCannotUndoACancel() throws {
        var conversation = try Conversation.opening()
        conversation.send("stop waiting")
        let before = conversation.state
        expectNothing(conversation.handle(.failedToOpen(number: 1, HandoverOutcome(status: .error, reason: .rejected))), from: before)
        expectStep(conversation.handle(opened), state: before, commands: [.close(conversationID: firstConversation)])
    }

    // MARK: - Resolved

    @Test func resolvedWhileActiveTellsTheUserAndGoesToOnResolve() throws {
        var conversation = try Conversation.active()
        let step = conversation.status(.resolved, at: 100)
        expectStep(
            step,
            state: SupportFlow.state(
                .awaitingAnswer(nodeID: "rate", attempts: 0), handover: SupportFlow.handover(.resolved, opened: true, statusUpdatedAt: 100)),
            messages: [systemSays(HandoverNotices.resolved), botSays("Thanks, completed"), botSays("Rate us?")])
    }

    @Test func resolvedWithoutOnResolveContinuesBelowTheNode() throws {
        var conversation = try Conversation.active(onResolve: nil)
        let step = conversation.status(.resolved)
        expectStep(
            step, state: SupportFlow.state(.awaitingAnswer(nodeID: "again", attempts: 0), handover: SupportFlow.handover(.resolved, opened: true)),
            messages: [systemSays(HandoverNotices.resolved), botSays("completed/"), botSays("Anything else?")])
    }

    @Test func afterResolvingTheUserTalksToTheBotNotTheAgent() throws {
        var conversation = try Conversation.resolved(at: 100)
        let step = conversation.send("5")
        expectStep(
            step,
            state: SupportFlow.state(
                .idle, context: ["need": "billing", "rating": "5"], handover: SupportFlow.handover(.resolved, opened: true, statusUpdatedAt: 100)),
            messages: [botSays("Rated 5")])
    }

    @Test(arguments: [nil, 100.0, 150.0])
    func aRepeatedResolvedDoesNotRunTheFlowAgain(updatedAt: Double?) throws {
        var conversation = try Conversation.resolved(at: 100)
        let before = conversation.state
        let step = conversation.status(.resolved, at: updatedAt)
        var expected = before
        expected.handover?.statusUpdatedAt = updatedAt ?? 100
        expectStep(step, state: expected)
    }

    // MARK: - What led to the handover

    /// The flow hears what led to the handover node: the flow's own order, an intent, or a question's failures.
    @Test(arguments: [
        (["agent"], "intent/human"),
        (["ten", "eleven"], "escalation/age"),
        (["12"], "flow/"),
    ])
    func theFlowIsToldWhatLedToTheHandover(answers: [String], told: String) throws {
        var conversation = Conversation(
            [
                try .question("age", "Your age?", .number, store: "age", maxAttempts: 2, onFailure: "agent"),
                try .handover("agent", inbox: "7"),
                try .say("after", "{{ input.handover.trigger }}/{{ input.handover.triggerName }}"),
            ], intents: [Intent(name: "human", keywords: ["agent"], target: "agent")])
        conversation.handle(.start)
        for answer in answers { conversation.send(answer) }
        #expect(conversation.state.handover?.phase == .opening)
        let ended = conversation.handle(.failedToOpen(number: 1, HandoverOutcome(status: .error, reason: .rejected)))
        #expect(ended.messages.last == botSays(told))
    }

    // MARK: - How the agents said it ended

    /// The labels and attributes the agents left on the conversation when they resolved it reach the flow (Baton's
    /// own attributes left out), with the agent who took it, stay on the resolved handover for an outside bot, and go
    /// when an agent reopens it.
    @Test func theFlowReadsTheLabelsAndAttributesTheAgentsLeft() throws {
        var conversation = Conversation(
            [
                try .handover("agent", inbox: "7", onResolve: "after"),
                try .say(
                    "after",
                    "{{ join(input.handover.labels, '+') }} {{ input.handover.attributes.ticket }} {{ contains(input.handover.labels, 'refund-approved') }} {{ input.handover.agentName }}"),
                try .question("again", "Anything else?", store: "more"),
            ])
        conversation.handle(.start)
        conversation.handle(.opened(number: 1, contactID: 11, conversationID: firstConversation, inboxID: 7))
        conversation.handle(.agentJoined(conversationID: firstConversation, agentName: "Anna"))
        let resolution = ResolutionDetails(labels: ["refund-approved", "vip"], attributes: ["ticket": 4711, "baton_session": "s_1"])
        #expect(resolution.attributes == ["ticket": 4711], "Baton's own attributes are not the agents' word")
        let resolved = conversation.handle(.providerStatus(.resolved, conversationID: firstConversation, updatedAt: 5, resolution: resolution))
        #expect(resolved.messages.contains(botSays("refund-approved+vip 4711 true Anna")))
        #expect(resolved.state.handover?.resolution == resolution)
        #expect(HandoverNotification.Snapshot(try #require(resolved.state.handover)).resolution == resolution)

        let reopened = conversation.handle(.providerStatus(.open, conversationID: firstConversation, updatedAt: 6))
        #expect(reopened.state.handover?.phase == .active && reopened.state.handover?.resolution == nil)
        // A desk that says nothing of them: the flow reads null, as for every other ending.
        let again = conversation.handle(.providerStatus(.resolved, conversationID: firstConversation, updatedAt: 7))
        #expect(again.messages.contains(botSays("  false Anna")))
    }

    /// A hand-back at a node carries the labels and attributes as a resolve does; so does a resolve that came before
    /// Baton heard the conversation open (the desk's answer to the create still on its way), kept until it did.
    @Test func aHandBackAndAResolveThatOvertookTheOpeningCarryWhatTheAgentsLeft() throws {
        let nodes: [FlowNode] = [
            try .handover("agent", inbox: "7", onResolve: "after"),
            try .say("after", "{{ join(input.handover.labels, '+') }} {{ input.handover.attributes.ticket }} {{ input.handover.status }}"),
            try .question("again", "Anything else?", store: "more"),
        ]
        let resolution = ResolutionDetails(labels: ["address-changed"], attributes: ["ticket": 12])
        var handedBack = Conversation(nodes)
        handedBack.handle(.start)
        handedBack.handle(.opened(number: 1, contactID: 11, conversationID: firstConversation, inboxID: 7))
        let back = handedBack.handle(.handedBack(conversationID: firstConversation, nodeID: "after", resolution: resolution))
        #expect(back.messages.contains(botSays("address-changed 12 returned")))
        #expect(HandoverNotification.Snapshot(try #require(back.state.handover)).resolution == resolution, "the outside bot hears them too")

        var early = Conversation(nodes)
        early.handle(.start)
        let kept = early.handle(.providerStatus(.resolved, conversationID: firstConversation, updatedAt: 5, resolution: resolution))
        #expect(kept.state.handover?.phase == .opening && kept.state.handover?.earlyStatus?.resolution == resolution)
        let opened = early.handle(.opened(number: 1, contactID: 11, conversationID: firstConversation, inboxID: 7))
        #expect(opened.messages.contains(botSays("address-changed 12 completed")))
        #expect(opened.state.handover?.resolution == resolution)
    }

    // MARK: - The desk's own moves (Chatwoot channel)

    @Test func anAgentGivingTheConversationBackCountsAsAResolve() throws {
        var conversation = try Conversation.active()
        let step = conversation.handle(.returnedToBot(conversationID: firstConversation, updatedAt: 100))
        expectStep(
            step,
            state: SupportFlow.state(
                .awaitingAnswer(nodeID: "rate", attempts: 0), handover: SupportFlow.handover(.resolved, opened: true, statusUpdatedAt: 100)),
            messages: [systemSays(HandoverNotices.resolved), botSays("Thanks, completed"), botSays("Rate us?")])
        // The bot's already: a second one changes nothing.
        expectNothing(conversation.handle(.returnedToBot(conversationID: firstConversation, updatedAt: 120)), from: conversation.state)
    }

    @Test func theDeskOpeningItsOwnConversationOfBatonsHandoverOnlyNotesWhen() throws {
        var conversation = try Conversation.active()
        let before = conversation.state
        let step = conversation.handle(.deskTookOver(conversationID: firstConversation, inboxID: 7, updatedAt: 50))
        var expected = before
        expected.handover?.statusUpdatedAt = 50
        expectStep(step, state: expected)
        // So a status from before the handoff (a late delivery) cannot end it.
        expectNothing(conversation.handle(.returnedToBot(conversationID: firstConversation, updatedAt: 40)), from: conversation.state)
    }

    @Test func theDeskTakingTheUserWithoutANodeSilencesTheBotAndEndsInError() throws {
        var conversation = try Conversation()
        conversation.handle(.start)
        let step = conversation.handle(.deskTookOver(conversationID: 40, inboxID: 3, updatedAt: 10))
        #expect(step.messages.isEmpty)
        #expect(step.commands.isEmpty)
        #expect(step.state.flow.position == .inHandover(nodeID: ""))
        #expect(step.state.handover?.phase == .active)
        #expect(step.state.handover?.openedInDesk == true)
        #expect(step.state.handover?.number == 1)
        // The user's words go to the humans.
        let relayed = conversation.send("hello?")
        #expect(relayed.messages.isEmpty)
        #expect(relayed.commands == [.sync])
        // A stale event from before the takeover is dropped; the resolve ends it with error / opened_in_desk.
        expectNothing(conversation.handle(.deskTookOver(conversationID: 40, inboxID: 3, updatedAt: 5)), from: conversation.state)
        let resolved = conversation.status(.resolved, in: 40, at: 20)
        #expect(resolved.state.handover?.phase == .resolved)
        #expect(resolved.messages.first == systemSays(HandoverNotices.resolved))
        #expect(resolved.messages.dropFirst().first == botSays("How can I help?"), "no node to resume at: the flow starts over")
    }

    @Test func theDeskOpeningAResolvedConversationAgainIsAReopen() throws {
        var conversation = try Conversation.resolved(at: 100)
        let step = conversation.handle(.deskTookOver(conversationID: firstConversation, inboxID: 7, updatedAt: 150))
        #expect(step.state.handover?.phase == .active)
        #expect(step.state.handover?.openedInDesk == nil)
        #expect(step.messages == [systemSays(HandoverNotices.reopened)])
    }

    // MARK: - An agent joins

    @Test func anAgentTakingTheConversationIsToldOnceAndOnlyWhileActive() throws {
        var opening = try Conversation.opening()
        expectNothing(opening.handle(.agentJoined(conversationID: firstConversation, agentName: "Maria")), from: opening.state)
        var conversation = try Conversation.active()
        let step = conversation.handle(.agentJoined(conversationID: firstConversation, agentName: "Maria"))
        var joined = SupportFlow.handover(.active, opened: true, agentJoined: true)
        joined.agentName = "Maria"
        expectStep(step, state: SupportFlow.state(.inHandover(nodeID: "agent"), handover: joined), messages: [systemSays(HandoverNotices.joined("Maria"))])
        expectNothing(conversation.handle(.agentJoined(conversationID: firstConversation, agentName: "Tom")), from: conversation.state)
        expectNothing(conversation.handle(.agentJoined(conversationID: 99, agentName: nil)), from: conversation.state)
        #expect(HandoverNotices.joined(nil) == "An agent has joined the conversation.")
    }

    // MARK: - Reopened

    @Test(arguments: [ProviderStatus.open, .pending])
    func reopeningAResolvedHandoverGivesTheUserBackToTheAgent(status: ProviderStatus) throws {
        var conversation = try Conversation.resolved(at: 100)
        let step = conversation.status(status, at: 200)
        expectStep(
            // An agent reopened it: the agent is there.
            step, state: SupportFlow.state(.inHandover(nodeID: "agent"), handover: SupportFlow.handover(.active, opened: true, statusUpdatedAt: 200, agentJoined: true)),
            messages: [systemSays(HandoverNotices.reopened)], commands: [.sync])
    }

    /// The user wrote as the agent resolved: the message, on its way, reached Chatwoot after the resolve and reopened
    /// the conversation (as any incoming message does). No agent came back: the user stays with the bot, the
    /// agents learn why in a note, and the conversation is resolved again; an agent who reopens it later has the
    /// user back.
    @Test(arguments: [ProviderStatus.open, .pending])
    func aReopeningByTheUsersLateMessageLeavesTheUserWithTheBot(status: ProviderStatus) throws {
        var conversation = try Conversation.resolved(at: 100)
        let resolved = conversation.state
        let late = 100.25
        let step = conversation.status(status, at: 100.5, newestUserMessageAt: late)
        var kept = resolved
        kept.handover?.statusUpdatedAt = 100.5
        kept.handover?.reopenedByUserMessageAt = 100.25
        expectStep(step, state: kept, commands: [.note(ConversationMachine.lateUserMessageNote), .close(conversationID: firstConversation)])

        // Chatwoot sends the event twice: nothing more.
        expectNothing(conversation.status(status, at: 100.5, newestUserMessageAt: late), from: kept)
        // Baton's own resolve comes back; the user is still with the bot, the flow where the resolve left it.
        let resolvedAgain = conversation.status(.resolved, at: 101)
        #expect(resolvedAgain.messages.isEmpty && resolvedAgain.commands.isEmpty)
        #expect(conversation.state.handover?.phase == .resolved && conversation.state.flow == resolved.flow)

        // An agent reopens it; the user's message is still the newest, and now older than the resolve.
        let reopened = conversation.status(.open, at: 200, newestUserMessageAt: late)
        #expect(reopened.state.handover?.phase == .active)
        #expect(reopened.messages == [systemSays(HandoverNotices.reopened)] && reopened.commands == [.sync])
    }

    @Test func aReopeningLongAfterTheLateMessagesIsAnAgentsEvenWhenBatonsResolveWasNotHeard() throws {
        var conversation = try Conversation.resolved(at: 100)
        let late = 100.25
        conversation.status(.open, at: 100.5, newestUserMessageAt: late)
        // No event of Baton's resolve (Chatwoot never sends one again): an open event minutes later is an agent's.
        let reopened = conversation.status(.open, at: 100.25 + 120, newestUserMessageAt: late)
        #expect(reopened.state.handover?.phase == .active && reopened.messages == [systemSays(HandoverNotices.reopened)])
    }

    /// Chatwoot states a message's time to the millisecond, truncated: one it shows up to a millisecond before the
    /// resolve may have been created after it; one earlier was there when the agent resolved and reopened nothing.
    @Test(arguments: [(99.9995, true), (100, true), (99.998, false), (50, false)])
    func onlyAMessageCreatedAfterTheResolveReopensIt(createdNoLaterThan: Double, byTheUser: Bool) throws {
        var conversation = try Conversation.resolved(at: 100)
        let step = conversation.status(.open, at: 200, newestUserMessageAt: createdNoLaterThan)
        #expect(step.state.handover?.phase == (byTheUser ? .resolved : .active))
        #expect(step.commands == (byTheUser ? [.note(ConversationMachine.lateUserMessageNote), .close(conversationID: firstConversation)] : [.sync]))
    }

    /// Chatwoot saves the reopened conversation again (`waiting_since`, an auto-assignment), each save with its own
    /// later event, until Baton's resolve lands: none is an agent's, nor is reconciliation's reading of it.
    @Test func theReopeningsLaterEventsAreNoAgentsUntilItIsResolvedAgain() throws {
        var conversation = try Conversation.resolved(at: 100)
        let late = 100.25
        conversation.status(.open, at: 100.3, newestUserMessageAt: late)
        let noted = conversation.state
        let later = conversation.status(.open, at: 101.5, newestUserMessageAt: late)
        #expect(later.messages.isEmpty && later.commands.isEmpty)
        var kept = noted
        kept.handover?.statusUpdatedAt = 101.5
        #expect(later.state == kept)
        // Read through the API by reconciliation, whose newest message may be Chatwoot's activity line: the same.
        let read = conversation.status(.open, at: 101.6)
        #expect(read.messages.isEmpty && read.commands.isEmpty && read.state.handover?.phase == .resolved)

        // Resolved again: forgotten, and the agent's reopening a moment later has the user back.
        conversation.status(.resolved, at: 102)
        #expect(conversation.state.handover?.reopenedByUserMessageAt == nil)
        let reopened = conversation.status(.open, at: 103, newestUserMessageAt: late)
        #expect(reopened.state.handover?.phase == .active && reopened.messages == [systemSays(HandoverNotices.reopened)])
    }

    /// An agent who writes after the user's late message answers it: they are there, and have the user back (Baton's
    /// resolve of it, not made yet, is then not made). One who wrote before it (a message delivered late, or written
    /// into the resolved conversation) does not.
    @Test func anAgentAnsweringTheUsersLateMessageHasTheUserBack() throws {
        var conversation = try Conversation.resolved(at: 100)
        let late = 100.25
        conversation.status(.open, at: 100.3, newestUserMessageAt: late)
        let before = conversation.status(.open, at: 100.4, agentWroteAt: 100.2)
        #expect(before.state.handover?.phase == .resolved && before.messages.isEmpty && before.commands.isEmpty)
        let answered = conversation.status(.open, at: 100.6, agentWroteAt: 100.5)
        #expect(answered.state.handover?.phase == .active)
        #expect(answered.state.handover?.reopenedByUserMessageAt == nil)
        #expect(answered.messages == [systemSays(HandoverNotices.reopened)] && answered.commands == [.sync])
    }

    /// Baton's own close of a quiet handover comes after the user's messages in the outbox: none lands after it,
    /// and a reopening is an agent's (also when the close's event was lost, and the user wrote after the last one).
    @Test func aReopeningOfAnInactiveHandoverIsAnAgents() throws {
        var conversation = try Conversation.resolved(at: 100)
        conversation.state.handover?.phase = .inactive
        let step = conversation.status(.pending, at: 300, newestUserMessageAt: 150)
        #expect(step.state.handover?.phase == .active && step.messages == [systemSays(HandoverNotices.reopened)])
    }

    @Test func withoutTheResolvesTimeAReopeningIsAnAgents() throws {
        var conversation = try Conversation.active()
        conversation.status(.resolved)
        let step = conversation.status(.open, at: 200, newestUserMessageAt: 150)
        #expect(step.state.handover?.phase == .active && step.messages == [systemSays(HandoverNotices.reopened)])
    }

    @Test(arguments: [ProviderStatus.open, .pending])
    func reopenedThenMessageThenResolvedAgain(status: ProviderStatus) throws {
        var conversation = try Conversation.resolved(at: 100)
        conversation.status(status, at: 200)
        let reopened = conversation.state

        expectStep(conversation.send("One more thing"), state: reopened, commands: [.sync])
        // Even an answer to the bot's last question ("Rate us?") now goes to the agent.
        expectStep(conversation.send("3"), state: reopened, commands: [.sync])

        let step = conversation.status(.resolved, at: 300)
        expectStep(
            step,
            state: SupportFlow.state(
                .awaitingAnswer(nodeID: "rate", attempts: 0), handover: SupportFlow.handover(.resolved, opened: true, statusUpdatedAt: 300, agentJoined: true)),
            messages: [systemSays(HandoverNotices.resolved), botSays("Thanks, completed"), botSays("Rate us?")])
    }

    @Test func reopeningAfterTheFlowMovedOnStillReturnsToTheHandover() throws {
        var conversation = try Conversation.resolved(at: 100)
        conversation.send("5")
        #expect(conversation.state.flow.position == .idle)
        let step = conversation.status(.open, at: 200)
        expectStep(
            step,
            state: SupportFlow.state(
                .inHandover(nodeID: "agent"), context: ["need": "billing", "rating": "5"],
                handover: SupportFlow.handover(.active, opened: true, statusUpdatedAt: 200, agentJoined: true)),
            messages: [systemSays(HandoverNotices.reopened)], commands: [.sync])
    }

    @Test func cancellingAReopenedHandoverClosesIt() throws {
        var conversation = try Conversation.resolved(at: 100)
        conversation.status(.open, at: 200)
        let step = conversation.send("stop waiting")
        expectStep(
            step,
            state: SupportFlow.state(
                .awaitingAnswer(nodeID: "again", attempts: 0), handover: SupportFlow.handover(.cancelled, opened: true, statusUpdatedAt: 200, agentJoined: true)),
            messages: [systemSays(HandoverNotices.cancelled), botSays("cancelled/user"), botSays("Anything else?")],
            commands: [.close(conversationID: firstConversation)])
    }

    // MARK: - Stale status events

    @Test(arguments: [ProviderStatus.open, .pending, .snoozed, .resolved])
    func anOlderStatusThanTheLastAppliedIsIgnoredWhileActive(status: ProviderStatus) throws {
        var conversation = try Conversation.active()
        conversation.status(.snoozed, at: 100)
        let before = conversation.state
        #expect(before.handover == SupportFlow.handover(.active, opened: true, statusUpdatedAt: 100))
        expectNothing(conversation.status(status, at: 99.999), from: before)
    }

    @Test(arguments: [ProviderStatus.open, .pending, .snoozed, .resolved])
    func anOlderStatusThanTheResolutionIsIgnored(status: ProviderStatus) throws {
        var conversation = try Conversation.resolved(at: 100)
        let before = conversation.state
        expectNothing(conversation.status(status, at: 50), from: before)
    }

    @Test func aStatusAsOldAsTheLastAppliedIsApplied() throws {
        var conversation = try Conversation.active()
        conversation.status(.open, at: 100)
        let step = conversation.status(.resolved, at: 100)
        #expect(step.state.handover == SupportFlow.handover(.resolved, opened: true, statusUpdatedAt: 100))
        #expect(step.messages.first == systemSays(HandoverNotices.resolved))
        #expect(step.state.flow.position == .awaitingAnswer(nodeID: "rate", attempts: 0))
    }

    @Test func aNewerStatusIsAppliedAndRemembered() throws {
        var conversation = try Conversation.resolved(at: 100)
        let step = conversation.status(.open, at: 100.5)
        #expect(step.state.handover == SupportFlow.handover(.active, opened: true, statusUpdatedAt: 100.5, agentJoined: true))
        #expect(step.commands == [.sync])
    }

    @Test func aStatusWithoutATimeIsAlwaysAppliedAndKeepsTheLastTime() throws {
        var conversation = try Conversation.active()
        conversation.status(.snoozed, at: 100)
        let resolved = conversation.status(.resolved)
        #expect(resolved.state.handover == SupportFlow.handover(.resolved, opened: true, statusUpdatedAt: 100))
        #expect(resolved.messages == [systemSays(HandoverNotices.resolved), botSays("Thanks, completed"), botSays("Rate us?")])
        let reopened = conversation.status(.open)
        #expect(reopened.state.handover == SupportFlow.handover(.active, opened: true, statusUpdatedAt: 100, agentJoined: true))
        #expect(reopened.commands == [.sync])
        // The remembered time still drops older events.
        let before = conversation.state
        expectNothing(conversation.status(.resolved, at: 10), from: before)
    }

    @Test func theFirstTimedStatusIsAppliedWhateverItsTime() throws {
        var conversation = try Conversation.active()
        let step = conversation.status(.resolved, at: -1_000)
        #expect(step.state.handover == SupportFlow.handover(.resolved, opened: true, statusUpdatedAt: -1_000))
    }

    @Test func aStatusThatChangesNoPhaseStillMovesTheClockSoOlderEventsAreDropped() throws {
        var conversation = try Conversation.active()
        let before = conversation.state
        let snoozed = conversation.status(.snoozed, at: 150)
        var expected = before
        expected.handover?.statusUpdatedAt = 150
        expectStep(snoozed, state: expected)
        // A resolution older than the snooze arrives late: the conversation is snoozed, not resolved.
        expectNothing(conversation.status(.resolved, at: 120), from: expected)
    }

    // MARK: - Statuses that change nothing

    @Test(arguments: [ProviderStatus.open, .pending, .snoozed])
    func statusesOtherThanResolvedWhileActiveChangeNothing(status: ProviderStatus) throws {
        var conversation = try Conversation.active()
        let before = conversation.state
        expectNothing(conversation.status(status), from: before)
        let timed = conversation.status(status, at: 10)
        var expected = before
        expected.handover?.statusUpdatedAt = 10
        expectStep(timed, state: expected)
    }

    @Test(arguments: [ProviderStatus.snoozed, .resolved])
    func snoozedOrResolvedWhileResolvedChangeNothing(status: ProviderStatus) throws {
        var conversation = try Conversation.resolved(at: 100)
        let before = conversation.state
        expectNothing(conversation.status(status), from: before)
    }

    enum EndedOrPending: String, CaseIterable, Sendable { case opening, failed, cancelledWhileOpening, cancelledWhileActive }

    fileprivate static func conversation(in phase: EndedOrPending) throws -> Conversation {
        switch phase {
        case .opening: return try .opening()
        case .failed: return try .failed()
        case .cancelledWhileActive: return try .cancelled()
        case .cancelledWhileOpening:
            var conversation = try Conversation.opening()
            conversation.send("stop waiting")
            return conversation
        }
    }

    @Test(arguments: EndedOrPending.allCases, [ProviderStatus.resolved, .open, .pending, .snoozed])
    func statusesWhileOpeningFailedOrCancelledChangeNothing(phase: EndedOrPending, status: ProviderStatus) throws {
        var conversation = try Self.conversation(in: phase)
        let before = conversation.state
        var untimed = before
        // A handover still opening keeps the event for the conversation about to be opened (webhooks can beat the
        // API's answer) and applies it once that conversation is known; nothing happens before.
        if phase == .opening {
            untimed.handover?.earlyStatus = HandoverState.EarlyStatus(status: status, conversationID: firstConversation, updatedAt: nil)
        }
        expectStep(conversation.status(status), state: untimed)
        let timed = conversation.status(status, at: 500)
        var expected = before
        // Only a handover that has the conversation remembers its time; one that never opened has no conversation.
        if phase == .cancelledWhileActive {
            #expect(before.handover?.conversationID == firstConversation)
            expected.handover?.statusUpdatedAt = 500
        } else {
            #expect(before.handover?.conversationID == nil)
        }
        if phase == .opening {
            expected.handover?.earlyStatus = HandoverState.EarlyStatus(status: status, conversationID: firstConversation, updatedAt: 500)
        }
        expectStep(timed, state: expected)
    }

    static let handoverEvents: [HandoverEvent] = [
        opened,
        .opened(number: 2, contactID: 11, conversationID: 23, inboxID: 7),
        .failedToOpen(number: 1, HandoverOutcome(status: .error, reason: .providerUnreachable)),
        .failedToOpen(number: 2, HandoverOutcome(status: .error, reason: .providerUnreachable)),
        .providerStatus(.open, conversationID: firstConversation, updatedAt: nil),
        .providerStatus(.pending, conversationID: firstConversation, updatedAt: 1),
        .providerStatus(.snoozed, conversationID: firstConversation, updatedAt: nil),
        .providerStatus(.resolved, conversationID: firstConversation, updatedAt: nil),
        .providerStatus(.resolved, conversationID: firstConversation, updatedAt: 2),
        .providerStatus(.resolved, conversationID: 23, updatedAt: 2),
    ]

    static let positions: [FlowState.Position] = [.idle, .awaitingAnswer(nodeID: "ask", attempts: 1), .inHandover(nodeID: "agent")]

    @Test(arguments: handoverEvents, positions)
    func handoverEventsWithoutAHandoverChangeNothing(event: HandoverEvent, position: FlowState.Position) throws {
        let state = ConversationState.at(position, context: ["need": "billing"], profile: ["name": "Ada"])
        var conversation = try Conversation(state: state)
        expectNothing(conversation.handle(event), from: state)
    }

    // MARK: - Further handovers

    @Test func aSecondHandoverAfterAResolvedOneIsNumberTwoAndKeepsTheSyncPosition() throws {
        var conversation = try Conversation.resolved(at: 100)
        conversation.state.handover?.syncedThrough = 40
        let step = conversation.send("agent please")
        var request = HandoverRequest(
            nodeID: "agent", provider: "chatwoot", inbox: .number(7),
            acceptedMessage: MessageContent(text: "An agent will help you with billing.", quickReplies: [QuickReply(title: "Leave queue")]))
        // The `human` intent led there, and the flow will be told so.
        request.trigger = SupportFlow.byIntent
        expectStep(
            step,
            state: SupportFlow.state(
                .inHandover(nodeID: "agent"), handover: SupportFlow.handover(.opening, number: 2, opened: false, syncedThrough: 40, trigger: SupportFlow.byIntent)),
            commands: [.open(request, number: 2)])
    }

    @Test(arguments: [Phase.cancelled, .failed])
    func aSecondHandoverAfterACancelledOrFailedOneIsNumberTwoAndKeepsTheSyncPosition(phase: Phase) throws {
        var conversation = try Self.conversation(in: phase)
        conversation.state.handover?.syncedThrough = 17
        let step = conversation.send("I need an agent")
        expectStep(
            step,
            state: SupportFlow.state(
                .inHandover(nodeID: "agent"), handover: SupportFlow.handover(.opening, number: 2, opened: false, syncedThrough: 17, trigger: SupportFlow.byIntent)),
            commands: [.open(SupportFlow.request(trigger: SupportFlow.byIntent), number: 2)])
    }

    @Test func theSecondHandoverRunsItsOwnLifecycle() throws {
        var conversation = try Conversation.resolved(at: 100)
        conversation.state.handover?.syncedThrough = 40
        conversation.send("agent please")

        let opened = conversation.handle(.opened(number: 2, contactID: 11, conversationID: 23, inboxID: 7))
        var active = HandoverState(
            phase: .active, nodeID: "agent", number: 2, inboxID: 7, contactID: 11, conversationID: 23, syncedThrough: 40,
            acceptedMessage: SupportFlow.accepted)
        active.trigger = SupportFlow.byIntent
        active.openedAt = machineClock
        expectStep(
            opened, state: SupportFlow.state(.inHandover(nodeID: "agent"), handover: active),
            messages: [botSays("An agent will help you with billing.", replies: [QuickReply(title: "Leave queue")])], commands: [.sync])

        // The first handover's time does not apply to the second: an early time is accepted.
        let resolved = conversation.status(.resolved, in: 23, at: 5)
        var ended = active
        ended.phase = .resolved
        ended.statusUpdatedAt = 5
        expectStep(
            resolved, state: SupportFlow.state(.awaitingAnswer(nodeID: "rate", attempts: 0), handover: ended),
            messages: [systemSays(HandoverNotices.resolved), botSays("Thanks, completed"), botSays("Rate us?")])

        conversation.state.handover?.syncedThrough = 55
        let third = conversation.send("agent again")
        expectStep(
            third,
            state: SupportFlow.state(
                .inHandover(nodeID: "agent"), handover: SupportFlow.handover(.opening, number: 3, opened: false, syncedThrough: 55, trigger: SupportFlow.byIntent)),
            commands: [.open(SupportFlow.request(trigger: SupportFlow.byIntent), number: 3)])
    }

    @Test func cancellingIntoAnotherHandoverClosesTheFirstAndOpensTheSecondInOneStep() throws {
        var conversation = try Conversation([
            .handover("first", cancelKeywords: ["next"]),
            .say("moving", "Trying {{ input.handover.status }}"),
            .handover("second", inbox: "9"),
        ])
        conversation.handle(.start)
        conversation.handle(opened)
        conversation.state.handover?.syncedThrough = 9
        let step = conversation.send("next please")
        let request = HandoverRequest(nodeID: "second", provider: "chatwoot", inbox: .number(9), acceptedMessage: nil)
        expectStep(
            step,
            state: ConversationState(
                flow: FlowState(position: .inHandover(nodeID: "second")), handover: HandoverState(phase: .opening, nodeID: "second", number: 2, syncedThrough: 9)),
            messages: [systemSays(HandoverNotices.cancelled), botSays("Trying cancelled")],
            commands: [.close(conversationID: firstConversation), .open(request, number: 2)])
    }

    @Test func resolvingIntoAnotherHandoverOpensTheSecondInOneStep() throws {
        var conversation = try Conversation([
            .handover("first", onResolve: "second"),
            .end("unused"),
            .handover("second", provider: "other", accepted: "Next team, {{ input.handover.status }}"),
        ])
        conversation.handle(.start)
        conversation.handle(opened)
        conversation.state.handover?.syncedThrough = 30
        let step = conversation.status(.resolved, at: 100)
        let accepted = MessageContent(text: "Next team, completed")
        expectStep(
            step,
            state: ConversationState(
                flow: FlowState(position: .inHandover(nodeID: "second")),
                handover: HandoverState(phase: .opening, nodeID: "second", number: 2, syncedThrough: 30, acceptedMessage: accepted)),
            messages: [systemSays(HandoverNotices.resolved)],
            commands: [.open(HandoverRequest(nodeID: "second", provider: "other", inbox: nil, acceptedMessage: accepted), number: 2)])
    }

    // MARK: - Events for an earlier handover or another conversation

    /// Handover 1 was cancelled while the provider was still opening it, then the user asked again: handover 2 opens.
    fileprivate static func secondOpeningAfterACancelledOpening() throws -> Conversation {
        var conversation = try Conversation.opening()
        conversation.send("stop waiting")
        conversation.send("I need an agent")
        #expect(
            conversation.state
                == SupportFlow.state(.inHandover(nodeID: "agent"), handover: SupportFlow.handover(.opening, number: 2, opened: false, trigger: SupportFlow.byIntent)))
        return conversation
    }

    /// What handover 2 is once the provider opened conversation 23 for it.
    static let secondActive: HandoverState = {
        var handover = HandoverState(
            phase: .active, nodeID: "agent", number: 2, inboxID: 7, contactID: 12, conversationID: 23, acceptedMessage: SupportFlow.accepted)
        handover.trigger = SupportFlow.byIntent
        handover.openedAt = machineClock
        return handover
    }()

    @Test func aLateOpenedForACancelledHandoverOnlyClosesItsConversationWhileTheNextOpens() throws {
        var conversation = try Self.secondOpeningAfterACancelledOpening()
        let opening = conversation.state

        // Handover 1's conversation arrives late: handover 2 stays opening and the stale conversation is closed.
        expectStep(conversation.handle(opened), state: opening, commands: [.close(conversationID: firstConversation)])

        // Handover 2's own conversation is adopted as usual.
        let own = conversation.handle(.opened(number: 2, contactID: 12, conversationID: 23, inboxID: 7))
        expectStep(
            own, state: SupportFlow.state(.inHandover(nodeID: "agent"), handover: Self.secondActive),
            messages: [botSays("An agent will help you with billing.", replies: [QuickReply(title: "Leave queue")])], commands: [.sync])

        // Should handover 1's conversation be reported again, it is still only closed.
        let active = conversation.state
        expectStep(conversation.handle(opened), state: active, commands: [.close(conversationID: firstConversation)])
    }

    @Test func aLateFailureForACancelledHandoverChangesNothingWhileTheNextOpens() throws {
        var conversation = try Self.secondOpeningAfterACancelledOpening()
        let opening = conversation.state
        expectNothing(conversation.handle(.failedToOpen(number: 1, HandoverOutcome(status: .error, reason: .providerUnreachable))), from: opening)

        // Handover 2's own failure still ends it.
        let own = conversation.handle(.failedToOpen(number: 2, HandoverOutcome(status: .error, reason: .rejected)))
        expectStep(
            own,
            state: SupportFlow.state(
                .awaitingAnswer(nodeID: "again", attempts: 0),
                handover: SupportFlow.handover(.failed, number: 2, opened: false, trigger: SupportFlow.byIntent).ending(HandoverOutcome(status: .error, reason: .rejected))),
            messages: [systemSays(HandoverNotices.failed), botSays("error/rejected"), botSays("Anything else?")])
    }

    @Test func aLateFailureForAnEarlierHandoverCannotEndTheActiveOne() throws {
        var conversation = try Self.secondOpeningAfterACancelledOpening()
        conversation.handle(.opened(number: 2, contactID: 12, conversationID: 23, inboxID: 7))
        let active = conversation.state
        #expect(active.handover == Self.secondActive)
        expectNothing(conversation.handle(.failedToOpen(number: 1, HandoverOutcome(status: .error, reason: .providerUnreachable))), from: active)
    }

    @Test(arguments: [ProviderStatus.resolved, .open, .pending, .snoozed])
    func statusesForAnEarlierHandoversConversationChangeNothing(status: ProviderStatus) throws {
        // Handover 1 (conversation 22) was resolved at 100; the user asked again.
        var conversation = try Conversation.resolved(at: 100)
        conversation.send("agent please")
        let opening = conversation.state
        #expect(opening.handover == SupportFlow.handover(.opening, number: 2, opened: false, trigger: SupportFlow.byIntent))

        // While handover 2 opens, not even a reopened conversation 22 takes the user back to handover 1: the event
        // is only kept in case 22 were the conversation being opened, and dropped when 23 opens.
        var kept = opening
        kept.handover?.earlyStatus = HandoverState.EarlyStatus(status: status, conversationID: firstConversation, updatedAt: 200)
        expectStep(conversation.status(status, in: firstConversation, at: 200), state: kept)
        expectStep(conversation.status(status, in: firstConversation), state: kept)

        conversation.handle(.opened(number: 2, contactID: 12, conversationID: 23, inboxID: 7))
        let active = conversation.state
        #expect(active.handover == Self.secondActive)

        // Handover 2 is active in 23: conversation 22's events change nothing, not even the remembered time.
        expectNothing(conversation.status(status, in: firstConversation, at: 200), from: active)
        expectNothing(conversation.status(status, in: firstConversation), from: active)

        // So handover 2's own event at an earlier time than those is still applied.
        let own = conversation.status(status, in: 23, at: 150)
        var expected = Self.secondActive
        expected.statusUpdatedAt = 150
        if status == .resolved { expected.phase = .resolved }
        #expect(own.state.handover == expected)
    }

    @Test(arguments: [ProviderStatus.resolved, .open, .pending, .snoozed])
    func statusesForAnUnknownConversationChangeNothing(status: ProviderStatus) throws {
        var conversation = try Conversation.active()
        let active = conversation.state
        expectNothing(conversation.status(status, in: 99, at: 100), from: active)
        expectNothing(conversation.status(status, in: 99), from: active)

        var resolved = try Conversation.resolved(at: 100)
        let before = resolved.state
        expectNothing(resolved.status(status, in: 99, at: 200), from: before)

        // The unknown conversation's time was not remembered: the active handover's own older resolution applies.
        let own = conversation.status(.resolved, at: 50)
        #expect(own.state.handover == SupportFlow.handover(.resolved, opened: true, statusUpdatedAt: 50))
    }

    // MARK: - Determinism

    /// A whole conversation through every phase, step by step.
    static func script() throws -> [ConversationStep] {
        var conversation = try Conversation()
        var steps: [ConversationStep] = []
        steps.append(conversation.handle(.start))
        steps.append(conversation.send("billing"))
        steps.append(conversation.send("hello?"))
        steps.append(conversation.handle(opened))
        steps.append(conversation.send("my invoice"))
        steps.append(conversation.status(.snoozed, at: 10))
        steps.append(conversation.status(.resolved, at: 20))
        steps.append(conversation.status(.open, at: 15))
        steps.append(conversation.status(.pending, at: 30))
        steps.append(conversation.send("still there?"))
        steps.append(conversation.status(.resolved, at: 40))
        steps.append(conversation.send("4"))
        steps.append(conversation.send("agent"))
        steps.append(conversation.handle(.failedToOpen(number: 2, HandoverOutcome(status: .error, reason: .rejected, detail: "rate limit"))))
        steps.append(conversation.send("no"))
        return steps
    }

    @Test func theSameEventsGiveTheSameSteps() throws {
        let first = try Self.script()
        let second = try Self.script()
        #expect(first.count == 15)
        #expect(first == second)
        #expect(
            first.last?.state.handover
                == SupportFlow.handover(.opening, number: 2, opened: false, trigger: SupportFlow.byIntent).with(phase: .failed)
                .ending(HandoverOutcome(status: .error, reason: .rejected, detail: "rate limit")))
    }

    @Test(arguments: handoverEvents)
    func theSameEventOnTheSameStateGivesTheSameStep(event: HandoverEvent) throws {
        let conversation = try Conversation.active()
        #expect(conversation.machine.handle(event, state: conversation.state) == conversation.machine.handle(event, state: conversation.state))
        let resolved = try Conversation.resolved()
        #expect(resolved.machine.handle(event, state: resolved.state) == resolved.machine.handle(event, state: resolved.state))
    }
}

extension HandoverState {
    fileprivate func with(phase: Phase) -> HandoverState {
        var copy = self
        copy.phase = phase
        return copy
    }

    /// The handover with how it ended, as the machine keeps it for an outside bot's notifications.
    func ending(_ outcome: HandoverOutcome) -> HandoverState {
        var copy = self
        copy.ending = outcome
        return copy
    }
}
