import BatonConfig
import BatonCore
import BatonServer
import Foundation
import HTTPTypes
import Hummingbird
import NIOFoundationCompat
import HummingbirdTesting
import Synchronization
import Testing

/// Every webhook sample replayed through the real route, against a session in a handover.
@Suite("Chatwoot webhook route")
struct ChatwootWebhookRouteTests {
    static let secret = "qb3Xz1N8sWcKPd7mRvT4Lh2E"
    static let signedAt = 1_781_691_824
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/chatwoot/webhook-samples")

    static func sample(_ prefix: String) throws -> Data {
        let names = try FileManager.default.contentsOfDirectory(atPath: samples.path).filter { $0.hasPrefix(prefix) }
        guard let name = names.first, names.count == 1 else { throw ChatError.unexpected("no sample \(prefix)") }
        return try Data(contentsOf: samples.appendingPathComponent(name))
    }

    /// A session that has handed over (to conversation 1187 of account 1, as in the samples).
    static func sessionInHandover(_ client: some TestClientProtocol, provider: FakeDesk) async throws -> String {
        let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
        guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
        _ = try await client.postJSON(RESTChannelTests.messagesPath, ["sessionId": .string(session), "text": "agent"])
        try await provider.recorder.waitForPosts(6)
        return session
    }

