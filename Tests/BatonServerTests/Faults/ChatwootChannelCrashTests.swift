import Foundation
import Testing

/// The Chatwoot channel's replies wait in the outbox like every desk call: a Baton killed with SIGKILL while
/// Chatwoot refuses them posts each of them once, in order, when it is back.
@Suite("Faults: Chatwoot channel crash", .serialized)
struct ChatwootChannelCrashTests {
    @Test func repliesWaitingInTheOutboxSurviveASigkill() async throws {
        let chatwoot = try await StandInHarness.start()
        defer { Task { await chatwoot.shutdown() } }
        let whatsapp = await chatwoot.channelInbox("whatsapp", name: "Acme WhatsApp")
        chatwoot.agentBotWebhooks()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-channel-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try ChatwootChannelTests.flowText.write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        let config = folder.appendingPathComponent("baton.yaml")
        try BatonProcess.configText(
            storage: "{ sqlite: { path: baton.sqlite } }", delivery: "{ requestTimeoutSeconds: 2 }", chatwoot: chatwoot, token: chatwoot.adminToken,
            channels: "{ chatwoot: { inboxes: [\(whatsapp)] } }"
        ).write(to: config, atomically: true, encoding: .utf8)

        let first = try await BatonProcess.start(config: config)
        defer { first.kill() }
        #expect(try await chatwoot.waitForConnectedBot(inbox: whatsapp).outgoingURL == first.baseURL + "/channels/chatwoot/test")
        // Chatwoot takes no message now: the bot's replies wait in Baton's outbox.
        chatwoot.fail("POST", "/api/v1/accounts/*/conversations/*/messages", status: 503, body: "{}", times: nil)
        let written = try await chatwoot.contactWrites(inbox: whatsapp, from: "4915550100", name: "Gus", "Hi")
        try await chatwoot.waitForWebhooksIdle()
        // Baton took the webhook (a refused one would have opened the conversation to humans).
        #expect(await chatwoot.conversationStatus(written.conversation) == "pending")
        #expect(await chatwoot.botMessages(written.conversation).isEmpty)

        first.kill()
        let second = try await BatonProcess.start(config: config)
        defer { second.kill() }
        // The new process listens on another port and points the bot at itself. Chatwoot takes messages again only
        // then: a reply posted before would send its event to the dead process's address, and Chatwoot opens a
        // conversation to humans when its bot's webhook fails (a deployment keeps its public URL across restarts).
        _ = try await chatwoot.waitForConnectedBot(inbox: whatsapp, outgoingURL: second.baseURL + "/channels/chatwoot/test")
        chatwoot.clearFaults()
        let replies = try await chatwoot.waitForBotMessages(written.conversation, count: 2, timeout: .seconds(30)).map(\.content)
        #expect(replies == ["Hi Gus, you write from whatsapp.", "What do you need?"])
        try await chatwoot.contactWrites(inbox: whatsapp, from: "4915550100", name: "Gus", "Orders")
        let more = try await chatwoot.waitForBotMessages(written.conversation, count: 4, timeout: .seconds(30)).map(\.content)
        #expect(more.suffix(2) == ["Topic: orders", "What do you need?"])
        try await chatwoot.waitForWebhooksIdle()
        #expect(await chatwoot.botMessages(written.conversation).count == 4, "each reply once")
    }
}
