import BatonConfig
import BatonCore
import BatonServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Handover timers, notes for the agents and notices in the user's language, against the Chatwoot stand-in over
/// real HTTP and WebSockets.
@Suite("Handover timers end to end")
struct HandoverTimersEndToEndTests {
    /// A flow whose handover (to the stand-in's inbox 1) reminds once after 1 s, and closes when no agent answered
    /// for `agentSeconds` or the user was quiet for `userSeconds`.
    static func flow(language: String? = nil, agentSeconds: Int = 3, userSeconds: Int = 60) -> String {
        """
        name: Timers
        nodes:
          - say: "Hello"
        \(language.map { "  - set: { profile.language: \($0) }" } ?? "")
          - say: "Asked twice for a human."
            to: agent
          - id: loop
            question: { text: "Say something", store: last }
          - handover:
              inboxId: 1
              acceptedMessage: "Queued."
              note: "Handed over ({{ input.trigger }}) about: {{ context.last }}"
              reminder: { everySeconds: 1, times: 1 }
              inactivity: { agentSeconds: \(agentSeconds), userSeconds: \(userSeconds) }
          - say: "Handover ended: {{ input.handover.status }} {{ input.handover.reason }}"
          - goto: loop
        """
    }

    static func privateNotes(_ chatwoot: StandInHarness, _ conversation: Int) async -> [String] {
        await chatwoot.messages(conversation).filter(\.isPrivate).compactMap(\.content)
    }

