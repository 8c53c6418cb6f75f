import BatonServer
import BatonCore
import Foundation
import Testing

/// Shapes §4 allows that the samples lack, built by editing sample 01 (a plain agent reply).
@Suite struct WebhookClassifierTests {
    // MARK: - Attachments

    @Test func attachmentOnlyMessage() throws {
        let json = try Fixture.agentReply()
            .with("content", .null)
            .with("attachments", [Fixture.attachment(fileType: "image", fileName: "photo.jpg", contentType: "image/jpeg", extension: "jpg")])
        let message = try #require(try Fixture.classify(json).deliveredMessage)
        #expect(message.text == "")
        // `file_size` (1234 in the fixture) comes along for the file card.
        #expect(message.attachments == [Attachment(kind: .image, url: Fixture.blobURL("photo.jpg"), name: "photo.jpg", mimeType: "image/jpeg", size: 1234)])
    }

    @Test func severalAttachmentsKeepTheirOrder() throws {
        let json = try Fixture.agentReply().with(
            "attachments",
            [
                Fixture.attachment(fileType: "image", fileName: "a.png", contentType: "image/png", extension: "png"),
                // Before 4.13 there is no content_type: a GIF is recognised by its extension…
                Fixture.attachment(fileType: "image", fileName: "b.gif", contentType: nil, extension: "gif"),
                // …or, without one, by its file name.
                Fixture.attachment(fileType: "image", fileName: "c.GIF", contentType: nil, extension: nil),
                Fixture.attachment(fileType: "video", fileName: "d.webm", contentType: "video/webm", extension: "webm"),
                Fixture.attachment(fileType: "audio", fileName: "e.ogg", contentType: "audio/ogg", extension: "ogg", query: "?disposition=inline"),
                Fixture.attachment(fileType: "file", fileName: "f.zip", contentType: "application/zip", extension: "zip"),
            ])
        let message = try #require(try Fixture.classify(json).deliveredMessage)
        #expect(message.attachments.map(\.kind) == [.image, .gif, .gif, .video, .audio, .file])
        #expect(message.attachments.map(\.name) == ["a.png", "b.gif", "c.GIF", "d.webm", "e.ogg", "f.zip"])
        #expect(message.attachments.map(\.mimeType) == ["image/png", nil, nil, "video/webm", "audio/ogg", "application/zip"])
        #expect(message.text == "Hi Jane, I'm **Maria** from support.\n\nLet me check order #4711 for you.")
    }

    @Test func audioKeepsItsURLAndDecodesItsName() throws {
        let url = "https://chatwoot.example.com/rails/active_storage/blobs/redirect/xyz--1/voice%20note%20%C3%BC.mp3?disposition=inline"
        let json = try Fixture.agentReply().with("content", .null).with(
            "attachments", [Fixture.attachment(fileType: "audio", fileName: "", contentType: "audio/mpeg", extension: "mp3", dataURL: url)])
        let message = try #require(try Fixture.classify(json).deliveredMessage)
        #expect(message.attachments == [Attachment(kind: .audio, url: url, name: "voice note ü.mp3", mimeType: "audio/mpeg", size: 1234)])
    }

    @Test func otherFileTypesWithAWebURLAreFiles() throws {
        let json = try Fixture.agentReply().with(
            "attachments",
            [
                Fixture.attachment(fileType: "location", fileName: "maps", contentType: nil, extension: nil, dataURL: "https://maps.example.com/?q=52.5,13.4"),
                Fixture.attachment(fileType: "fallback", fileName: "page.html", contentType: nil, extension: nil),
                Fixture.attachment(fileType: "ig_reel", fileName: "reel.mp4", contentType: "video/mp4", extension: "mp4"),
            ])
        let message = try #require(try Fixture.classify(json).deliveredMessage)
        #expect(message.attachments.map(\.kind) == [.file, .file, .file])
        #expect(message.attachments.first?.name == nil)
    }

