import ChatwootStandIn
import Foundation
import NIOHTTP1
import Testing

@Suite struct WebhookTests {
    /// Compares a delivered message webhook with a sample, level by level. `attachments` is only present when a
    /// message has some (`Message#webhook_data`), so it is left out of key comparisons.
    static func expectSameShape(_ actual: JSONValue, _ sample: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) {
        var problems = Shape.differences(actual, sample, ignoring: ["attachments"])
        problems += Shape.differences(actual["conversation"], sample["conversation"], path: "conversation")
        problems += Shape.differences(actual["conversation"]?["meta"], sample["conversation"]?["meta"], path: "conversation.meta")
        problems += Shape.differences(actual["conversation"]?["contact_inbox"], sample["conversation"]?["contact_inbox"], path: "conversation.contact_inbox")
        problems += Shape.differences(
            actual["conversation"]?["messages"]?[0], sample["conversation"]?["messages"]?[0], path: "conversation.messages[0]", ignoring: ["attachments"])
        problems += Shape.differences(
            actual["conversation"]?["messages"]?[0]?["sender"], sample["conversation"]?["messages"]?[0]?["sender"], path: "conversation.messages[0].sender")
        problems += Shape.differences(actual["sender"], sample["sender"], path: "sender")
        #expect(problems.isEmpty, "\(problems)", sourceLocation: sourceLocation)
        let order = { (value: JSONValue) in value.keys.filter { $0 != "attachments" } }
        #expect(order(actual) == order(sample), "top-level key order \(actual.keys) vs \(sample.keys)", sourceLocation: sourceLocation)
        #expect(Shape.sameOrder(actual["conversation"], sample["conversation"]), sourceLocation: sourceLocation)
    }

    @Test func agentReplyEchoesAndNotesMatchTheSamples() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation()
            let ref = h.ref(conversation.displayId)
            let created = try await h.receiver.waitFor(event: "conversation_created")
            #expect(Shape.differences(created.json, try Samples.webhook("18-conversation_created.json")).isEmpty)
            #expect(Shape.sameOrder(created.json, try Samples.webhook("18-conversation_created.json")))

            // The bridge's own incoming post echoes back (sender without `type`).
            _ = try await h.call(
                .POST, "/conversations/\(conversation.displayId)/messages", token: h.adminToken,
                json: ["content": "Thanks, got it.", "message_type": "incoming", "source_id": "cognigy-msg-0008"])
            let incoming = try await h.receiver.waitFor(event: "message_created") { $0.json["message_type"] == "incoming" }
            Self.expectSameShape(incoming.json, try Samples.webhook("09-message_created-incoming-contact-echo-IGNORE.json"))
            #expect(incoming.json["source_id"] == "cognigy-msg-0008")

            // A bot message echoes with sender.type agent_bot.
            let bot = await h.standIn.createAgentBot(account: h.account, name: "Handover Bot")
            _ = try await h.call(.POST, "/conversations/\(conversation.displayId)/messages", token: bot.accessToken, json: ["content": "Handing over", "message_type": "outgoing"])
            let botEcho = try await h.receiver.waitFor(event: "message_created") { $0.json["sender"]?["type"] == "agent_bot" }
            Self.expectSameShape(botEcho.json, try Samples.webhook("10-message_created-bot-outgoing-echo-IGNORE.json"))

            // The agent's reply (Markdown raw) — what a bridge forwards.
            try await h.standIn.agent(h.seed.agent.id).reply(ref, "Hi Jane, I'm **Maria** from support.\n\nLet me check <order> & more.")
            let reply = try await h.receiver.waitFor(event: "message_created") { $0.json["sender"]?["type"] == "user" && $0.json["private"] == false }
            Self.expectSameShape(reply.json, try Samples.webhook("01-message_created-agent-text-reply.json"))
            #expect(reply.json["message_type"] == "outgoing")
            #expect(reply.json["conversation"]?["messages"]?[0]?["message_type"] == 1)
            #expect(reply.json["content"] == "Hi Jane, I'm **Maria** from support.\n\nLet me check <order> & more.")
            let raw = String(decoding: reply.body, as: UTF8.self)
            #expect(raw.contains(#"Let me check \u003corder\u003e \u0026 more."#))
            #expect(!raw.contains("\n"), "compact JSON")

            // A private note is delivered too (private: true), with the last public message inside.
            try await h.standIn.agent(h.seed.agent.id).privateNote(ref, "@Tom please check")
            let note = try await h.receiver.waitFor(event: "message_created") { $0.json["private"] == true }
            Self.expectSameShape(note.json, try Samples.webhook("08-message_created-private-note-IGNORE.json"))
            #expect(note.json["conversation"]?["messages"]?[0]?["content"] == reply.json["content"])

