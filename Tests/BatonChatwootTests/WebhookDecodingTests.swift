import BatonServer
import BatonCore
import Foundation
import Testing

/// Tolerance where Chatwoot varies, clear errors where a body is simply wrong.
@Suite struct WebhookDecodingTests {
    @Test func numbersMayArriveAsStrings() throws {
        let json = try Fixture.agentReply()
            .with("id", "90211")
            .with("conversation.id", "1187")
            .with("conversation.inbox_id", "7")
            .with("conversation.updated_at", "1781691303.512345")
            .with("account.id", " 1 ")
            .with("source_id", 12345)
        guard case .messageCreated(let event) = try Fixture.decode(json) else {
            Issue.record("not message_created")
            return
        }
        #expect(event.id == 90211)
        #expect(event.conversation.id == 1187)
        #expect(event.conversation.inboxID == 7)
        #expect(event.conversation.updatedAt == 1_781_691_303.512345)
        #expect(event.accountID == 1)
        #expect(event.sourceID == "12345")
        // Integral floats are integers too.
        #expect(try Fixture.decode(json.with("id", 90211.0)) == Fixture.decode(json))
    }

    @Test func unknownKeysAndMissingOptionalKeysAreFine() throws {
        var json = try Fixture.agentReply().with("brand_new_key", ["nested": [1, 2]]).with("conversation.sla_events", [])
        for key in ["account", "inbox", "additional_attributes", "content_attributes", "content_type", "created_at", "source_id", "attachments"] {
            json = json.with(key, nil)
        }
        for key in ["meta", "contact_inbox", "custom_attributes", "status", "updated_at", "timestamp", "messages", "account", "inbox_id"] {
            json = json.with("conversation.\(key)", nil)
        }
        let message = try #require(try Fixture.classify(json).deliveredMessage)
        #expect(message.conversation == ConversationRef(conversationID: 1187))
        #expect(message.createdAt == nil)
    }

    @Test func attachmentFieldsMayBeNullOrAbsent() throws {
        let attachment: JSONValue = [
            "id": 1, "message_id": 2, "file_type": "image", "account_id": 1, "extension": nil,
            "data_url": .string(Fixture.blobURL("pic.png")), "thumb_url": "", "file_size": nil, "width": nil, "height": nil,
        ]
        guard case .messageCreated(let event) = try Fixture.decode(try Fixture.agentReply().with("attachments", [attachment])) else {
            Issue.record("not message_created")
            return
        }
        #expect(event.attachments == [.init(id: 1, fileType: "image", dataURL: Fixture.blobURL("pic.png"), thumbURL: "")])
        #expect(event.attachments.first?.batonAttachment == Attachment(kind: .image, url: Fixture.blobURL("pic.png"), name: "pic.png"))
    }

