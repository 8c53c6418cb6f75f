import BatonCore
import Foundation
import Testing

// Handover timers (reminders, inactivity), the notes a flow writes for the agents, and notices in the user's
// language, as the pure machine runs them: the clock is the machine's `now`, so each test walks time by hand.

private let opening = Date(timeIntervalSince1970: 1_750_000_000)

private func at(_ seconds: Double) -> Date { opening.addingTimeInterval(seconds) }

/// A handover node with the given timers, a line saying how it ended, and a question to wait on afterwards.
private func nodes(timers: HandoverTimers = HandoverTimers(), note: String? = nil, before: [FlowNode] = []) throws -> [FlowNode] {
    var node = HandoverNode(provider: "chatwoot", inbox: try Template(parsing: "7"))
    node.timers = timers
    node.note = try note.map { try Template(parsing: $0) }
    return before + [
        .handover("agent", node: node),
        try .say("after", "{{ input.handover.status }}/{{ input.handover.reason }}"),
        try .question("again", "Anything else?", store: "more"),
    ]
}

private let standardTimers = HandoverTimers(userInactivity: 600, agentInactivity: 300, reminderEvery: 60, reminderTimes: 2)

/// A conversation driven at chosen times.
private struct Clocked {
    let engine: FlowEngine
    var policy = HandoverPolicy()
    var state = ConversationState()

    init(_ nodes: [FlowNode], profile: JSONValue = .emptyObject, policy: HandoverPolicy = HandoverPolicy()) {
        engine = FlowEngine(flow: Flow(name: "timers", nodes: nodes))
        self.policy = policy
        state.profile = profile
    }

    func machine(_ seconds: Double) -> ConversationMachine {
        ConversationMachine(bot: engine, session: flowTestSession, now: at(seconds), policy: policy)
    }

    @discardableResult
    mutating func run(_ seconds: Double, _ body: (ConversationMachine, ConversationState) -> ConversationStep) -> ConversationStep {
        let step = body(machine(seconds), state)
        state = step.state
        return step
    }

    /// Starts the flow (at -5 s) and opens its handover's conversation 22 at time 0.
    mutating func openHandover() {
        run(-5) { $0.handle(.start, state: $1) }
        run(0) { $0.handle(.opened(number: 1, contactID: 11, conversationID: 22, inboxID: 7), state: $1) }
    }

    @discardableResult
    mutating func wake(_ seconds: Double) -> ConversationStep { run(seconds) { $0.wake(state: $1) } }
}

private func notice(_ text: String, at seconds: Double) -> MessageDraft {
    MessageDraft(sender: .system, content: MessageContent(text: text), createdAt: at(seconds))
}

@Suite struct HandoverTimersTests {
    @Test func remindersComeEveryIntervalWhileNoAgentHasWrittenAndStopAtTheirCount() throws {
        var chat = Clocked(try nodes(timers: standardTimers))
        chat.openHandover()
        #expect(chat.state.wakeAt == at(60))
        #expect(chat.wake(59.9).messages.isEmpty, "not due yet")
        #expect(chat.wake(60).messages == [notice(HandoverNotices.reminder, at: 60)])
        #expect(chat.state.wakeAt == at(120))
        #expect(chat.wake(60).messages.isEmpty, "a second wake at the same time (another instance) does nothing")
        #expect(chat.wake(125).messages == [notice(HandoverNotices.reminder, at: 125)])
        // Two reminders given: the next time is the agents' deadline.
        #expect(chat.state.wakeAt == at(300))
        #expect(chat.state.handover?.phase == .active)
    }