    @Test func aWaitingUserIsRemindedAndNobodyAnsweringClosesTheHandoverWithANote() async throws {
        try await HandoverEndToEndTests.withBaton(flow: Self.flow()) { chatwoot, client in
            try await client.chat("t0k3n") { chat in
                _ = try await chat.hello()
                #expect(try await chat.messages(2).map(\.text) == ["Hello", "Say something"], "the note for the agents is not shown")
                try await chat.say("my invoice")
                #expect(try await chat.messages(2).map(\.text) == ["my invoice", "Queued."])
                let conversation = try await chatwoot.waitForConversation().id
                #expect(try await chat.messages(1).map(\.text) == [HandoverNotices.reminder])
                let closed = try await chat.messages(3, within: .seconds(15))
                #expect(closed.map(\.text) == [HandoverNotices.inactiveAgent, "Handover ended: inactive agent_inactive", "Say something"])
                #expect(closed.first?["sender"] == "system")
                #expect(try await chatwoot.waitForStatus(conversation, "resolved") == "resolved")
                #expect(
                    await Self.privateNotes(chatwoot, conversation) == [
                        "Handed over (flow) about: my invoice", "Asked twice for a human.",
                        "Baton closed this conversation: no agent answered the user for 3 seconds. They are back with the bot.",
                    ])
            }
        }
    }

    /// Over REST, in German: an agent's answer stops the reminder and the agents' clock; the user's own silence
    /// then closes the handover.
    @Test func aQuietUserIsClosedOutInTheirLanguageAfterTheAgentAnswered() async throws {
        try await HandoverEndToEndTests.withBaton(flow: Self.flow(language: "de", agentSeconds: 30, userSeconds: 3)) { chatwoot, client in
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Rechnung"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
            let conversation = try await chatwoot.waitForConversation(session: session)
            _ = try await chatwoot.reply(conversation, "Ich schaue nach.")
            let texts = try await client.waitForText("Handover ended: inactive user_inactive", session: session, timeout: .seconds(20))
            #expect(texts.contains("Ich schaue nach."))
            #expect(!texts.contains { $0.hasPrefix("Danke für Ihre Geduld") }, "no reminder once an agent wrote")
            #expect(texts.contains("Das Gespräch mit unserem Team wurde beendet, weil eine Weile nichts geschrieben wurde. Sie sind wieder beim Bot."))
            #expect(try await chatwoot.waitForStatus(conversation, "resolved") == "resolved")
            #expect(
                await Self.privateNotes(chatwoot, conversation).last
                    == "Baton closed this conversation: the user wrote nothing for 3 seconds. They are back with the bot.")
        }
    }

    /// Baton closes a handover no agent answered, but Chatwoot refuses the close for a while; meanwhile an agent
    /// writes (the conversation is open there): the agent has the user again, so the close, once Chatwoot takes calls
    /// again, is not made, and the user's next message goes to the agent.
    @Test func anAgentWhoWritesBeforeBatonsCloseIsMadeKeepsTheUser() async throws {
        try await HandoverEndToEndTests.withBaton(flow: Self.flow(agentSeconds: 2)) { chatwoot, client in
            let close = "/api/v1/accounts/*/conversations/*/toggle_status"
            chatwoot.fail("POST", close, status: 500, body: #"{"error":"Internal Server Error"}"#, times: nil)
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "my invoice"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
            let conversation = try await chatwoot.waitForConversation(session: session)
            _ = try await client.waitForText("Handover ended: inactive agent_inactive", session: session, timeout: .seconds(20))
            try await chatwoot.waitForRequests("POST", pathSuffix: "/toggle_status", moreThan: 0)
            _ = try await chatwoot.reply(conversation, "Sorry for the wait, I am here now.")
            let texts = try await client.waitForText("Sorry for the wait, I am here now.", session: session, timeout: .seconds(20))
            #expect(texts.suffix(2) == [HandoverNotices.reopened, "Sorry for the wait, I am here now."])
            chatwoot.clearFaults()
            // The session's jobs run in order: this message reaches Chatwoot after the close was made or dropped.
            let answer = try await client.postJSON(RESTChannelTests.messagesPath, ["sessionId": .string(session), "text": "great, thanks"])
            #expect(answer["messages"].list.map(\.text) == ["great, thanks"], "no bot answer: the agent has the user")
            _ = try await chatwoot.waitForIncoming(conversation, including: ["great, thanks"])
            #expect(await chatwoot.answers("POST", pathSuffix: "/toggle_status").allSatisfy { $0 == 500 }, "no close was made")
            #expect(await chatwoot.conversationStatus(conversation) == "open")
        }
    }

    /// A timer set before a restart runs in the next process over the same database.
    @Test func aTimerRunsAfterARestart() async throws {
        let path = TestBaton.databasePath()
        let chatwoot = try await StandInHarness.start()
        let flow = Self.flow(agentSeconds: 4)
        let sessionBox = SessionBox()
        let conversationBox = SessionBox()
        do {
            try await HandoverEndToEndTests.app(chatwoot, databasePath: path, flow: flow).test(.live) { client in
                await chatwoot.pointWebhooks(to: "http://127.0.0.1:\(client.port ?? 0)/handover/chatwoot")
                let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "before the restart"])
                await sessionBox.set(first["sessionId"])
                guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
                _ = try await client.waitForText("Queued.", session: session)
                await conversationBox.set(.string(String(try await chatwoot.waitForConversation(session: session))))
            }
            let conversation = try #require(Int(await conversationBox.token ?? ""))
            #expect(await chatwoot.conversationStatus(conversation) == "open", "still open when the first process stopped")
            try await HandoverEndToEndTests.app(chatwoot, databasePath: path, flow: flow).test(.live) { client in
                await chatwoot.pointWebhooks(to: "http://127.0.0.1:\(client.port ?? 0)/handover/chatwoot")
                let session = try #require(await sessionBox.token)
                let texts = try await client.waitForText("Handover ended: inactive agent_inactive", session: session, timeout: .seconds(20))
                #expect(texts.filter { $0 == HandoverNotices.inactiveAgent }.count == 1)
                #expect(try await chatwoot.waitForStatus(conversation, "resolved") == "resolved")
            }
        } catch {
            await chatwoot.shutdown()
            throw error
        }
        #expect(await chatwoot.specViolations() == [])
        await chatwoot.shutdown()
    }
}
