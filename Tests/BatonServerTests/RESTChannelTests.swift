import BatonCore
import BatonServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("REST channel")
struct RESTChannelTests {
    static let messagesPath = "/api/v1/endpoints/t0k3n/messages"

    @Test func aFirstMessageOpensASessionAndGetsTheGreetingAndTheAnswer() async throws {
        let app = try await TestBaton.app()
        try await app.test(.router) { client in
            let body = try await client.postJSON(Self.messagesPath, ["text": "Ada"])
            #expect(body["duplicate"] == false)
            #expect(body["messages"].list.map(\.text) == ["Welcome!", "Your name?", "Ada", "Hello Ada!", "Say something"])
            #expect(body["messages"].list.map { $0["sender"] } == ["bot", "bot", "user", "bot", "bot"])
            #expect(body["lastId"] == 5)
            guard case .string(let session)? = body["sessionId"] else { throw ChatError.unexpected("no sessionId") }
            #expect(SessionID.isWellFormed(session))
            let next = try await client.postJSON(Self.messagesPath, ["sessionId": .string(session), "text": "hello"])
            #expect(next["messages"].list.map(\.text) == ["hello", "You said hello", "Say something"])
            #expect(next["messages"].list.map { $0["id"] } == [6, 7, 8])
        }
    }

