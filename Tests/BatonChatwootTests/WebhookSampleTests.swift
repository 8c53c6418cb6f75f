import BatonServer
import BatonCore
import Foundation
import Testing

/// Every sample in shared/chatwoot/webhook-samples gives the action its file name says.
@Suite struct WebhookSampleTests {
    /// What each sample must become; a new sample without an entry fails ``everySampleIsCovered``.
    enum Expected: Sendable {
        case deliver(id: Int, text: String, attachments: [(kind: AttachmentKind, name: String, mime: String)])
        case ignore
        case status(ConversationStatus, updatedAt: Double, newestUserMessageAt: Double? = nil)
        case typing(on: Bool, agent: String)
    }

    static let unicodeText = "Grüße, Jane! 👋 Die Erstattung ist unterwegs ✅ — «merci» & 谢谢 <3 👩🏽‍💻"

    static let expectations: [String: Expected] = [
        "01-": .deliver(
            id: 90211, text: "Hi Jane, I'm **Maria** from support.\n\nLet me check order #4711 for you.", attachments: []),
        "02-": .deliver(
            id: 90212, text: "Here is where you can find the tracking link:",
            attachments: [(.image, "tracking-screenshot.png", "image/png")]),
        "03-": .deliver(
            id: 90213, text: "Short video on how to re-order:", attachments: [(.video, "reorder-howto.mp4", "video/mp4")]),
        "04-": .deliver(id: 90214, text: "All done!", attachments: [(.gif, "thumbs-up.gif", "image/gif")]),
        "05-": .deliver(
            id: 90215, text: "Your invoice is attached.", attachments: [(.file, "invoice-4711.pdf", "application/pdf")]),
        "08-": .ignore,
        "09-": .ignore,
        "10-": .ignore,
        "11-": .deliver(id: 90220, text: unicodeText, attachments: []),
        "14-": .status(.resolved, updatedAt: 1_781_691_900.11723),
        // Reopened by the contact's message, the conversation's newest (its `updated_at` to the millisecond).
        "16-": .status(.open, updatedAt: 1_781_692_200.433871, newestUserMessageAt: 1_781_692_200.404),
        "18-": .status(.open, updatedAt: 1_781_690_531.276401),
        "19-": .typing(on: true, agent: "Maria Schmidt"),
        // The signed example's body is the unicode reply, with Rails' \u0026 / \u003c escapes in the raw bytes.
        "signed-example.body": .deliver(id: 90220, text: unicodeText, attachments: []),
    ]

    static func expectation(for name: String) -> Expected? {
        expectations.first { name.hasPrefix($0.key) }?.value
    }

    @Test func everySampleIsCovered() throws {
        let names = try Samples.bodyFileNames()
        #expect(names.count == 14)
        for name in names {
            #expect(Self.expectation(for: name) != nil, "no expectation for \(name)")
        }
        // IGNORE samples are named so; nothing else may be expected to be ignored.
        for name in names {
            if case .ignore? = Self.expectation(for: name) { #expect(name.contains("IGNORE")) }
        }
    }

    /// The decoder builds only the members it reads (``JSONObjectView``): every sample decodes as it does from its
    /// whole tree.
    @Test(arguments: try Samples.bodyFileNames())
    func buildingOnlyWhatIsReadChangesNothing(name: String) throws {
        let whole = try JSONValue.parse(Samples.data(name))
        #expect(try ChatwootWebhook.decode(Samples.data(name)) == ChatwootWebhook(json: whole))
    }

    @Test(arguments: try Samples.bodyFileNames())
    func sampleGivesItsAction(name: String) throws {
        let expected = try #require(Self.expectation(for: name))
        let json = try Samples.json(name)
        let action = Fixture.classifier.classify(try Samples.webhook(name))
        switch expected {
        case .deliver(let id, let text, let attachments):
            let message = try #require(action.deliveredMessage, "\(name): \(action)")
            #expect(message.chatwootMessageID == id)
            #expect(message.text == text)
            #expect(message.agentName == "Maria Schmidt")
            #expect(message.createdAt == json["created_at"]?.displayText)
            // Chatwoot's samples were written in 2025 and 2026: the time is read, whichever way it is written.
            let year = try #require(message.sentAt.map { Calendar(identifier: .gregorian).dateComponents(in: .gmt, from: $0).year })
            #expect((2024...2027).contains(year ?? 0), "\(name): \(message.createdAt ?? "no created_at")")
            #expect(message.conversation == Fixture.sampleConversation)
            #expect(message.attachments.count == attachments.count)
            let urls: [String] = {
                guard case .array(let elements)? = json["attachments"] else { return [] }
                return elements.compactMap { $0["data_url"]?.displayText }
            }()
            for (index, (attachment, want)) in zip(message.attachments, attachments).enumerated() {
                #expect(attachment.kind == want.kind)
                #expect(attachment.name == want.name)
                #expect(attachment.mimeType == want.mime)
                #expect(attachment.url == urls[index])
                #expect(attachment.hasWebURL)
            }
        case .ignore:
            let reason = try #require(action.ignoreReason, "\(name): \(action)")
            #expect(!reason.isEmpty)
        case .status(let status, let updatedAt, let newestUserMessageAt):
            let resolution = status == .resolved ? Fixture.sampleResolution : nil
            #expect(
                action
                    == .status(Fixture.sampleConversation, status: status, updatedAt: updatedAt, resolution: resolution, newestUserMessageAt: newestUserMessageAt))
        case .typing(let on, let agent):
            #expect(action == .typing(Fixture.sampleConversation, on: on, agentName: agent))
        }
    }

