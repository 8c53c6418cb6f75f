import ChatwootStandIn
import Foundation
import NIOHTTP1
import Testing

/// Agent-bot webhooks as §5 of the contract describes them: who gets them, how they are signed, retried only on
/// 429/500, and what a final failure does to a pending conversation.
@Suite struct AgentBotWebhookTests {
    static let lena = ChannelContact(sourceId: "4917612345678", name: "Lena Vogel", phoneNumber: "+4917612345678")

    /// A WhatsApp inbox with a connected bot whose webhooks go to their own receiver.
    struct BotSetUp {
        let inbox: Inbox
        let bot: AgentBot
        let receiver: WebhookReceiver
    }

    static func whatsappWithBot(_ h: Harness, options: (inout WebhookOptions) -> Void = { _ in }) async throws -> BotSetUp {
        let receiver = try await WebhookReceiver.start()
        let inbox = await h.standIn.createInbox(account: h.account, name: "Acme WhatsApp", channel: .whatsapp)
        let bot = await h.standIn.createAgentBot(account: h.account, name: "Handover Bot", outgoingURL: receiver.url)
        try await h.standIn.connectAgentBot(bot.id, toInbox: inbox.id)
        h.standIn.updateWebhookOptions {
            $0.agentBotRetryWait = .milliseconds(50)
            options(&$0)
        }
        return BotSetUp(inbox: inbox, bot: bot, receiver: receiver)
    }

    @Test func aContactMessageReachesTheBotSignedWithTheBotsSecret() async throws {
        try await Harness.with { h in
            let setUp = try await Self.whatsappWithBot(h)
            let message = try await h.standIn.contactWrites(inbox: setUp.inbox.id, as: Self.lena, content: "Hi, where is my order #4711?")
            let delivery = try await setUp.receiver.waitFor(event: "message_created")
            let sample = try Samples.json("agent-bot-samples/01-message_created-incoming-whatsapp-text.json")
            #expect(Shape.differences(delivery.json, sample, ignoring: ["attachments"]).isEmpty, "\(Shape.differences(delivery.json, sample))")
            #expect(delivery.json["id"] == .int(message.id))
            #expect(delivery.json["message_type"] == "incoming")
            #expect(delivery.json["conversation"]?["status"] == "pending")
            #expect(delivery.json["conversation"]?["channel"] == "Channel::Whatsapp")
            #expect(delivery.json["source_id"]?.stringValue?.hasPrefix("wamid.") == true)
            let timestamp = try #require(delivery.headers["x-chatwoot-timestamp"])
            let signature = try #require(delivery.headers["x-chatwoot-signature"])
            #expect(WebhookSigner.isValid(signature: signature, secret: setUp.bot.secret, timestamp: timestamp, body: delivery.body))
            // Never with the inbox's secret, and no conversation_created for bots.
            let inboxSecret = try #require(await h.standIn.snapshot().inbox(setUp.inbox.id)?.secret)
            #expect(!WebhookSigner.isValid(signature: signature, secret: inboxSecret, timestamp: timestamp, body: delivery.body))
            try await h.standIn.waitForWebhooksIdle()
            #expect(await setUp.receiver.received().allSatisfy { $0.event != "conversation_created" })
        }
    }

    @Test func fiveHundredIsRetriedTwiceWithTheSameDeliveryThenThePendingConversationOpens() async throws {
        try await Harness.with { h in
            let setUp = try await Self.whatsappWithBot(h)
            await setUp.receiver.setBehaviour(status: 500)
            let message = try await h.standIn.contactWrites(inbox: setUp.inbox.id, as: Self.lena, content: "Hello?")
            try await h.standIn.waitForWebhooksIdle()
            let attempts = await h.standIn.deliveries().filter { $0.agentBotId == setUp.bot.id && $0.messageId == message.id && $0.event == "message_created" }
            #expect(attempts.map(\.attempt) == [1, 2, 3])
            #expect(Set(attempts.map(\.deliveryId)).count == 1)
            let conversation = try #require(await h.standIn.conversation(message.conversation))
            #expect(conversation.status == .open)
            let activity = await h.standIn.messages(message.conversation).last { $0.messageType == .activity }
            #expect(activity?.content == "Conversation was marked open by system due to an error with the agent bot.")
        }
    }

    @Test func otherFailuresAreFinalAtOnceAndKeepPendingIsHonoured() async throws {
        try await Harness.with { h in
            let setUp = try await Self.whatsappWithBot(h)
            await setUp.receiver.setBehaviour(status: 401)
            await h.standIn.setKeepPendingOnBotFailure(true, account: h.account)
            let kept = try await h.standIn.contactWrites(inbox: setUp.inbox.id, as: Self.lena, content: "First")
            try await h.standIn.waitForWebhooksIdle()
            #expect(await h.standIn.conversation(kept.conversation)?.status == .pending)
            await h.standIn.setKeepPendingOnBotFailure(false, account: h.account)
            await h.standIn.clearRecords()
            let opened = try await h.standIn.contactWrites(inbox: setUp.inbox.id, as: Self.lena, content: "Second")
            try await h.standIn.waitForWebhooksIdle()
            let attempts = await h.standIn.deliveries().filter { $0.messageId == opened.id && $0.event == "message_created" }
            #expect(attempts.count == 1)
            #expect(await h.standIn.conversation(opened.conversation)?.status == .open)
        }
    }

