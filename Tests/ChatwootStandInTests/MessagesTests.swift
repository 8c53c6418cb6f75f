import ChatwootStandIn
import Foundation
import NIOHTTP1
import Testing

@Suite struct MessagesTests {
    @Test func jsonMessagesSendersAndEcho() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation()
            let path = "/conversations/\(conversation.displayId)/messages"
            let example = try Samples.apiExample("app-messages-create-incoming-history.json")
            let incoming = try await h.call(.POST, path, token: h.adminToken, json: try #require(example["request"]?["body"]))
            #expect(incoming.status == 200)
            #expect(Shape.sameOrder(incoming.json, example["response"]?["body"]))
            #expect(incoming.json["echo_id"] == "tmp-42")
            #expect(incoming.json["message_type"] == 0)
            #expect(incoming.json["sender"]?["type"] == "contact")
            #expect(Shape.sameOrder(incoming.json["sender"], example["response"]?["body"]?["sender"]))

            // Outgoing as a bot with a user token (sender_type AgentBot + sender_id), external_created_at kept.
            let bot = await h.standIn.createAgentBot(account: h.account, name: "Handover Bot")
            let asBot = try await h.call(
                .POST, path, token: h.adminToken,
                json: ["content": "Bot history", "message_type": "outgoing", "sender_type": "AgentBot", "sender_id": .int(bot.id), "source_id": "bot-1",
                       "external_created_at": 1781690000])
            #expect(asBot.json["sender"] == ["id": .int(bot.id), "name": "Handover Bot", "avatar_url": "", "type": "agent_bot"])
            #expect(asBot.json["content_attributes"] == ["external_created_at": 1781690000])
            #expect(asBot.json["source_id"] == "bot-1")
            #expect(asBot.json.keys.contains("echo_id") == false)

            // Default message_type is outgoing with the token owner as sender.
            let reply = try await h.call(.POST, path, token: h.agentToken, json: ["content": "Hello"])
            #expect(reply.json["message_type"] == 1)
            #expect(reply.json["sender"]?["type"] == "user")
            #expect(reply.json["sender"]?["available_name"] == "Maria")

            let tooLong = try await h.call(.POST, path, token: h.agentToken, json: ["content": .string(String(repeating: "a", count: 150_001))])
            #expect(tooLong.status == 422)
            #expect(tooLong.json == ["error": "Validation failed: Content is too long (maximum is 150000 characters)"])
        }
    }

    @Test func multipartAttachmentsGetFileTypesAndServedURLs() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation()
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 100)
            let files: [(field: String, filename: String, mime: String, data: [UInt8])] = [
                ("attachments[]", "shot.png", "image/png", png),
                ("attachments[]", "thumbs-up.gif", "image/gif", Array("GIF89a".utf8)),
                ("attachments[]", "howto.mp4", "video/mp4", [0, 0, 0, 24]),
                ("attachments[]", "invoice.pdf", "application/pdf", Array("%PDF-1.4".utf8)),
                ("attachments[]", "voice.ogg", "audio/ogg", [1, 2, 3]),
                ("attachments[]", "logo.svg", "image/svg+xml", Array("<svg/>".utf8)),
            ]
            let (body, contentType) = Harness.multipart(fields: [("content", "Here you go"), ("message_type", "outgoing"), ("private", "false")], files: files)
            let reply = try await h.call(.POST, "/conversations/\(conversation.displayId)/messages", token: h.agentToken, body: body, contentType: contentType)
            #expect(reply.status == 200, "\(reply.text)")
            let attachments = try #require(reply.json["attachments"]?.arrayValue)
            #expect(attachments.map { $0["file_type"]?.stringValue } == ["image", "image", "video", "file", "audio", "file"])
            #expect(attachments.map { $0["extension"]?.stringValue } == ["png", "gif", "mp4", "pdf", "ogg", "svg"])
            let sample = try Samples.webhook("02-message_created-agent-image.json")
            #expect(Shape.sameOrder(attachments[0], sample["attachments"]?[0]))
            #expect(attachments[0]["file_size"] == .int(png.count))
            #expect(attachments[0]["thumb_url"]?.stringValue?.contains("/rails/active_storage/representations/redirect/") == true)
            #expect(attachments[2]["thumb_url"] == "")
            #expect(attachments[4]["transcribed_text"] == "")

            // data_url → 302 → the bytes with their content type.
            let dataURL = try #require(attachments[0]["data_url"]?.stringValue)
            #expect(dataURL.hasPrefix("\(h.base)/rails/active_storage/blobs/redirect/"))
            #expect(dataURL.hasSuffix("/shot.png"))
            let redirect = try await h.get(dataURL)
            #expect(redirect.status == 302)
            let location = try #require(redirect.headers.first(name: "location"))
            let file = try await h.get(location)
            #expect(file.status == 200)
            #expect(file.headers.first(name: "content-type") == "image/png")
            #expect(file.body == png)

            // Attachment-only (no content) works too.
            let (onlyBody, onlyType) = Harness.multipart(fields: [("message_type", "outgoing")], files: [files[3]])
            let onlyFile = try await h.call(.POST, "/conversations/\(conversation.displayId)/messages", token: h.agentToken, body: onlyBody, contentType: onlyType)
            #expect(onlyFile.json["content"] == .null)
            #expect(await h.standIn.specViolations().isEmpty)
        }
    }

    @Test func incomingOnlyInAPIInboxes() async throws {
        try await Harness.with { h in
            let widget = await h.standIn.createInbox(account: h.account, name: "Website", channel: .webWidget)
            let contact = try await h.call(.POST, "/contacts", token: h.adminToken, json: ["inbox_id": .int(widget.id), "name": "Web visitor"])
            let contactId = try #require(contact.json["payload"]?["contact"]?["id"])
            let conversation = try await h.call(.POST, "/conversations", token: h.adminToken, json: ["inbox_id": .int(widget.id), "contact_id": contactId])
            let displayId = try #require(conversation.json["id"]?.intValue)
            let reply = try await h.call(.POST, "/conversations/\(displayId)/messages", token: h.adminToken, json: ["content": "hi", "message_type": "incoming"])
            #expect(reply.status == 422)
            #expect(reply.text == #"{"error":"Incoming messages are only allowed in Api inboxes"}"#)
            let status = try await h.call(.PATCH, "/conversations/\(displayId)/messages/1", token: h.adminToken, json: ["status": "read"])
            #expect(status.status == 403)
            #expect(status.json == ["error": "Message status update is only allowed for API inboxes"])
        }
    }

    @Test func listingPagesLikeMessageFinder() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation()
            let path = "/conversations/\(conversation.displayId)/messages"
            var ids: [Int] = []
            for index in 0..<25 {
                let reply = try await h.call(.POST, path, token: h.adminToken, json: ["content": .string("m\(index)"), "message_type": "incoming"])
                ids.append(try #require(reply.json["id"]?.intValue))
            }
            let latest = try await h.call(.GET, path, token: h.adminToken)
            let example = try Samples.apiExample("app-messages-index.json")
            let metaDifferences = Shape.differences(latest.json["meta"], example["response"]?["body"]?["meta"], ignoring: ["assignee"])
            #expect(metaDifferences.isEmpty)
            #expect(latest.json["payload"]?.arrayValue?.compactMap { $0["id"]?.intValue } == Array(ids.suffix(20)))
            let before = try await h.call(.GET, "\(path)?before=\(ids[20])", token: h.adminToken)
            #expect(before.json["payload"]?.arrayValue?.compactMap { $0["id"]?.intValue } == Array(ids.prefix(20)))
            let after = try await h.call(.GET, "\(path)?after=\(ids[22])", token: h.adminToken)
            #expect(after.json["payload"]?.arrayValue?.compactMap { $0["id"]?.intValue } == Array(ids.suffix(2)))
        }
    }

    @Test func floodGuardWithAnInjectedClock() async throws {
        let clock = ManualClock()
        try await Harness.with(configuration: .init(clock: .manual(clock), messagesPerMinuteLimit: 3)) { h in
            let conversation = try await h.createConversation()
            let path = "/conversations/\(conversation.displayId)/messages"
            for index in 0..<3 {
                let ok = try await h.call(.POST, path, token: h.adminToken, json: ["content": .string("m\(index)"), "message_type": "incoming"])
                #expect(ok.status == 200)
            }
            let flooded = try await h.call(.POST, path, token: h.adminToken, json: ["content": "one too many", "message_type": "incoming"])
            #expect(flooded.status == 422)
            #expect(flooded.text == #"{"error":"Validation failed: Too many messages"}"#)
            clock.advance(by: 61)
            let later = try await h.call(.POST, path, token: h.adminToken, json: ["content": "a minute later", "message_type": "incoming"])
            #expect(later.status == 200)
        }
    }

    @Test func deleteAndStatusUpdatesSendMessageUpdated() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation()
            let (body, contentType) = Harness.multipart(
                fields: [("content", "with a file")], files: [("attachments[]", "a.png", "image/png", [1, 2, 3])])
            let created = try await h.call(.POST, "/conversations/\(conversation.displayId)/messages", token: h.agentToken, body: body, contentType: contentType)
            let messageId = try #require(created.json["id"]?.intValue)
            let dataURL = try #require(created.json["attachments"]?[0]?["data_url"]?.stringValue)

            let deleted = try await h.call(.DELETE, "/conversations/\(conversation.displayId)/messages/\(messageId)", token: h.agentToken)
            #expect(deleted.json["content"] == "This message was deleted")
            #expect(deleted.json["content_attributes"] == ["deleted": true])
            let event = try await h.receiver.waitFor(event: "message_updated") { $0.json["id"] == .int(messageId) }
            #expect(event.json["content"] == "This message was deleted")
            #expect(event.json["content_attributes"] == ["deleted": true])
            #expect(event.json.keys.contains("attachments") == false)
            #expect(try await h.get(dataURL).status == 404)

            let reply = try await h.call(.POST, "/conversations/\(conversation.displayId)/messages", token: h.agentToken, json: ["content": "read me"])
            let replyId = try #require(reply.json["id"]?.intValue)
            let read = try await h.call(.PATCH, "/conversations/\(conversation.displayId)/messages/\(replyId)", token: h.adminToken, json: ["status": "read"])
            #expect(read.json["status"] == "read")
            _ = try await h.receiver.waitFor(event: "message_updated") { $0.json["id"] == .int(replyId) }
            // read → delivered is refused silently.
            let delivered = try await h.call(.PATCH, "/conversations/\(conversation.displayId)/messages/\(replyId)", token: h.adminToken, json: ["status": "delivered"])
            #expect(delivered.json["status"] == "read")
        }
    }

    @Test func incomingReopensAResolvedConversation() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation()
            let ref = h.ref(conversation.displayId)
            try await h.standIn.agent(h.seed.agent.id).resolve(ref)
            _ = try await h.receiver.waitFor(event: "conversation_status_changed") { $0.json["status"] == "resolved" }
            _ = try await h.call(.POST, "/conversations/\(conversation.displayId)/messages", token: h.adminToken, json: ["content": "One more thing", "message_type": "incoming"])
            let reopened = try await h.receiver.waitFor(event: "conversation_status_changed") { $0.json["status"] == "open" }
            let sample = try Samples.webhook("16-conversation_status_changed-reopened.json")
            #expect(Shape.differences(reopened.json, sample).isEmpty)
            #expect(await h.standIn.conversation(ref)?.status == .open)
            #expect(await h.standIn.messages(ref).last?.content == "System reopened the conversation due to a new incoming message.")
        }
    }
}