    @Test func ignoredSamplesSayWhy() throws {
        let reasons = try ["08-", "09-", "10-"].map { prefix in
            Fixture.classifier.classify(try Samples.webhook(Samples.named(prefix))).ignoreReason ?? ""
        }
        #expect(reasons[0].contains("private note"))
        #expect(reasons[1].contains("incoming"))
        #expect(reasons[2].contains("bot"))
    }

    @Test func samplesDecodeToTheirEvents() throws {
        guard case .messageCreated(let reply) = try Samples.webhook(Samples.named("01-")) else {
            Issue.record("01 is not message_created")
            return
        }
        #expect(reply.messageType == .outgoing)
        #expect(reply.isPrivate == false)
        #expect(reply.sender == .init(kind: .user, id: 12, name: "Maria Schmidt", email: "maria@acme.example"))
        #expect(reply.attachments.isEmpty)
        #expect(reply.conversation.assignee?.name == "Maria Schmidt")
        #expect(reply.conversation.contact?.kind == .contact)
        #expect(reply.conversation.timestamp == 1_781_691_303)

        guard case .messageCreated(let incoming) = try Samples.webhook(Samples.named("09-")) else {
            Issue.record("09 is not message_created")
            return
        }
        // A top-level contact sender has no `type` key (§4.3).
        #expect(incoming.sender?.kind == .contact)
        #expect(incoming.sourceID == "cognigy-msg-0008")

        guard case .conversationStatusChanged(let resolved) = try Samples.webhook(Samples.named("14-")) else {
            Issue.record("14 is not conversation_status_changed")
            return
        }
        #expect(resolved.changedAttributes == nil)
        #expect(resolved.conversation.status == "resolved")

        #expect(try Samples.webhook(Samples.named("18-")).event == "conversation_created")
        #expect(try Samples.webhook(Samples.named("19-")).event == "conversation_typing_on")
    }

    /// Chatwoot writes a message's `created_at` as seconds since 1970 in its API and in a webhook's nested message,
    /// and as ISO 8601 at a webhook's top level; the retention compares it with Baton's clock either way.
    @Test func aMessagesTimeIsReadAsChatwootWritesIt() throws {
        func sentAt(_ text: String?) -> Date? {
            AgentMessage(chatwootMessageID: 1, conversation: Fixture.sampleConversation, text: "hi", createdAt: text).sentAt
        }
        let expected = Date(timeIntervalSince1970: 1_781_691_303)
        #expect(sentAt("1781691303") == expected)
        #expect(sentAt("2026-06-17T10:15:03Z") == expected)
        let fractional = try #require(sentAt("2026-06-17T10:15:03.482Z"))
        #expect(abs(fractional.timeIntervalSince(expected) - 0.482) < 0.001)
        #expect(sentAt("yesterday") == nil && sentAt(nil) == nil)
    }
}