            // First human reply: conversation_updated with first_reply_created_at.
            let firstReply = try await h.receiver.waitFor(event: "conversation_updated") {
                $0.json["changed_attributes"]?.arrayValue?.contains { $0["first_reply_created_at"] != nil } == true
            }
            #expect(firstReply.json["first_reply_created_at"]?.stringValue != nil)
        }
    }

    @Test func attachmentsAndUnicodeInWebhooks() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation()
            let ref = h.ref(conversation.displayId)
            let gif = StandInFile(filename: "thumbs-up.gif", mimeType: "image/gif", data: Array("GIF89a animated".utf8))
            let mp4 = StandInFile(filename: "reorder-howto.mp4", mimeType: "video/mp4", data: [0, 0, 0, 32])
            let pdf = StandInFile(filename: "invoice-4711.pdf", mimeType: "application/pdf", data: Array("%PDF".utf8))
            try await h.standIn.agent(h.seed.agent.id).reply(ref, "Your files:", attachments: [gif, mp4, pdf])
            let event = try await h.receiver.waitFor(event: "message_created") { $0.json["attachments"] != nil }
            Self.expectSameShape(event.json, try Samples.webhook("02-message_created-agent-image.json"))
            let attachments = try #require(event.json["attachments"]?.arrayValue)
            #expect(attachments.map { $0["file_type"]?.stringValue } == ["image", "video", "file"])
            #expect(attachments.map { $0["content_type"]?.stringValue } == ["image/gif", "video/mp4", "application/pdf"])
            #expect(Shape.sameOrder(attachments[1], try Samples.webhook("03-message_created-agent-video-mp4.json")["attachments"]?[0]))

            // Attachment-only: content null.
            try await h.standIn.agent(h.seed.agent.id).reply(ref, nil, attachments: [pdf])
            let only = try await h.receiver.waitFor(event: "message_created") { $0.json["content"] == .null }
            #expect(only.json["attachments"]?.arrayValue?.count == 1)

            let text = "Grüße, Jane! 👋 Die Erstattung ist unterwegs ✅ — «merci» & 谢谢 <3 👩🏽‍💻"
            try await h.standIn.agent(h.seed.agent.id).reply(ref, text)
            let unicode = try await h.receiver.waitFor(event: "message_created") { $0.json["content"] == .string(text) }
            let raw = String(decoding: unicode.body, as: UTF8.self)
            #expect(raw.contains(#""content":"Grüße, Jane! 👋 Die Erstattung ist unterwegs ✅ — «merci» \u0026 谢谢 \u003c3 👩🏽‍💻""#))
        }
    }

    @Test func signatureHeadersAndTheSignedExample() async throws {
        // The checked vector from webhook-samples/signed-example.*.
        let body = Array(try Samples.data("webhook-samples/signed-example.body.json"))
        let headers = try Samples.json("webhook-samples/signed-example.headers.json")
        let secret = try #require(headers["secret_used"]?.stringValue)
        let timestamp = try #require(headers["headers"]?["X-Chatwoot-Timestamp"]?.stringValue)
        #expect(WebhookSigner.signature(secret: secret, timestamp: timestamp, body: body) == headers["headers"]?["X-Chatwoot-Signature"]?.stringValue)
        // Our serializer reproduces the example body byte for byte (order, escaping, floats).
        let parsed = try JSONValue.parse(String(decoding: body, as: UTF8.self))
        #expect(JSONWriter.bytes(parsed) == body)

        try await Harness.with { h in
            _ = try await h.createConversation()
            let delivery = try await h.receiver.waitFor(event: "conversation_created")
            #expect(delivery.headers["content-type"] == "application/json")
            #expect(delivery.headers["accept"] == "application/json")
            let deliveryId = try #require(delivery.headers["x-chatwoot-delivery"])
            #expect(UUID(uuidString: deliveryId) != nil)
            let ts = try #require(delivery.headers["x-chatwoot-timestamp"])
            #expect(abs((Int(ts) ?? 0) - Int(Date().timeIntervalSince1970)) < 30)
            let signature = try #require(delivery.headers["x-chatwoot-signature"])
            #expect(signature == WebhookSigner.signature(secret: Harness.secret, timestamp: ts, body: delivery.body))
            #expect(WebhookSigner.isValid(signature: signature, secret: Harness.secret, timestamp: ts, body: delivery.body))

            let recorded = try await h.standIn.waitForDeliveries(count: 1, event: "conversation_created")
            #expect(recorded[0].deliveryId == deliveryId)
            #expect(recorded[0].statusCode == 200)
            #expect(recorded[0].body == delivery.body)
        }
    }

    @Test func aFailedDeliveryMarksTheMessageFailedOnce() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation()
            try await h.standIn.waitForWebhooksIdle()
            await h.receiver.setBehaviour(status: 500)
            let message = try await h.standIn.agent(h.seed.agent.id).reply(h.ref(conversation.displayId), "Will fail")
            try await h.standIn.waitForWebhooksIdle()
            let deliveries = await h.standIn.deliveries().filter { $0.messageId == message.id }
            #expect(deliveries.map(\.event) == ["message_created", "message_updated"])
            #expect(deliveries.allSatisfy { $0.statusCode == 500 && $0.error == "500 Internal Server Error" })
            let failed = try #require(await h.standIn.snapshot().message(message.id))
            #expect(failed.status == .failed)
            #expect(failed.contentAttributes["external_error"] == "500 Internal Server Error")
            // The follow-up carries the failure; no retry of the original event.
            let updated = try #require(deliveries.last?.json)
            #expect(updated["content_attributes"]?["external_error"] == "500 Internal Server Error")
            #expect(updated["conversation"]?["messages"]?[0]?["status"] == "failed")
        }
    }

    @Test func fakedFailuresTimeoutsAndKnobs() async throws {
        try await Harness.with(configuration: .init(webhooks: .init(timeout: .milliseconds(300)))) { h in
            let conversation = try await h.createConversation()
            let ref = h.ref(conversation.displayId)
            try await h.standIn.waitForWebhooksIdle()

            // Faked failure: nothing is sent, the message still fails.
            h.standIn.failNextWebhooks(1, with: .status(502))
            let faked = try await h.standIn.agent(h.seed.agent.id).reply(ref, "faked")
            // The failure is marked on the message after the delivery counts as done: wait for the mark itself.
            let marked = try? await h.standIn.waitUntil(timeout: .seconds(5), "the faked failure on the message") { snapshot in
                snapshot.message(faked.id)?.contentAttributes["external_error"]
            }
            #expect(marked == "502 Bad Gateway")
            #expect(await h.receiver.received().contains { $0.json["id"] == .int(faked.id) && $0.event == "message_created" } == false)

            // A receiver slower than WEBHOOK_TIMEOUT is a failure.
            await h.receiver.setBehaviour(status: 200, delay: .seconds(1))
            let slow = try await h.standIn.agent(h.seed.agent.id).reply(ref, "slow")
            try await h.standIn.waitForWebhooksIdle()
            let slowMessage = try #require(await h.standIn.snapshot().message(slow.id))
            #expect(slowMessage.status == .failed)
            #expect(slowMessage.contentAttributes["external_error"]?.stringValue?.contains("Timeout") == true)

            // Duplicates reuse the delivery id.
            await h.receiver.setBehaviour()
            h.standIn.updateWebhookOptions { $0.duplicateDeliveries = true }
            try await h.standIn.agent(h.seed.agent.id).typing(ref, on: true)
            try await h.standIn.waitForWebhooksIdle()
            let typing = await h.standIn.deliveries().filter { $0.event == "conversation_typing_on" }
            #expect(typing.count == 2)
            #expect(typing[0].deliveryId == typing[1].deliveryId)
            #expect(typing[1].isDuplicate)

            // Shuffled order still delivers everything.
            h.standIn.updateWebhookOptions {
                $0.duplicateDeliveries = false
                $0.order = .shuffled(window: .milliseconds(50))
            }
            for index in 0..<4 { try await h.standIn.agent(h.seed.agent.id).reply(ref, "burst \(index)") }
            try await h.standIn.waitForWebhooksIdle()
            let burst = await h.standIn.deliveries().filter { $0.json?["content"]?.stringValue?.hasPrefix("burst") == true }
            #expect(Set(burst.compactMap { $0.json?["content"]?.stringValue }).count == 4)
        }
    }
}

@Suite struct PayloadTimingTests {
    /// Chatwoot builds payloads when the job runs; a slow queue shows later changes. The knob freezes them.
    @Test(arguments: [false, true])
    func payloadsFollowTheConfiguredTiming(frozen: Bool) async throws {
        let options = WebhookOptions(delay: .milliseconds(300), buildPayloadsAtEventTime: frozen)
        try await Harness.with(configuration: .init(webhooks: options)) { h in
            let conversation = try await h.createConversation()
            let maria = h.standIn.agent(h.seed.agent.id)
            let message = try await maria.reply(h.ref(conversation.displayId), "Oops, wrong customer")
            try await maria.deleteMessage(message.id, in: h.ref(conversation.displayId))
            let created = try await h.receiver.waitFor(event: "message_created", timeout: .seconds(10)) { $0.json["id"] == .int(message.id) }
            #expect(created.json["content"] == (frozen ? "Oops, wrong customer" : "This message was deleted"))
            let updated = try await h.receiver.waitFor(event: "message_updated", timeout: .seconds(10)) { $0.json["id"] == .int(message.id) }
            #expect(updated.json["content"] == "This message was deleted")
        }
    }
}