    @Test func laterMessagesCanBeReadAfterAnId() async throws {
        let app = try await TestBaton.app()
        try await app.test(.router) { client in
            let first = try await client.postJSON(Self.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no sessionId") }
            let path = "/api/v1/endpoints/t0k3n/sessions/\(session)/messages"
            let page = try await client.getJSON(path + "?after=2&limit=2")
            #expect(page["messages"].list.map { $0["id"] } == [3, 4])
            #expect(page["retractions"] == [], "nothing taken back")
            #expect(page["lastId"] == 5)
            let rest = try await client.getJSON(path + "?after=4")
            #expect(rest["messages"].list.map(\.text) == ["Say something"])
            #expect(try await client.getJSON(path + "?after=5")["messages"] == [])
            try await client.expectError(.get, path + "?after=-1", status: .badRequest, code: "invalid_after")
            try await client.expectError(.get, path + "?limit=0", status: .badRequest, code: "invalid_limit")
            try await client.expectError(.get, path + "?limit=abc", status: .badRequest, code: "invalid_limit")
            try await client.expectError(.get, "/api/v1/endpoints/t0k3n/sessions/s_00000000000000000000000000000000/messages", status: .notFound, code: "session_not_found")
        }
    }

    /// A long poll holds until something changes for the client: a message newer than it has, or one it has taken
    /// back (deleted or moved; the answer's `retractions` then says which).
    @Test func aLongPollEndsWhenAMessageTheClientHasIsTakenBack() async throws {
        let hub = ConversationHub()
        let session = SessionID(rawValue: "s")
        for event: HubEvent in [.retracted(messageID: 3), .moved(messageID: 2, to: 9), .message(Self.message(6, in: session))] {
            let listening = Signal()
            let poll = Task {
                await hub.waitForChange(in: session, after: 5, upTo: .seconds(60)) {
                    await listening.fire()
                    return false
                }
            }
            try await listening.wait()
            hub.publish(event, to: session)
            let ended = await withTaskGroup(of: Bool.self) { group in
                group.addTask { await poll.value; return true }
                group.addTask { try? await Task.sleep(for: .seconds(10)); return false }
                let first = await group.next() ?? false
                poll.cancel()
                group.cancelAll()
                return first
            }
            #expect(ended, "\(event) ends the poll")
        }
    }

    static func message(_ id: Int64, in session: SessionID) -> Message {
        Message(id: id, sessionID: session, draft: MessageDraft(sender: .agent, content: MessageContent(text: "m"), createdAt: Date()))
    }

    @Test func aRetriedMessageIsStoredOnce() async throws {
        let app = try await TestBaton.app()
        try await app.test(.router) { client in
            let first = try await client.postJSON(Self.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no sessionId") }
            let send: JSONValue = ["sessionId": .string(session), "text": "once", "clientMessageId": "retry-1"]
            let original = try await client.postJSON(Self.messagesPath, send)
            let retry = try await client.postJSON(Self.messagesPath, send)
            #expect(original["duplicate"] == false)
            #expect(retry["duplicate"] == true)
            #expect(retry["messages"].list.map { $0["id"] } == [6], "the retry returns the stored user message")
            let all = try await client.getJSON("/api/v1/endpoints/t0k3n/sessions/\(session)/messages")
            #expect(all["messages"].list.filter { $0.text == "once" }.count == 1)
            #expect(all["lastId"] == 8)
        }
    }

    @Test func addressingByUserIdNeedsTheApiKey() async throws {
        let app = try await TestBaton.app(apiKey: "k3y-secret")
        try await app.test(.router) { client in
            try await client.expectError(.post, Self.messagesPath, body: ["userId": "crm-42", "text": "hi"], status: .unauthorized, code: "unauthorized")
            try await client.expectError(
                .post, Self.messagesPath, body: ["userId": "crm-42", "text": "hi"], headers: [.authorization: "Bearer wrong"], status: .unauthorized,
                code: "unauthorized")
            let auth: HTTPFields = [.authorization: "Bearer k3y-secret"]
            let first = try await client.postJSON(Self.messagesPath, ["userId": "crm-42", "text": "Ada"], headers: auth)
            let second = try await client.postJSON(Self.messagesPath, ["userId": "crm-42", "text": "again"], headers: auth)
            #expect(first["userId"] == "crm-42")
            #expect(second["sessionId"] == first["sessionId"], "one session per endpoint and user")
            #expect(second["messages"].list.map(\.text) == ["again", "You said again", "Say something"])
        }
        let withoutKey = try await TestBaton.app()
        try await withoutKey.test(.router) { client in
            try await client.expectError(.post, Self.messagesPath, body: ["userId": "crm-42", "text": "hi"], status: .forbidden, code: "user_id_not_enabled")
        }
    }

    @Test func badRequestsGetClearErrors() async throws {
        let app = try await TestBaton.app()
        try await app.test(.router) { client in
            try await client.expectError(.post, Self.messagesPath, raw: "{not json", status: .badRequest, code: "invalid_json")
            try await client.expectError(.post, Self.messagesPath, body: ["text": 42], status: .badRequest, code: "invalid_json")
            try await client.expectError(.post, Self.messagesPath, body: ["text": "  "], status: .badRequest, code: "text_required")
            try await client.expectError(.post, Self.messagesPath, body: [:], status: .badRequest, code: "text_required")
            try await client.expectError(
                .post, Self.messagesPath, body: ["text": .string(String(repeating: "x", count: 4_001))], status: .contentTooLarge, code: "text_too_long")
            try await client.expectError(
                .post, Self.messagesPath, raw: "{\"text\":\"" + String(repeating: "x", count: 300_000) + "\"}", status: .contentTooLarge, code: "body_too_large")
            try await client.expectError(.post, Self.messagesPath, body: ["text": "x", "sessionId": "s_nope"], status: .notFound, code: "session_not_found")
            try await client.expectError(.post, "/api/v1/endpoints/unknown/messages", body: ["text": "x"], status: .notFound, code: "endpoint_not_found")
            try await client.expectError(.post, Self.messagesPath, body: ["text": "x", "clientMessageId": ""], status: .badRequest, code: "invalid_client_message_id")
            // PostgreSQL refuses NUL in text: such an id is turned away here, never a 500 from the store.
            try await client.expectError(
                .post, Self.messagesPath, body: ["text": "x", "clientMessageId": "c\u{0}1"], status: .badRequest, code: "invalid_client_message_id")
        }
    }

    @Test func sessionsOfOneEndpointAreNotReachableFromAnother() async throws {
        // Covered by the store's endpoint check: a session id from elsewhere is "not found", not a foreign transcript.
        let app = try await TestBaton.app()
        try await app.test(.router) { client in
            let first = try await client.postJSON(Self.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no sessionId") }
            try await client.expectError(.get, "/api/v1/endpoints/other/sessions/\(session)/messages", status: .notFound, code: "endpoint_not_found")
        }
    }
}

extension JSONValue {
    var list: [JSONValue] { if case .array(let items) = self { items } else { [] } }
}

extension Optional where Wrapped == JSONValue {
    var list: [JSONValue] { self?.list ?? [] }
}

extension TestClientProtocol {
    func postJSON(_ path: String, _ body: JSONValue, headers: HTTPFields = [:]) async throws -> JSONValue {
        var fields = headers
        fields[.contentType] = "application/json"
        let response = try await execute(uri: path, method: .post, headers: fields, body: ByteBuffer(string: body.jsonText))
        guard response.status == .ok else { throw ChatError.unexpected("POST \(path) answered \(response.status): \(String(buffer: response.body))") }
        return try JSONValue(jsonText: String(buffer: response.body))
    }

    /// Posts `body` as JSON and returns the answer's status (for calls that answer with no body).
    func postStatus(_ path: String, _ body: JSONValue, headers: HTTPFields = [:]) async throws -> HTTPResponse.Status {
        var fields = headers
        fields[.contentType] = "application/json"
        return try await execute(uri: path, method: .post, headers: fields, body: ByteBuffer(string: body.jsonText)).status
    }

    func getJSON(_ path: String, headers: HTTPFields = [:]) async throws -> JSONValue {
        let response = try await execute(uri: path, method: .get, headers: headers)
        guard response.status == .ok else { throw ChatError.unexpected("GET \(path) answered \(response.status): \(String(buffer: response.body))") }
        return try JSONValue(jsonText: String(buffer: response.body))
    }

    /// Sends a request and checks the JSON error answer: status and `error.code`, and that it names the problem.
    func expectError(
        _ method: HTTPRequest.Method, _ path: String, body: JSONValue? = nil, raw: String? = nil, headers: HTTPFields = [:],
        status: HTTPResponse.Status, code: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) async throws {
        let payload = raw ?? body?.jsonText
        let response = try await execute(uri: path, method: method, headers: headers, body: payload.map { ByteBuffer(string: $0) })
        #expect(response.status == status, "\(method) \(path)", sourceLocation: sourceLocation)
        let json = try? JSONValue(jsonText: String(buffer: response.body))
        #expect(json?["error"]?["code"] == .string(code), "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        #expect(json?["error"]?["message"]?.displayText.isEmpty == false, sourceLocation: sourceLocation)
    }
}