    @Test func theBotHandsOffAndAContactAfterResolveGetsANewPendingConversation() async throws {
        try await Harness.with { h in
            let setUp = try await Self.whatsappWithBot(h)
            let first = try await h.standIn.contactWrites(inbox: setUp.inbox.id, as: Self.lena, content: "I need a human")
            let handoff = try await h.call(
                .POST, "/conversations/\(first.conversationDisplayId)/toggle_status", token: setUp.bot.accessToken, json: ["status": "open"])
            #expect(handoff.status == 200)
            try await setUp.receiver.waitFor(event: "conversation_opened")
            let status = try await setUp.receiver.waitFor(event: "conversation_status_changed")
            #expect(status.json["status"] == "open")
            try await h.standIn.agent(h.seed.agent.id).resolve(first.conversation)
            try await setUp.receiver.waitFor(event: "conversation_resolved")
            let again = try await h.standIn.contactWrites(inbox: setUp.inbox.id, as: Self.lena, content: "One more thing")
            #expect(again.conversationDisplayId != first.conversationDisplayId)
            #expect(await h.standIn.conversation(again.conversation)?.status == .pending)
        }
    }

    @Test func repliesGetThePlatformsIdAndWhatsAppRefusesOverlongButtons() async throws {
        try await Harness.with { h in
            let setUp = try await Self.whatsappWithBot(h)
            let first = try await h.standIn.contactWrites(inbox: setUp.inbox.id, as: Self.lena, content: "Hi")
            let path = "/conversations/\(first.conversationDisplayId)/messages"
            let reply = try await h.call(.POST, path, token: setUp.bot.accessToken, json: ["content": "Hello Lena!"])
            #expect(reply.status == 200)
            let sent = try await setUp.receiver.waitFor(event: "message_updated") { $0.json["id"] == reply.json["id"] }
            #expect(sent.json["source_id"]?.stringValue?.hasPrefix("wamid.") == true)
            let items: JSONValue = [["title": "Track my parcel please", "value": "track"], ["title": "Talk to a person", "value": "human"]]
            let buttons = try await h.call(
                .POST, path, token: setUp.bot.accessToken, json: ["content": "Choose", "content_type": "input_select", "content_attributes": ["items": items]])
            let failed = try await setUp.receiver.waitFor(event: "message_updated") { $0.json["id"] == buttons.json["id"] }
            // Webhooks carry no status; the platform's refusal is in content_attributes.external_error.
            #expect(failed.json["content_attributes"]?["external_error"]?.stringValue?.contains("131009") == true)
            #expect(await h.standIn.snapshot().message(buttons.json["id"]?.intValue ?? 0)?.status == .failed)
            let empty = try await h.call(
                .POST, path, token: setUp.bot.accessToken, json: ["content": "Choose", "content_type": "input_select", "content_attributes": ["items": []]])
            #expect(empty.status == 422)
            #expect(empty.json["error"] == "Validation failed: Content attributes At least one item is required.")
        }
    }

    @Test func theWidgetReportsOpeningsAndChoices() async throws {
        try await Harness.with { h in
            let receiver = try await WebhookReceiver.start()
            let inbox = await h.standIn.createInbox(account: h.account, name: "Website", channel: .webWidget)
            let bot = await h.standIn.createAgentBot(account: h.account, name: "Site Bot", outgoingURL: receiver.url)
            try await h.standIn.connectAgentBot(bot.id, toInbox: inbox.id)
            let visitor = ChannelContact(sourceId: "5c3b9a1e-2f0d-4c1a-9a55-0f6f1f8c2d11", name: "delicate-haze-231")
            try await h.standIn.widgetOpened(inbox: inbox.id, by: visitor)
            let opened = try await receiver.waitFor(event: "webwidget_triggered")
            let sample = try Samples.json("agent-bot-samples/03-webwidget_triggered.json")
            #expect(Shape.differences(opened.json, sample).isEmpty, "\(Shape.differences(opened.json, sample))")
            #expect(opened.json["current_conversation"] == .null)
            let first = try await h.standIn.contactWrites(inbox: inbox.id, as: visitor, content: "Hi")
            let options = try await h.call(
                .POST, "/conversations/\(first.conversationDisplayId)/messages", token: bot.accessToken,
                json: ["content": "Pick one", "content_type": "input_select", "content_attributes": ["items": [["title": "Orders", "value": "orders"]]]])
            let messageId = try #require(options.json["id"]?.intValue)
            try await h.standIn.widgetChooses("Orders", value: "orders", message: messageId)
            let chosen = try await receiver.waitFor(event: "message_updated") { $0.json["content_attributes"]?["submitted_values"] != nil }
            #expect(chosen.json["content_attributes"]?["submitted_values"]?[0]?["value"] == "orders")
        }
    }
}