    static func deliver(
        _ body: Data, _ client: some TestClientProtocol, path: String = "/handover/chatwoot", signed: Bool = true, timestamp: Int = signedAt
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json", HTTPField.Name("X-Chatwoot-Delivery")!: UUID().uuidString]
        if signed {
            headers[HTTPField.Name("X-Chatwoot-Timestamp")!] = String(timestamp)
            headers[HTTPField.Name("X-Chatwoot-Signature")!] = WebhookSignature(secret: secret).sign(body: body, timestamp: timestamp)
        }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(data: body))
    }

    static func messages(_ client: some TestClientProtocol, session: String, after: Int) async throws -> [JSONValue] {
        try await client.getJSON("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=\(after)")["messages"].list
    }

    static let fixedNow: @Sendable () -> Date = { Date(timeIntervalSince1970: TimeInterval(signedAt)) }

    @Test(arguments: [
        ("01-", nil, [String]()),
        ("02-", nil, ["image"]),
        ("03-", nil, ["video"]),
        ("04-", nil, ["gif"]),
        ("05-", nil, ["file"]),
        ("11-", nil, [String]()),
    ] as [(String, String?, [String])])
    func agentMessagesReachTheUser(prefix: String, text: String?, kinds: [String]) async throws {
        let (app, provider, _) = try await TestBaton.appWithFakeDesk(now: Self.fixedNow)
        try await app.test(.router) { client in
            let session = try await Self.sessionInHandover(client, provider: provider)
            let body = try Self.sample(prefix)
            let response = try await Self.deliver(body, client)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            #expect(try JSONValue(jsonText: String(buffer: response.body)) == ["result": "delivered"])
            let delivered = try await Self.messages(client, session: session, after: 6)
            #expect(delivered.count == 1)
            let message = try #require(delivered.first)
            #expect(message["sender"] == "agent")
            let json = try JSONValue(jsonText: String(decoding: body, as: UTF8.self))
            #expect(message.text == (text ?? json["content"]?.displayText ?? ""))
            #expect(message["attachments"].list.map { $0["kind"]?.displayText ?? "" } == kinds)
            // The file card says how big the file is: Chatwoot's `file_size`, in bytes.
            #expect(message["attachments"].list.map { $0["size"] } == json["attachments"].list.map { $0["file_size"] })
            #expect(message["agentName"] == json["sender"]?["name"])
            // A second delivery of the same message (Chatwoot may repeat) has no second effect.
            _ = try await Self.deliver(body, client)
            #expect(try await Self.messages(client, session: session, after: 6).count == 1)
        }
    }

    @Test(arguments: ["08-", "09-", "10-", "18-"])
    func echoesNotesAndBotMessagesNeverReachTheUser(prefix: String) async throws {
        let (app, provider, _) = try await TestBaton.appWithFakeDesk(now: Self.fixedNow)
        try await app.test(.router) { client in
            let session = try await Self.sessionInHandover(client, provider: provider)
            let response = try await Self.deliver(try Self.sample(prefix), client)
            #expect(response.status == .ok)
            #expect(try await Self.messages(client, session: session, after: 6).isEmpty)
        }
    }

    @Test func resolveHandsTheUserBackToTheBotAndReopenBringsTheAgentBack() async throws {
        let (app, provider, _) = try await TestBaton.appWithFakeDesk(now: Self.fixedNow)
        try await app.test(.router) { client in
            let session = try await Self.sessionInHandover(client, provider: provider)
            #expect(try await Self.deliver(try Self.sample("14-"), client).status == .ok)
            let afterResolve = try await Self.messages(client, session: session, after: 6)
            #expect(afterResolve.map(\.text) == [HandoverNotices.resolved, "Handover ended: completed ", "Say something"])
            // Back with the bot: the flow answers.
            let reply = try await client.postJSON(RESTChannelTests.messagesPath, ["sessionId": .string(session), "text": "hello bot"])
            #expect(reply["messages"].list.map(\.text) == ["hello bot", "You said hello bot", "Say something"])
            // The agent reopens: a notice, and the next message goes to the agent, not the bot. (The sample is
            // Chatwoot reopening for the contact's message, its newest; an agent's reopening finds the agent's
            // reply from before the resolve the newest.)
            guard case .object(var reopening) = try JSONValue(jsonText: String(decoding: try Self.sample("16-"), as: UTF8.self)) else {
                throw ChatError.unexpected("sample 16 is no object")
            }
            reopening["messages"] = try JSONValue(jsonText: String(decoding: try Self.sample("14-"), as: UTF8.self))["messages"]
            #expect(try await Self.deliver(Data(JSONValue.object(reopening).jsonText.utf8), client).status == .ok)
            let reopened = try await Self.messages(client, session: session, after: 12)
            #expect(reopened.map(\.text) == [HandoverNotices.reopened])
            let toAgent = try await client.postJSON(RESTChannelTests.messagesPath, ["sessionId": .string(session), "text": "are you there?"])
            #expect(toAgent["messages"].list.map(\.text) == ["are you there?"])
            // Reopening posts what happened since the resolve (the agent's context), then the new message.
            try await provider.recorder.waitForPosts(14)
            #expect(await provider.recorder.posted.last?.content.text == "are you there?")
        }
    }

    @Test func theSignedExampleVerifiesAndTamperedOrStaleOnesAreRefused() async throws {
        let (app, provider, _) = try await TestBaton.appWithFakeDesk(now: Self.fixedNow)
        try await app.test(.router) { client in
            let session = try await Self.sessionInHandover(client, provider: provider)
            let body = try Self.sample("signed-example.body")
            let headers = try JSONValue(jsonText: String(decoding: try Self.sample("signed-example.headers"), as: UTF8.self))["headers"]
            func send(_ bytes: Data, signature: String?, timestamp: String?) async throws -> HTTPResponse.Status {
                var fields: HTTPFields = [.contentType: "application/json"]
                if let signature { fields[HTTPField.Name("X-Chatwoot-Signature")!] = signature }
                if let timestamp { fields[HTTPField.Name("X-Chatwoot-Timestamp")!] = timestamp }
                return try await client.execute(uri: "/handover/chatwoot", method: .post, headers: fields, body: ByteBuffer(data: bytes)).status
            }
            let signature = headers?["X-Chatwoot-Signature"]?.displayText
            let timestamp = headers?["X-Chatwoot-Timestamp"]?.displayText
            var tampered = body
            tampered[tampered.index(tampered.startIndex, offsetBy: 100)] ^= 0x01
            #expect(try await send(tampered, signature: signature, timestamp: timestamp) == .unauthorized)
            #expect(try await send(body, signature: nil, timestamp: nil) == .unauthorized)
            #expect(try await send(body, signature: "sha256=" + String(repeating: "0", count: 64), timestamp: timestamp) == .unauthorized)
            #expect(try await Self.deliver(body, client, timestamp: Self.signedAt - 301).status == .unauthorized)
            #expect(try await Self.messages(client, session: session, after: 6).isEmpty, "nothing refused reached the user")
            #expect(try await send(body, signature: signature, timestamp: timestamp) == .ok)
            #expect(try await Self.messages(client, session: session, after: 6).count == 1)
        }
    }

    /// Opens a webchat session and talks it into a handover with the fake desk; returns the session's token.
    static func chatIntoHandover(_ chat: Chat, provider: FakeDesk) async throws -> String {
        let token = try #require(try await chat.hello()["session"]?.stringText)
        _ = try await chat.messages(2)
        try await chat.say("Ada")
        _ = try await chat.messages(3)
        try await chat.say("agent")
        _ = try await chat.messages(1)
        try await provider.recorder.waitForPosts(6)
        return token
    }

    /// A page that talked its way into a handover, was shown the agent's reply of sample 01 and closed its socket:
    /// its session's token and the reply as shown.
    static func pageThatWasShownAReply(_ client: some TestClientProtocol, provider: FakeDesk) async throws -> (token: String, reply: JSONValue) {
        let shown = Mutex<(token: String, reply: JSONValue)?>(nil)
        try await client.chat("t0k3n") { chat in
            let token = try await Self.chatIntoHandover(chat, provider: provider)
            #expect(try await Self.deliver(try Self.sample("01-"), client).status == .ok)
            let reply = try #require(try await chat.messages(1).first)
            #expect(reply["sender"] == "agent")
            shown.withLock { $0 = (token, reply) }
        }
        return try #require(shown.withLock { $0 })
    }

    /// The webhook Chatwoot sends when the agent deletes the message of `sample`: message_updated with
    /// content_attributes.deleted.
    static func deletion(of sample: String) throws -> Data {
        let message = try JSONValue(jsonText: String(decoding: try Self.sample(sample), as: UTF8.self))
        let deleted = message.setting("message_updated", at: ["event"]).setting(true, at: ["content_attributes", "deleted"])
            .setting("This message was deleted", at: ["content"])
        return Data(deleted.jsonText.utf8)
    }

    @Test func typingAndDeletionReachTheWebchat() async throws {
        let (app, provider, _) = try await TestBaton.appWithFakeDesk(now: Self.fixedNow)
        try await app.test(.live) { client in
            try await client.chat("t0k3n") { chat in
                _ = try await Self.chatIntoHandover(chat, provider: provider)
                #expect(try await Self.deliver(try Self.sample("19-"), client).status == .ok)
                #expect(try await chat.next("typing") == ["type": "typing", "sender": "agent", "on": true])
                #expect(try await Self.deliver(try Self.sample("01-"), client).status == .ok)
                let delivered = try await chat.messages(1)
                #expect(delivered.first?["sender"] == "agent")
                #expect(try await Self.deliver(try Self.deletion(of: "01-"), client).status == .ok)
                #expect(try await chat.next("retract") == ["type": "retract", "id": delivered.first?["id"] ?? nil])
            }
        }
    }

    /// A page whose socket was closed when the agent deleted a message (a phone asleep, a network that changed) is
    /// told when it reconnects from its last id, though the message is older than what it asks for.
    @Test func aDeletionWhileThePageWasAwayReachesItWhenItReconnects() async throws {
        let (app, provider, _) = try await TestBaton.appWithFakeDesk(now: Self.fixedNow)
        try await app.test(.live) { client in
            let (token, reply) = try await Self.pageThatWasShownAReply(client, provider: provider)
            #expect(try await Self.deliver(try Self.deletion(of: "01-"), client).status == .ok)
            let last = try #require(reply["id"]?.int)
            try await client.chat("t0k3n") { chat in
                let ready = try await chat.hello(session: token, after: last)
                #expect(ready["resumed"] == true)
                #expect(try await chat.next("retract") == ["type": "retract", "id": reply["id"] ?? nil])
            }
        }
    }

    /// A REST client that polls from its last id is told of a message it has that the agent deleted: the answer's
    /// `retractions` lists every message up to `after` that was taken back.
    @Test func aPollTellsOfTheMessagesTheClientHasThatWereTakenBack() async throws {
        let (app, provider, _) = try await TestBaton.appWithFakeDesk(now: Self.fixedNow)
        try await app.test(.router) { client in
            let session = try await Self.sessionInHandover(client, provider: provider)
            #expect(try await Self.deliver(try Self.sample("01-"), client).status == .ok)
            let path = "/api/v1/endpoints/t0k3n/sessions/\(session)/messages"
            let first = try await client.getJSON(path + "?after=0")
            let reply = try #require(first["messages"].list.last)
            #expect(reply["sender"] == "agent")
            let id = try #require(reply["id"]?.int), last = try #require(first["lastId"]?.int)
            #expect(try await client.getJSON(path + "?after=\(last)")["retractions"] == [])

            #expect(try await Self.deliver(try Self.deletion(of: "01-"), client).status == .ok)
            let after = try await client.getJSON(path + "?after=\(last)")
            #expect(after["retractions"] == [["id": .number(Double(id))]])
            #expect(after["messages"] == [])
            // A client that asks from before it gets it among the messages, retracted.
            let before = try await client.getJSON(path + "?after=\(id - 1)")
            #expect(before["retractions"] == [])
            #expect(before["messages"].list.first?["retracted"] == true)
        }
    }

    /// A reply whose webhook came late goes before the replies the agent wrote after it, which are stored again
    /// behind it: a poll from after them gets the replies in the agent's order and lists each moved original with
    /// `movedTo`, so the client drops its old copy.
    @Test func aPollListsTheRepliesALateOneMovedWithTheirNewIds() async throws {
        let (app, provider, _) = try await TestBaton.appWithFakeDesk(now: Self.fixedNow)
        try await app.test(.router) { client in
            let session = try await Self.sessionInHandover(client, provider: provider)
            let reply = try JSONValue(jsonText: String(decoding: try Self.sample("01-"), as: UTF8.self))
            func deliver(chatwootID: Int, _ text: String) async throws {
                let body = reply.setting(.number(Double(chatwootID)), at: ["id"]).setting(.string(text), at: ["content"])
                #expect(try await Self.deliver(Data(body.jsonText.utf8), client).status == .ok)
            }
            let path = "/api/v1/endpoints/t0k3n/sessions/\(session)/messages"
            try await deliver(chatwootID: 200_002, "written second")
            let before = try await client.getJSON(path + "?after=0")
            let second = try #require(before["messages"].list.last)
            #expect(second.text == "written second")
            let last = try #require(before["lastId"]?.int)

            try await deliver(chatwootID: 200_001, "written first")
            let page = try await client.getJSON(path + "?after=\(last)")
            #expect(page["messages"].list.map(\.text) == ["written first", "written second"])
            let copy = try #require(page["messages"].list.last?["id"])
            #expect(page["retractions"] == [["id": second["id"] ?? nil, "movedTo": copy]])
        }
    }

    @Test func unknownConversationsAndBadBodiesGetClearErrors() async throws {
        let (app, provider, _) = try await TestBaton.appWithFakeDesk(now: Self.fixedNow)
        try await app.test(.router) { client in
            _ = try await Self.sessionInHandover(client, provider: provider)
            var other = try JSONValue(jsonText: String(decoding: try Self.sample("01-"), as: UTF8.self))
            other = other.setting(9999, at: ["conversation", "id"])
            #expect(try await Self.deliver(Data(other.jsonText.utf8), client).status == .notFound, "so Chatwoot marks the agent's message failed")
            #expect(try await Self.deliver(Data("{not json".utf8), client).status == .badRequest)
            #expect(try await Self.deliver(Data("[]".utf8), client).status == .badRequest)
            let unknown = try await Self.deliver(Data(#"{"event":"something \"new\""}"#.utf8), client)
            #expect(unknown.status == .ok, "unknown events are acknowledged and ignored")
            // The answer is JSON however the reason reads (the event's name, quotes and all, is in it).
            let answer = try JSONValue(jsonText: String(buffer: unknown.body))
            #expect(answer["result"]?.displayText.hasPrefix("ignored") == true, "\(answer)")
            #expect(try await Self.deliver(try Self.sample("01-"), client, path: "/handover/chatwoot/nope").status == .notFound)
            #expect(try await Self.deliver(try Self.sample("01-"), client, path: "/handover/chatwoot/test").status == .ok)
        }
    }

    @Test func withoutAnySecretWebhooksAreRefusedAndTheSecretPathServesOlderChatwoot() async throws {
        let pathSecret = "p4th-s3cret-0123456789abcdef"
        var settings = TestBaton.sampleChatwoot
        settings.webhookSecret = nil
        settings.webhookPathSecret = Secret(pathSecret)
        let (app, provider, _) = try await TestBaton.appWithFakeDesk(chatwoot: settings, now: Self.fixedNow)
        try await app.test(.router) { client in
            let session = try await Self.sessionInHandover(client, provider: provider)
            let reply = try Self.sample("01-")
            // Unsigned webhooks on the signature routes: anyone could send them, so they are refused.
            let refused = try await Self.deliver(reply, client, signed: false)
            #expect(refused.status == .unauthorized)
            #expect(String(buffer: refused.body).contains("no webhook secret is configured"))
            #expect(try await Self.deliver(reply, client, path: "/handover/chatwoot/test", signed: false).status == .unauthorized)
            #expect(try await Self.deliver(reply, client, path: "/handover/chatwoot/test/wrong-secret-0123456789abc", signed: false).status == .notFound)
            #expect(try await Self.messages(client, session: session, after: 6).isEmpty)
            // The secret path takes them, as Chatwoot before 4.13 sends them.
            #expect(try await Self.deliver(reply, client, path: "/handover/chatwoot/test/\(pathSecret)", signed: false).status == .ok)
            #expect(try await Self.messages(client, session: session, after: 6).count == 1)
        }
    }
}