    @Test func nonWebDataURLsAreDropped() throws {
        let bad = ["javascript:alert(document.cookie)", "JavaScript://%0aalert(1)", "data:text/html,<script>alert(1)</script>", "file:///etc/passwd", "//evil.example/x.png", ""]
        let good = Fixture.attachment(fileType: "image", fileName: "ok.png", contentType: "image/png", extension: "png")
        let attachments = bad.map { Fixture.attachment(fileType: "image", fileName: "x", contentType: "image/png", extension: "png", dataURL: $0) }
        let json = try Fixture.agentReply().with("attachments", .array(attachments + [good]))
        let message = try #require(try Fixture.classify(json).deliveredMessage)
        #expect(message.attachments.map(\.url) == [Fixture.blobURL("ok.png")])

        // An attachment-only message whose only attachment is dropped has nothing left to deliver.
        let empty = try Fixture.agentReply().with("content", .null).with("attachments", [attachments[0]])
        #expect(try Fixture.classify(empty).ignoreReason?.contains("nothing to deliver") == true)
    }

    @Test func attachmentWithoutDataURLIsDropped() throws {
        let noURL = Fixture.attachment(fileType: "contact", fileName: "x", contentType: nil, extension: nil).with("data_url", nil)
        let json = try Fixture.agentReply().with("attachments", [noURL])
        #expect(try Fixture.classify(json).deliveredMessage?.attachments == [])
    }

    // MARK: - message_updated

