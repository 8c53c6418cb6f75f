import BatonCore
import Foundation
import HummingbirdTesting
import Testing

/// Hand-back without resolving, on both channel kinds.
@Suite("Hand-back end to end")
struct HandBackEndToEndTests {
    /// An agent gives the user back to the bot at a chosen node by setting `baton_resume_at`: nothing is resolved
    /// (no survey goes out), the attribute is cleared for the next time, and a note tells the agents.
    @Test func anAgentHandsTheUserBackAtANodeWithoutResolving() async throws {
        try await HandoverEndToEndTests.withBaton { chatwoot, client in
            try await chatwoot.enableSurvey(chatwoot.supportInbox)
            try await client.chat("t0k3n") { chat in
                let session = try await chat.askForAnAgent()
                _ = try await chat.messages(2)
                let conversation = try await chatwoot.waitForConversation(session: session)
                try await chatwoot.waitForMessages(conversation, count: 6)
                try await chatwoot.handBack(conversation, at: "loop")
                #expect(try await chat.messages(2).map(\.text) == [HandoverNotices.english(.handedBack), "Say something"])
                try await chat.say("hello bot")
                #expect(try await chat.messages(3).map(\.text) == ["hello bot", "You said hello bot", "Say something"], "the bot has the user")
                try await chatwoot.waitForWebhooksIdle()
                #expect(await chatwoot.conversationStatus(conversation) == "open", "not resolved")
                #expect(await chatwoot.surveys(in: conversation) == 0)
                try await chatwoot.waitUntilAttributeRemoved("baton_resume_at", of: conversation)
                #expect(await chatwoot.messages(conversation).filter(\.isPrivate).last?.content?.hasPrefix("Baton: the user is back with the bot") == true)
                #expect(await chatwoot.incomingTexts(conversation).contains("hello bot") == false, "the bot's turns stay out of the desk")
            }
        }
    }

    @Test func onAChatwootChannelTheConversationGoesBackToTheBot() async throws {
        try await ChatwootChannelTests.withBaton { chatwoot, inboxes, _ in
            let first = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550010", name: "Mo", "Hi")
            try await chatwoot.waitForBotMessages(first.conversation, count: 2)
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550010", name: "Mo", "agent")
            _ = try await chatwoot.waitForStatus(first.conversation, "open")
            try await chatwoot.handBack(first.conversation, at: "menu")
            _ = try await chatwoot.waitForStatus(first.conversation, "pending")
            let said = try await chatwoot.waitForBotMessages(first.conversation, count: 5).map(\.content)
            #expect(said.suffix(2) == [HandoverNotices.english(.handedBack), "What do you need?"])
            try await chatwoot.waitUntilAttributeRemoved("baton_resume_at", of: first.conversation)
        }
    }
}
