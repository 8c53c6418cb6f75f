import BatonConfig
import BatonCore
import BatonServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Webhooks out of order end in the right state, and users who send too much or too fast get a clear answer.
@Suite("Faults: order and limits")
struct OrderAndLimitsTests {
    static func sample(_ prefix: String) throws -> JSONValue {
        try JSONValue(jsonText: String(decoding: try ChatwootWebhookRouteTests.sample(prefix), as: UTF8.self))
    }

    static func deliver(_ json: JSONValue, _ client: some TestClientProtocol) async throws -> TestResponse {
        try await ChatwootWebhookRouteTests.deliver(Data(json.jsonText.utf8), client)
    }

    /// The agent resolves, and the webhook of their last reply arrives after the resolve: the user still gets the
    /// reply, and the handover stays resolved.
    @Test func aReplyArrivingAfterTheResolveIsStillDelivered() async throws {
        let (app, provider, store) = try await TestBaton.appWithFakeDesk(now: ChatwootWebhookRouteTests.fixedNow)
        try await app.test(.router) { client in
            let session = try await ChatwootWebhookRouteTests.sessionInHandover(client, provider: provider)
            #expect(try await Self.deliver(try Self.sample("14-"), client).status == .ok)
            let reply = try Self.sample("01-").setting("the last words", at: ["content"])
            #expect(try await Self.deliver(reply, client).status == .ok)
            let texts = try await ChatwootWebhookRouteTests.messages(client, session: session, after: 6).compactMap(\.text)
            #expect(texts.first == HandoverNotices.resolved)
            #expect(texts.last == "the last words")
            #expect(try await store.session(id: SessionID(rawValue: session))?.state.handover?.phase == .resolved)
        }
    }

    /// Chatwoot's webhooks can beat the API's answer to the conversation's creation: a reply and a resolve for
    /// a conversation Baton has not linked yet are recognised by the contact inbox's source_id, which names the
    /// session; the reply reaches the user and the resolve is applied once the conversation is known.
    @Test func webhooksBeforeTheConversationIsKnownAreNotLost() async throws {
        let gate = Latch()
        let (app, _, store) = try await TestBaton.appWithFakeDesk(now: ChatwootWebhookRouteTests.fixedNow, openGate: gate)
        try await app.test(.router) { client in
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
            _ = try await client.postJSON(RESTChannelTests.messagesPath, ["sessionId": .string(session), "text": "agent"])
            let ours = ChatwootIdentity.conversationSourceID(sessionID: session)
            let reply = try Self.sample("01-").setting(.string(ours), at: ["conversation", "contact_inbox", "source_id"])
            #expect(try await Self.deliver(reply, client).status == .ok)
            let resolved = try Self.sample("14-").setting(.string(ours), at: ["contact_inbox", "source_id"])
            #expect(try await Self.deliver(resolved, client).status == .ok)
            #expect(try await store.session(id: SessionID(rawValue: session))?.state.handover?.phase == .opening)

            await gate.open()
            let texts = try await client.waitForText(HandoverNotices.resolved, session: session)
            #expect(texts.contains(try Self.sample("01-")["content"]?.displayText ?? "-"))
            let handover = try await store.session(id: SessionID(rawValue: session))?.state.handover
            #expect(handover?.phase == .resolved)
            #expect(handover?.conversationID == 1187)
        }
    }

    /// A webhook for a conversation that is nobody's is refused with 404, so Chatwoot marks the agent's message
    /// failed and the agent sees it.
    @Test func aStrangersConversationIsRefused() async throws {
        let (app, provider, _) = try await TestBaton.appWithFakeDesk(now: ChatwootWebhookRouteTests.fixedNow)
        try await app.test(.router) { client in
            _ = try await ChatwootWebhookRouteTests.sessionInHandover(client, provider: provider)
            let stranger = try Self.sample("01-").setting(4_242, at: ["conversation", "id"])
                .setting("baton:s_00000000000000000000000000000000", at: ["conversation", "contact_inbox", "source_id"])
            #expect(try await Self.deliver(stranger, client).status == .notFound)
        }
    }

    @Test func tooManyMessagesAreRefusedWithRetryAfter() async throws {
        let (app, _, _) = try await TestBaton.appWithFakeDesk(limits: LimitSettings(messagesPerMinute: 20))
        try await app.test(.router) { client in
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
            var refused: TestResponse?
            for index in 0..<20 where refused == nil {
                let response = try await client.execute(
                    uri: RESTChannelTests.messagesPath, method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: JSONValue.object(["sessionId": .string(session), "text": .string("m\(index)")]).jsonText))
                if response.status != .ok { refused = response }
            }
            let response = try #require(refused, "a burst of 20 exceeds 20 a minute with a burst of 5")
            #expect(response.status == .tooManyRequests)
            #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(String(buffer: response.body).contains("rate_limited"))
        }
    }

    @Test func aTooLongMessageIsRefusedWithTheLimit() async throws {
        let (app, _, _) = try await TestBaton.appWithFakeDesk(limits: LimitSettings(maxMessageLength: 100))
        try await app.test(.router) { client in
            let response = try await client.execute(
                uri: RESTChannelTests.messagesPath, method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: JSONValue.object(["text": .string(String(repeating: "x", count: 101))]).jsonText))
            #expect(response.status == .contentTooLarge)
            #expect(String(buffer: response.body).contains("limited to 100 characters"))
        }
    }
}

extension TestClientProtocol {
    /// Long-polls the session's transcript until a message with `text` is stored; returns all texts then.
    func waitForText(_ text: String, session: String, timeout: Duration = .seconds(10)) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        var after: Int64 = 0
        var texts: [String] = []
        while !texts.contains(text) {
            guard ContinuousClock.now < deadline else { throw ChatError.timedOut(waitingFor: "'\(text)' in session \(session)") }
            let page = try await getJSON("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=\(after)&wait=2")
            texts += page["messages"].list.compactMap(\.text)
            // As the docs say: the next `after` is the highest id read (`lastId` may be ahead of a limited page).
            after = page["messages"].list.compactMap { $0["id"]?.int }.max() ?? after
        }
        return texts
    }
}