    @Test func deletedOutgoingMessageIsRetracted() throws {
        let json = try Fixture.agentReply()
            .with("event", "message_updated")
            .with("content", "This message was deleted")
            .with("content_attributes", ["deleted": true])
        #expect(try Fixture.classify(json) == .retract(chatwootMessageID: 90211, conversation: Fixture.sampleConversation))
        // Some rows carry content_attributes as a JSON string.
        let stringly = json.with("content_attributes", #"{"deleted":true}"#)
        #expect(try Fixture.classify(stringly) == .retract(chatwootMessageID: 90211, conversation: Fixture.sampleConversation))
    }

    @Test func deletionsThatConcernNoUserAreIgnored() throws {
        let deleted = try Fixture.agentReply().with("event", "message_updated").with("content_attributes", ["deleted": true])
        #expect(try Fixture.classify(deleted.with("private", true)).ignoreReason != nil)
        #expect(try Fixture.classify(deleted.with("message_type", "incoming")).ignoreReason != nil)
        #expect(try Fixture.classify(deleted.with("source_id", "baton-42")).ignoreReason != nil)
        // A deletion never arrives as message_created; if it did, "This message was deleted" must not be sent.
        #expect(try Fixture.classify(deleted.with("event", "message_created")).ignoreReason != nil)
    }

    @Test func updatedEligibleMessageIsDeliveredForDedupe() throws {
        let json = try Fixture.agentReply()
            .with("event", "message_updated")
            .with("content_attributes", ["external_error": "500 Internal Server Error"])
        let message = try #require(try Fixture.classify(json).deliveredMessage)
        #expect(message.chatwootMessageID == 90211)
        guard case .messageUpdated(let event) = try Fixture.decode(json) else {
            Issue.record("not message_updated")
            return
        }
        #expect(event.externalError == "500 Internal Server Error")
        #expect(!event.isDeleted)
    }

    // MARK: - Echo and loop rules (§4.6)

    @Test func ownPostsAreEchoes() throws {
        let reply = try Fixture.agentReply()
        #expect(try Fixture.classify(reply.with("source_id", "baton-session-1-msg-7")).ignoreReason?.contains("own post") == true)
        #expect(try Fixture.classify(reply.with("source_id", "baton-1").with("message_type", "incoming")).ignoreReason?.contains("own post") == true)
        // Someone else's source_id, or ours merely contained, is not an echo.
        #expect(try Fixture.classify(reply.with("source_id", "cognigy-msg-1")).deliveredMessage != nil)
        #expect(try Fixture.classify(reply.with("source_id", "x-baton-1")).deliveredMessage != nil)
        // With no prefix configured nothing counts as ours.
        let noPrefix = WebhookClassifier(ownSourceIDPrefix: "")
        #expect(noPrefix.classify(try Fixture.decode(reply.with("source_id", "baton-1"))).deliveredMessage != nil)
    }

    @Test func templateWithoutSenderIsIgnored() throws {
        let json = try Fixture.agentReply().with("message_type", "template").with("sender", .null)
        #expect(try Fixture.classify(json).ignoreReason?.contains("template") == true)
        // A survey whose link is missing (nothing to answer it with) is ignored too.
        #expect(try Fixture.classify(json.with("content_type", "input_csat")).ignoreReason?.contains("survey") == true)
        // An outgoing message without sender (system) is not an agent's either.
        let system = try Fixture.agentReply().with("sender", .null)
        #expect(try Fixture.classify(system).ignoreReason?.contains("without sender") == true)
        #expect(try Fixture.classify(try Fixture.agentReply().with("sender", nil)).ignoreReason != nil)
    }

    /// Chatwoot replaces a survey's content in webhooks by the question and a link ending with the conversation's uuid
    /// (`app/presenters/message_content_presenter.rb`): the question and the uuid are read back out of it.
    @Test(arguments: [
        ("Please rate this conversation, https://chat.example.com/survey/responses/0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0", "emoji", "Please rate this conversation."),
        ("How did we do? https://chat.example.com/survey/responses/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "star", "How did we do?"),
    ])
    func aSurveyIsReadFromItsLink(content: String, displayType: String, question: String) throws {
        let json = try Fixture.agentReply().with("message_type", "template").with("sender", .null).with("content_type", "input_csat")
            .with("content", .string(content)).with("content_attributes", ["display_type": .string(displayType)])
        guard case .survey(let survey) = try Fixture.classify(json) else {
            Issue.record("not read as a survey")
            return
        }
        #expect(survey.text == question)
        #expect(survey.conversationUUID == "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
        #expect(survey.displayType == displayType)
        // Only when it is created: an update of a survey (its answer) is not a new survey, and a link whose uuid is
        // cut short is no link.
        #expect(try Fixture.classify(json.with("event", "message_updated")).ignoreReason != nil)
        #expect(try Fixture.classify(json.with("content", "Rate us https://x/survey/responses/0f1e2d3c")).ignoreReason?.contains("uuid") == true)
    }

    @Test func agentBotMessageIsIgnored() throws {
        let json = try Fixture.agentReply().with("sender", ["id": 3, "name": "Handover Bot", "type": "agent_bot"])
        #expect(try Fixture.classify(json).ignoreReason?.contains("bot") == true)
    }

    @Test func privateNoteAndMissingFlagAreIgnored() throws {
        let reply = try Fixture.agentReply()
        #expect(try Fixture.classify(reply.with("private", true)).ignoreReason == "private note")
        #expect(try Fixture.classify(reply.with("private", "true")).ignoreReason == "private note")
        #expect(try Fixture.classify(reply.with("private", nil)).ignoreReason?.contains("private flag") == true)
    }

    @Test func otherSendersAndTypesAreIgnored() throws {
        let reply = try Fixture.agentReply()
        #expect(try Fixture.classify(reply.with("sender", ["id": 4211, "name": "Jane"])).ignoreReason != nil)
        #expect(try Fixture.classify(reply.with("sender", ["id": 1, "type": "captain"])).ignoreReason?.contains("captain") == true)
        #expect(try Fixture.classify(reply.with("message_type", "activity")).ignoreReason != nil)
        #expect(try Fixture.classify(reply.with("message_type", "broadcast")).ignoreReason?.contains("broadcast") == true)
        #expect(try Fixture.classify(reply.with("message_type", nil)).ignoreReason != nil)
    }

    @Test func integerMessageTypeIsAccepted() throws {
        let reply = try Fixture.agentReply()
        #expect(try Fixture.classify(reply.with("message_type", 1)).deliveredMessage?.chatwootMessageID == 90211)
        #expect(try Fixture.classify(reply.with("message_type", "1")).deliveredMessage != nil)
        #expect(try Fixture.classify(reply.with("message_type", 0)).ignoreReason?.contains("incoming") == true)
        #expect(try Fixture.classify(reply.with("message_type", 2)).ignoreReason?.contains("activity") == true)
        #expect(try Fixture.classify(reply.with("message_type", 3)).ignoreReason?.contains("template") == true)
        guard case .messageCreated(let event) = try Fixture.decode(reply.with("message_type", 7)) else { return }
        #expect(event.messageType == .other("7"))
    }

    @Test func textIsPassedAsIs() throws {
        let text = "<script>alert(1)</script> **bold** [link](javascript:alert(1))\n\n- item"
        #expect(try Fixture.classify(try Fixture.agentReply().with("content", .string(text))).deliveredMessage?.text == text)
    }

    @Test func olderPayloadsWithoutConversationAccountUseTheMessageAccount() throws {
        let json = try Fixture.agentReply().with("conversation.account", nil).with("conversation.inbox_id", nil)
        let message = try #require(try Fixture.classify(json).deliveredMessage)
        #expect(message.conversation == Fixture.sampleConversation)
        let bare = json.with("account", nil).with("inbox", nil)
        let ref = try #require(try Fixture.classify(bare).deliveredMessage?.conversation)
        #expect(ref.accountID == nil && ref.inboxID == nil && ref.conversationID == 1187)
    }

    /// An agent's new reply carries its conversation's status: open or pending with its time, it is the event that
    /// brings back a handover whose reopening was lost; resolved, snoozed or untimed, it says nothing.
    @Test func anAgentsReplyCarriesItsConversationWhenOpen() throws {
        let reply = try Fixture.agentReply()
        // The message's own time (its `created_at`, 10:15:03.482) as a Date gives it, a hair off the decimal.
        func expectOpen(_ message: AgentMessage, _ status: ProviderStatus) {
            guard case .providerStatus(status, 1187, 1_781_691_303.512345, nil, nil, let wrote?)? = message.openStatus else {
                Issue.record("\(String(describing: message.openStatus))")
                return
            }
            #expect(abs(wrote - 1_781_691_303.482) < 0.000_5)
        }
        expectOpen(try #require(try Fixture.classify(reply).deliveredMessage), .open)
        expectOpen(try #require(try Fixture.classify(reply.with("conversation.status", "pending")).deliveredMessage), .pending)
        for status in ["resolved", "snoozed", "closed"] {
            #expect(try Fixture.classify(reply.with("conversation.status", .string(status))).deliveredMessage?.openStatus == nil, "\(status)")
        }
        #expect(try Fixture.classify(reply.with("conversation.updated_at", nil)).deliveredMessage?.openStatus == nil)
        // Without its own time, the message was there by the conversation's save.
        let untimed = try #require(try Fixture.classify(reply.with("created_at", nil)).deliveredMessage)
        #expect(untimed.openStatus == .providerStatus(.open, conversationID: 1187, updatedAt: 1_781_691_303.512345, agentWroteAt: 1_781_691_303.512345))
        // An update may be of a message written long ago (an edit, a delivery status): it says no agent is there now.
        let update = try #require(try Fixture.classify(reply.with("event", "message_updated")).deliveredMessage)
        #expect(update.openStatus == nil)
        // The user's message that the conversation holds newest says whether it, not an agent, reopened it.
        let contactWrote = reply.with("conversation.messages", .array([["id": 90230, "message_type": 0, "created_at": 1_781_691_303, "updated_at": "2026-06-17T10:15:03.400Z"]]))
        let afterTheUser = try #require(try Fixture.classify(contactWrote).deliveredMessage)
        guard case .providerStatus(_, _, _, _, let newestUserMessageAt?, _)? = afterTheUser.openStatus else {
            Issue.record("no user message read: \(String(describing: afterTheUser.openStatus))")
            return
        }
        #expect(abs(newestUserMessageAt - 1_781_691_303.4) < 0.000_5)
    }

    // MARK: - Conversation events

    @Test func conversationUpdatedCarriesTheStatus() throws {
        let json = try Samples.json(Samples.named("14-"))
            .with("event", "conversation_updated")
            .with(
                "changed_attributes",
                [
                    ["status": ["previous_value": "open", "current_value": "resolved"]],
                    ["updated_at": ["previous_value": "2026-06-17T10:23:43.801Z", "current_value": "2026-06-17T10:25:00.117Z"]],
                ])
        #expect(try Fixture.classify(json) == .status(Fixture.sampleConversation, status: .resolved, updatedAt: 1_781_691_900.11723, resolution: Fixture.sampleResolution))
        guard case .conversationUpdated(let event) = try Fixture.decode(json) else {
            Issue.record("not conversation_updated")
            return
        }
        #expect(event.changedAttributes?.first == .init(name: "status", previousValue: "open", currentValue: "resolved"))
        #expect(event.changedAttributes?.count == 2)
    }

    @Test(arguments: ["open", "resolved", "pending", "snoozed", "Resolved"])
    func everyStatusIsRead(status: String) throws {
        let json = try Samples.json(Samples.named("16-")).with("status", .string(status))
        guard case .status(_, let read, _, let resolution, _) = try Fixture.classify(json) else {
            Issue.record("no status for \(status)")
            return
        }
        #expect(read.rawValue == status.lowercased())
        #expect((resolution != nil) == (read == .resolved), "the labels and attributes count only once resolved")
    }

    /// The reopened sample is Chatwoot reopening for the contact's message (the conversation saved 30 ms after it):
    /// its `messages[0]` is that message, incoming, to the millisecond.
    @Test func aStatusCarriesTheConversationsNewestMessageWhenTheUserSentIt() throws {
        let reopened = try Samples.json(Samples.named("16-"))
        guard case .status(_, .open, _, _, let message?) = try Fixture.classify(reopened) else {
            Issue.record("no user's message with the reopening")
            return
        }
        // Its `updated_at` 10:30:00.404Z, earlier than the second after its `created_at`.
        #expect(message == 1_781_692_200.404)
        // Updated long after it was created (an edit, a transcription): the second after its creation.
        let first = try #require(Self.newestMessage(of: reopened))
        let edited = reopened.with("messages", [first.with("updated_at", "2026-06-17T11:00:00.000Z")])
        guard case .status(_, _, _, _, let late?) = try Fixture.classify(edited) else {
            Issue.record("an edited message is no longer the user's")
            return
        }
        #expect(late == 1_781_692_201)

        // An agent's message, none, no time to the millisecond or an unreadable one: none is the user's.
        let resolved = try Samples.json(Samples.named("14-"))
        guard case .status(_, .resolved, _, _, nil) = try Fixture.classify(resolved) else {
            Issue.record("an agent's message taken for the user's")
            return
        }
        for variant in [
            reopened.with("messages", []), reopened.with("messages", nil), reopened.with("messages", [first.with("updated_at", nil)]),
            reopened.with("messages", [first.with("updated_at", "yesterday")]), reopened.with("messages", "not a list"),
            reopened.with("messages", [first.with("id", nil)]),
        ] {
            guard case .status(_, .open, _, _, nil) = try Fixture.classify(variant) else {
                Issue.record("a status without a readable user's message: \(variant["messages"] ?? .null)")
                continue
            }
        }
    }

    /// Reconciliation reads a conversation through the API (the same members as its webhooks') as its status event,
    /// after an activity line among its messages said the status may have changed.
    @Test func anAPIConversationIsReadAsItsStatusEvent() throws {
        let webhook = try Samples.json(Samples.named("14-"))
        guard case .object(var api) = webhook else {
            Issue.record("sample 14 is no object")
            return
        }
        api["event"] = nil
        api["changed_attributes"] = nil
        #expect(Fixture.classifier.classify(apiConversation: .object(api)) == (try Fixture.classify(webhook)))
        #expect(Fixture.classifier.classify(apiConversation: "not a conversation").ignoreReason != nil)
        #expect(Fixture.classifier.classify(apiConversation: ["status": "resolved"]).ignoreReason?.contains("unreadable") == true)

        #expect(WebhookClassifier.isActivity(apiMessage: ["id": 1, "message_type": 2]))
        #expect(WebhookClassifier.isActivity(apiMessage: ["id": 1, "message_type": "activity"]))
        #expect(!WebhookClassifier.isActivity(apiMessage: ["id": 1, "message_type": 0]))
        #expect(!WebhookClassifier.isActivity(apiMessage: ["id": 1]))
    }

    static func newestMessage(of conversation: JSONValue) -> JSONValue? {
        guard case .array(let messages)? = conversation["messages"] else { return nil }
        return messages.first
    }

    @Test func unusableStatusIsIgnored() throws {
        let json = try Samples.json(Samples.named("16-"))
        #expect(try Fixture.classify(json.with("status", "archived")).ignoreReason?.contains("archived") == true)
        #expect(try Fixture.classify(json.with("status", nil)).ignoreReason != nil)
    }

    @Test func statusWithoutUpdatedAtOrAccount() throws {
        let json = try Samples.json(Samples.named("14-")).with("updated_at", nil).with("account", nil)
        var ref = Fixture.sampleConversation
        ref.accountID = nil
        #expect(try Fixture.classify(json) == .status(ref, status: .resolved, updatedAt: nil, resolution: Fixture.sampleResolution))
        // A Chatwoot that sends no labels: none.
        guard case .status(_, _, _, let bare, _)? = try? Fixture.classify(json.with("labels", nil)) else {
            Issue.record("no status without labels")
            return
        }
        #expect(bare?.labels == [] && bare?.attributes == Fixture.sampleResolution.attributes)
    }

    // MARK: - Typing

    @Test func typingOfAPrivateNoteIsIgnored() throws {
        let json = try Samples.json(Samples.named("19-")).with("is_private", true)
        #expect(try Fixture.classify(json).ignoreReason == "typing of a private note")
        #expect(try Fixture.classify(json.with("is_private", nil)).ignoreReason != nil)
    }

    @Test func typingOffAndTypingByOthers() throws {
        let json = try Samples.json(Samples.named("19-"))
        #expect(try Fixture.classify(json.with("event", "conversation_typing_off")) == .typing(Fixture.sampleConversation, on: false, agentName: "Maria Schmidt"))
        #expect(try Fixture.classify(json.with("user", ["id": 3, "name": "Handover Bot", "type": "agent_bot"])).ignoreReason?.contains("bot") == true)
        // The contact typing through the Client API: Contact#webhook_data, no `type`.
        #expect(try Fixture.classify(json.with("user", ["id": 4211, "name": "Jane Doe", "email": nil])).ignoreReason?.contains("contact") == true)
        #expect(try Fixture.classify(json.with("user", nil)).ignoreReason != nil)
    }

    // MARK: - Unknown events

    @Test(arguments: ["contact_created", "webwidget_triggered", "conversation_resolved", ""])
    func unknownEventIsKeptAndIgnored(event: String) throws {
        let json: JSONValue = ["event": .string(event), "id": "whatever", "payload": [1, 2, 3]]
        let webhook = try Fixture.decode(json)
        #expect(webhook == .unknown(event))
        #expect(webhook.event == event)
        #expect(Fixture.classifier.classify(webhook).ignoreReason?.contains("unknown event") == true)
    }
}
