import BatonCore
import Foundation
import Testing

/// An agent gives the user back to the bot at a node of their choice without resolving the conversation.
@Suite struct HandBackTests {
    static let now = Date(timeIntervalSince1970: 1_750_000_000)

    static func machine() throws -> ConversationMachine {
        let nodes: [FlowNode] = [
            try .question("menu", "What do you need?", store: "need"),
            try .handover("agent", inbox: "7", onResolve: "thanks"),
            try .say("after", "{{ input.handover.status }}"),
            try .end("bye", "Bye"),
            try .say("thanks", "Thanks ({{ input.handover.status }})"),
            try .end("done"),
        ]
        return ConversationMachine(bot: FlowEngine(flow: Flow(name: "hand-back", nodes: nodes)), session: flowTestSession, now: now)
    }

    /// A conversation whose handover (conversation 22) is active.
    static func active(_ machine: ConversationMachine) -> ConversationState {
        var state = machine.handle(.start, state: ConversationState()).state
        state = machine.handle(.message(UserInput(text: "billing")), state: state).state
        return machine.handle(.opened(number: 1, contactID: 11, conversationID: 22, inboxID: 7), state: state).state
    }

    @Test func theFlowGoesOnAtTheChosenNodeAndTheDeskConversationIsReleasedNotResolved() throws {
        let machine = try Self.machine()
        let step = machine.handle(.handedBack(conversationID: 22, nodeID: "menu"), state: Self.active(machine))
        #expect(step.state.handover?.phase == .returned)
        #expect(step.state.flow.position == .awaitingAnswer(nodeID: "menu", attempts: 0))
        #expect(step.messages.map(\.content.text) == [HandoverNotices.english(.handedBack), "What do you need?"])
        #expect(
            step.commands == [
                .note("Baton: the user is back with the bot, at flow node 'menu'. This conversation was not resolved."), .release(conversationID: 22),
            ])
        #expect(step.problems.isEmpty)
        // Chatwoot's echo of the release (the conversation is still open, or pending on a channel) changes nothing.
        let echo = machine.handle(.returnedToBot(conversationID: 22, updatedAt: nil), state: step.state)
        #expect(echo.messages.isEmpty && echo.commands.isEmpty)
    }

    @Test func aNodeTheFlowDoesNotHaveIsLoggedAndTheFlowGoesOnAsAfterAResolve() throws {
        let machine = try Self.machine()
        let step = machine.handle(.handedBack(conversationID: 22, nodeID: "nowhere"), state: Self.active(machine))
        #expect(step.messages.map(\.content.text) == [HandoverNotices.english(.handedBack), "Thanks (returned)"])
        #expect(step.problems.map(\.message) == ["an agent handed the user back at unknown node 'nowhere'"])
    }

    @Test func onlyTheRunningHandoversConversationCanBeHandedBack() throws {
        let machine = try Self.machine()
        let state = Self.active(machine)
        #expect(machine.handle(.handedBack(conversationID: 99, nodeID: "menu"), state: state).state == state, "another conversation")
        let resolved = machine.handle(.providerStatus(.resolved, conversationID: 22, updatedAt: nil), state: state).state
        #expect(machine.handle(.handedBack(conversationID: 22, nodeID: "menu"), state: resolved).state == resolved, "already over")
    }
}