    @Test func anAgentsMessageStopsRemindersAndTheAgentClockUntilTheUserWritesAgain() throws {
        var chat = Clocked(try nodes(timers: standardTimers))
        chat.openHandover()
        chat.state.handover?.agentWrote(at: at(30))
        #expect(chat.state.wakeAt == at(600), "only the user's clock runs")
        chat.run(100) { $0.handle(.message(UserInput(text: "still there?")), state: $1) }
        // The user waits again from 100: the agents have until 400, the user's own clock restarted at 100.
        #expect(chat.state.wakeAt == at(400))
        let closed = chat.wake(400)
        #expect(closed.state.handover?.phase == .inactive)
        #expect(
            closed.commands == [
                .note("Baton closed this conversation: no agent answered the user for 5 minutes. They are back with the bot."), .close(conversationID: 22),
            ])
        #expect(closed.messages.map(\.content.text) == [HandoverNotices.inactiveAgent, "inactive/agent_inactive", "Anything else?"])
        #expect(closed.state.wakeAt == nil)
        #expect(closed.state.flow.position == .awaitingAnswer(nodeID: "again", attempts: 0))
    }

    @Test func aQuietUserClosesTheHandoverWithANoteForTheAgents() throws {
        var chat = Clocked(try nodes(timers: HandoverTimers(userInactivity: 90)))
        chat.openHandover()
        chat.run(50) { $0.handle(.message(UserInput(text: "one more thing")), state: $1) }
        #expect(chat.state.wakeAt == at(140))
        #expect(chat.wake(139).commands.isEmpty)
        let closed = chat.wake(140)
        #expect(closed.commands == [.note("Baton closed this conversation: the user wrote nothing for 90 seconds. They are back with the bot."), .close(conversationID: 22)])
        #expect(closed.messages.map(\.content.text) == [HandoverNotices.inactiveUser, "inactive/user_inactive", "Anything else?"])
        // Chatwoot's resolve that follows Baton's own close changes nothing.
        let echo = chat.run(141) { $0.handle(.providerStatus(.resolved, conversationID: 22, updatedAt: nil), state: $1) }
        #expect(echo.messages.isEmpty && echo.commands.isEmpty)
        // An agent who reopens it has the user again.
        let reopened = chat.run(200) { $0.handle(.providerStatus(.open, conversationID: 22, updatedAt: nil), state: $1) }
        #expect(reopened.state.handover?.phase == .active)
        #expect(reopened.messages.map(\.content.text) == [HandoverNotices.reopened])
        #expect(reopened.state.wakeAt == at(290), "the user's clock starts again at the reopening")
    }

    /// Until the desk says Baton's close is made, the conversation is still open there: Chatwoot's saves of it
    /// meanwhile are no agent reopening it, but an agent who writes in it is there, and has the user back.
    @Test func theConversationOpenBeforeBatonsCloseIsMadeIsNoReopeningButAnAgentWritingIs() throws {
        var chat = Clocked(try nodes(timers: HandoverTimers(userInactivity: 90)))
        chat.openHandover()
        let closed = chat.wake(90)
        #expect(closed.commands.contains(.close(conversationID: 22)))
        #expect(chat.state.handover?.closeRequested == true)
        let save = chat.run(91) { $0.handle(.providerStatus(.open, conversationID: 22, updatedAt: 1_000), state: $1) }
        #expect(save.state.handover?.phase == .inactive)
        #expect(save.messages.isEmpty && save.commands.isEmpty)
        let pending = chat.run(92) { $0.handle(.providerStatus(.pending, conversationID: 22, updatedAt: 1_001), state: $1) }
        #expect(pending.state.handover?.phase == .inactive)
        let wrote = chat.run(93) { $0.handle(.providerStatus(.open, conversationID: 22, updatedAt: 1_002, agentWroteAt: 1_001.5), state: $1) }
        #expect(wrote.state.handover?.phase == .active)
        #expect(wrote.messages.map(\.content.text) == [HandoverNotices.reopened])
        #expect(wrote.state.handover?.closeRequested == nil)
    }

    /// Once the desk said Baton's close was made, an agent reopening it has the user back, as after an agent's resolve.
    @Test func afterBatonsCloseIsMadeAReopeningIsAnAgents() throws {
        var chat = Clocked(try nodes(timers: HandoverTimers(userInactivity: 90)))
        chat.openHandover()
        _ = chat.wake(90)
        _ = chat.run(91) { $0.handle(.providerStatus(.resolved, conversationID: 22, updatedAt: 1_000), state: $1) }
        #expect(chat.state.handover?.closeRequested == nil)
        // An older event (built before the close was made) still changes nothing.
        let stale = chat.run(92) { $0.handle(.providerStatus(.open, conversationID: 22, updatedAt: 999), state: $1) }
        #expect(stale.state.handover?.phase == .inactive)
        let reopened = chat.run(93) { $0.handle(.providerStatus(.open, conversationID: 22, updatedAt: 1_001), state: $1) }
        #expect(reopened.state.handover?.phase == .active)
    }

    @Test func timersRunOnlyWhileTheHandoverIsActive() throws {
        var chat = Clocked(try nodes(timers: standardTimers))
        chat.run(-5) { $0.handle(.start, state: $1) }
        #expect(chat.state.handover?.phase == .opening)
        #expect(chat.state.wakeAt == nil, "opening: Chatwoot has not taken it yet")
        #expect(chat.wake(10_000).messages.isEmpty)
        chat.run(0) { $0.handle(.opened(number: 1, contactID: 11, conversationID: 22, inboxID: 7), state: $1) }
        chat.run(10) { $0.handle(.message(UserInput(text: "stop")), state: $1) }
        chat.run(20) { $0.handle(.providerStatus(.resolved, conversationID: 22, updatedAt: nil), state: $1) }
        #expect(chat.state.handover?.phase == .resolved)
        #expect(chat.state.wakeAt == nil)
    }

    @Test func theEndpointsDefaultsFillWhatTheNodeLeavesOut() throws {
        let policy = HandoverPolicy(timers: HandoverTimers(userInactivity: 900, agentInactivity: 120))
        var chat = Clocked(try nodes(timers: HandoverTimers(agentInactivity: 45)), policy: policy)
        chat.openHandover()
        #expect(chat.state.handover?.timers == HandoverTimers(userInactivity: 900, agentInactivity: 45))
        #expect(chat.state.wakeAt == at(45))
    }

    @Test func withoutTimersNothingIsKeptOrScheduled() throws {
        var chat = Clocked(try nodes())
        chat.openHandover()
        chat.run(10) { $0.handle(.message(UserInput(text: "hi")), state: $1) }
        #expect(chat.state.handover?.timers == nil)
        #expect(chat.state.handover?.userWroteAt == nil && chat.state.handover?.waitingSince == nil)
        #expect(chat.state.handover?.openedAt != nil, "kept for the handover's measures")
        #expect(chat.state.wakeAt == nil)
    }

    // MARK: Notes for the agents

    @Test func notesWrittenBeforeAHandoverArePostedWhenItOpensAfterTheNodesOwnNote() throws {
        var toAgent = FlowNode.say("vip", message: try .text("VIP customer: {{ profile.tier }}"))
        if case .say(var say) = toAgent.kind { say.to = .agent; toAgent.kind = .say(say) }
        var toBoth = FlowNode.say("both", message: try .text("We will call you back."))
        if case .say(var say) = toBoth.kind { say.to = .both; toBoth.kind = .say(say) }
        var chat = Clocked(try nodes(note: "Why: {{ input.trigger }} — {{ profile.tier }}", before: [toAgent, toBoth]), profile: ["tier": "gold"])
        let start = chat.run(-5) { $0.handle(.start, state: $1) }
        #expect(start.messages.map(\.content.text) == ["We will call you back."], "the user reads only what is for them")
        guard case .open(let request, _)? = start.commands.first else { Issue.record("no open command"); return }
        #expect(request.note == "Why: flow — gold")
        #expect(start.commands.dropFirst() == [.note("Why: flow — gold"), .note("VIP customer: gold"), .note("We will call you back.")])
        #expect(start.state.agentNotes == nil, "handed over once")
    }

    @Test func aNoteDuringAHandoverGoesToItsConversationAndOneWithoutAHandoverWaits() throws {
        var toAgent = FlowNode.say("tell", message: try .text("Checked the order"))
        if case .say(var say) = toAgent.kind { say.to = .agent; toAgent.kind = .say(say) }
        var chat = Clocked([toAgent, try .question("ask", "Anything?", store: "x")])
        let step = chat.run(0) { $0.handle(.start, state: $1) }
        #expect(step.commands.isEmpty)
        #expect(step.messages.map(\.content.text) == ["Anything?"])
        #expect(chat.state.agentNotes == ["Checked the order"])
        // A flow that never hands over keeps only the newest notes.
        for index in 0..<50 { chat.run(Double(index)) { $0.handle(.message(UserInput(text: "x\(index)")), state: $1) } }
        #expect(chat.state.agentNotes?.count == HandoverPolicy.maxPendingNotes)
    }

    // MARK: Notices in the user's language

    @Test func noticesFollowTheProfilesLanguageWithTheEndpointsWordsFirst() throws {
        let notices = Notices(texts: ["de": [.resolved: "Zurück beim Bot."], "en": [.reminder: "Hang on!"]], defaultLanguage: "fr")
        #expect(notices.text(.resolved, language: "de") == "Zurück beim Bot.")
        #expect(notices.text(.resolved, language: "de-AT") == "Zurück beim Bot.", "a regional tag falls back to its language")
        #expect(notices.text(.cancelled, language: "DE_at") == "Sie haben die Warteschlange verlassen.", "then Baton's own German")
        #expect(notices.text(.cancelled, language: "pt-BR") == "Você saiu da fila.")
        #expect(notices.text(.cancelled, language: nil) == "Vous avez quitté la file d’attente.", "no language: the endpoint's default")
        #expect(notices.text(.cancelled, language: "ja") == "Vous avez quitté la file d’attente.", "not shipped: the default language")
        #expect(notices.text(.reminder, language: "ja") == "Merci de votre patience. Un agent va vous répondre dès que possible.")
        #expect(Notices(texts: ["en": [.reminder: "Hang on!"]]).text(.reminder, language: "ja") == "Hang on!")
        #expect(notices.for(profile: ["language": "es"]).joined("Ana") == "Ana se ha unido a la conversación.")
    }

    @Test func everyNoticeIsShippedInEveryLanguageWithOnlyItsPlaceholders() {
        for language in ["en", "de", "es", "fr", "pt"] {
            let standard = Notices(defaultLanguage: language)
            for key in NoticeKey.allCases {
                let text = standard.text(key, language: language)
                #expect(text != key.rawValue, "\(language).\(key.rawValue) is missing")
                if language != "en" { #expect(text != Notices.standard.text(key, language: "en"), "\(language).\(key.rawValue) is English") }
                for placeholder in key.placeholders { #expect(text.contains("{\(placeholder)}"), "\(language).\(key.rawValue) lacks {\(placeholder)}") }
            }
        }
    }

    @Test func theMachineSpeaksTheUsersLanguage() throws {
        var chat = Clocked(try nodes(timers: HandoverTimers(reminderEvery: 30, reminderTimes: 1)), profile: ["language": "de"])
        chat.openHandover()
        #expect(chat.wake(30).messages == [notice("Danke für Ihre Geduld. Gleich ist jemand aus unserem Team für Sie da.", at: 30)])
        let resolved = chat.run(40) { $0.handle(.providerStatus(.resolved, conversationID: 22, updatedAt: nil), state: $1) }
        #expect(resolved.messages.first?.content.text == "Das Gespräch mit unserem Team wurde beendet. Sie sind wieder beim Bot.")
    }
}