    @Test func decodableThroughJSONDecoder() throws {
        let data = try Samples.data(Samples.named("05-"))
        #expect(try JSONDecoder().decode(ChatwootWebhook.self, from: data) == ChatwootWebhook.decode(data))
        do {
            _ = try JSONDecoder().decode(ChatwootWebhook.self, from: Data(#"{"event":"message_created","id":"x"}"#.utf8))
            Issue.record("decoded a message with id \"x\"")
        } catch let error as ChatwootWebhookDecodingError {
            #expect(error.path == "id")
        }
    }

    // MARK: - Errors

    @Test(arguments: ["", "{", "not json", "{\"event\":message_created}", "\u{FEFF}{]", "{\"event\": \"message_created\" \"id\": 1}"])
    func malformedJSONThrows(text: String) throws {
        let error = try #require(Fixture.decodingError(Data(text.utf8)))
        #expect(error.path == "")
        #expect(error.description.contains("not valid JSON"))
    }

    @Test func invalidUTF8Throws() throws {
        #expect(Fixture.decodingError(Data([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D])) != nil)
    }

    @Test(arguments: ["[]", "\"message_created\"", "42", "null", "true"])
    func nonObjectBodyThrows(text: String) throws {
        let error = try #require(Fixture.decodingError(Data(text.utf8)))
        #expect(error.reason.contains("expected an object"))
    }

    @Test func missingOrWrongEventThrows() throws {
        #expect(Fixture.decodingError(Data(#"{"id":1}"#.utf8)) == ChatwootWebhookDecodingError(path: "event", reason: "is missing"))
        #expect(Fixture.decodingError(Data(#"{"event":null}"#.utf8))?.path == "event")
        #expect(Fixture.decodingError(Data(#"{"event":7}"#.utf8))?.description == "Chatwoot webhook: `event` expected a string, got the number 7")
    }

    /// A key set to a value of the wrong type, and the path the error must name.
    struct WrongType: Sendable, CustomTestStringConvertible {
        var path: String
        var value: JSONValue?
        var errorPath: String
        init(_ path: String, _ value: JSONValue?, _ errorPath: String) {
            self.path = path
            self.value = value
            self.errorPath = errorPath
        }
        var testDescription: String { "\(path) = \(value?.jsonText ?? "absent")" }
    }

    static let wrongTypes: [WrongType] = [
        .init("id", "abc", "id"),
        .init("id", 1.5, "id"),
        .init("id", 1e300, "id"),
        .init("id", nil, "id"),
        .init("id", [1], "id"),
        .init("content", 42, "content"),
        .init("message_type", true, "message_type"),
        .init("message_type", ["outgoing"], "message_type"),
        .init("private", 0, "private"),
        .init("private", "yes", "private"),
        .init("sender", "Maria", "sender"),
        .init("sender.type", 1, "sender.type"),
        .init("sender.id", "twelve", "sender.id"),
        .init("attachments", ["file_type": "image"], "attachments"),
        .init("attachments", ["not an object"], "attachments[0]"),
        .init("content_attributes", [1, 2], "content_attributes"),
        .init("content_attributes", "not json", "content_attributes"),
        .init("conversation", nil, "conversation"),
        .init("conversation", "1187", "conversation"),
        .init("conversation.id", true, "conversation.id"),
        .init("conversation.id", nil, "conversation.id"),
        .init("conversation.custom_attributes", "x", "conversation.custom_attributes"),
        .init("conversation.contact_inbox", [], "conversation.contact_inbox"),
        .init("conversation.contact_inbox.source_id", false, "conversation.contact_inbox.source_id"),
        .init("conversation.updated_at", "yesterday", "conversation.updated_at"),
        .init("conversation.meta.assignee", 12, "conversation.meta.assignee"),
        .init("account", 1, "account"),
        .init("inbox.id", "seven", "inbox.id"),
    ]

    @Test(arguments: wrongTypes)
    func wrongTypeThrowsNamingThePath(_ wrong: WrongType) throws {
        let json = try Fixture.agentReply().with(wrong.path, wrong.value)
        let error = try #require(Fixture.decodingError(json.bodyData), "\(wrong.testDescription) decoded")
        #expect(error.path == wrong.errorPath)
        #expect(error.description.contains(wrong.errorPath))
    }

    @Test func wrongTypesInAttachmentsAndConversationEventsThrow() throws {
        let badAttachment = Fixture.attachment(fileType: "image", fileName: "a.png", contentType: "image/png", extension: "png").with("data_url", 5)
        let message = try Fixture.agentReply().with("attachments", [.string("skip"), badAttachment])
        #expect(Fixture.decodingError(message.bodyData)?.path == "attachments[0]")
        #expect(Fixture.decodingError(try Fixture.agentReply().with("attachments", [badAttachment]).bodyData)?.path == "attachments[0].data_url")

        let status = try Samples.json(Samples.named("14-"))
        #expect(Fixture.decodingError(status.with("changed_attributes", "status").bodyData)?.path == "changed_attributes")
        #expect(Fixture.decodingError(status.with("changed_attributes", [1]).bodyData)?.path == "changed_attributes[0]")
        #expect(Fixture.decodingError(status.with("changed_attributes", [["status": "open"]]).bodyData)?.path == "changed_attributes[0].status")
        #expect(Fixture.decodingError(status.with("id", nil).bodyData)?.path == "id")

        let typing = try Samples.json(Samples.named("19-"))
        #expect(Fixture.decodingError(typing.with("conversation", nil).bodyData)?.path == "conversation")
        #expect(Fixture.decodingError(typing.with("is_private", "maybe").bodyData)?.path == "is_private")
        #expect(Fixture.decodingError(typing.with("user", [1]).bodyData)?.path == "user")
    }

    @Test func longValuesAreShortenedInMessages() throws {
        let json = try Fixture.agentReply().with("id", .string(String(repeating: "x", count: 10_000)))
        let error = try #require(Fixture.decodingError(json.bodyData))
        #expect(error.description.count < 200)
    }
}
