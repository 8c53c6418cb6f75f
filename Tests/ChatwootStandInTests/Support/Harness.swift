import AsyncHTTPClient
import ChatwootStandIn
import Foundation
import NIOCore
import NIOHTTP1

/// A stand-in on a free port with the default seed, a webhook receiver and an HTTP client.
struct Harness: Sendable {
    let standIn: ChatwootStandIn
    let receiver: WebhookReceiver
    let seed: DefaultSeed
    let client: HTTPClient
    static let secret = "qb3Xz1N8sWcKPd7mRvT4Lh2E"

    var account: Int { seed.account.id }
    var adminToken: String { seed.administrator.accessToken }
    var agentToken: String { seed.agent.accessToken }
    var base: String { standIn.baseURL.absoluteString }

    /// Runs `body` with a fresh harness and always tears it down.
    static func with(
        configuration: ChatwootStandIn.Configuration = .init(), _ body: @Sendable (Harness) async throws -> Void
    ) async throws {
        let standIn = try ChatwootStandIn(configuration: configuration)
        try await standIn.start()
        let receiver = try await WebhookReceiver.start()
        let seed = await standIn.seedDefaults(webhookURL: receiver.url, secret: secret)
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.redirectConfiguration = .disallow
        clientConfiguration.timeout = .init(connect: .seconds(2), read: .seconds(10))
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration)
        let harness = Harness(standIn: standIn, receiver: receiver, seed: seed, client: client)
        do {
            try await body(harness)
        } catch {
            await harness.tearDown()
            throw error
        }
        await harness.tearDown()
    }

    func tearDown() async {
        try? await client.shutdown()
        await standIn.shutdown()
        await receiver.stop()
    }

    // MARK: HTTP

    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: JSONValue { (try? JSONValue.parse(text)) ?? .null }
    }

    /// Calls the stand-in. `path` is relative to `/api/v1/accounts/<account>` unless it is one of the stand-in's own
    /// roots (`/api…`, `/console…`, `/rails…`, `/public…`, `/platform…`, `/`).
    func call(
        _ method: HTTPMethod, _ path: String, token: String?, json: JSONValue? = nil, body: [UInt8]? = nil, contentType: String? = nil,
        account: Int? = nil, timeout: Duration = .seconds(10)
    ) async throws -> Reply {
        let absolute = path == "/" || ["/api", "/console", "/rails", "/public", "/platform"].contains(where: path.hasPrefix)
        let url = absolute ? base + path : "\(base)/api/v1/accounts/\(account ?? self.account)\(path)"
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "api_access_token", value: token) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: JSONWriter.string(json)))
        } else if let body {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/octet-stream")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(timeout.components.seconds))
        let buffer = try await response.body.collect(upTo: 100 * 1024 * 1024)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
    }

    /// A GET of an absolute URL (attachments).
    func get(_ url: String) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        let response = try await client.execute(request, timeout: .seconds(10))
        let buffer = try await response.body.collect(upTo: 100 * 1024 * 1024)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
    }

    /// A multipart/form-data body.
    static func multipart(fields: [(String, String)], files: [(field: String, filename: String, mime: String, data: [UInt8])]) -> (body: [UInt8], contentType: String) {
        let boundary = "----standin-\(UUID().uuidString)"
        var body: [UInt8] = []
        func add(_ s: String) { body += Array(s.utf8) }
        for (name, value) in fields {
            add("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        for file in files {
            add("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.field)\"; filename=\"\(file.filename)\"\r\nContent-Type: \(file.mime)\r\n\r\n")
            body += file.data
            add("\r\n")
        }
        add("--\(boundary)--\r\n")
        return (body, "multipart/form-data; boundary=\(boundary)")
    }

    // MARK: Setup shortcuts through the API (as a bridge would do it)

    /// Creates a contact (with contact_inbox) and an open conversation; returns the conversation display id.
    func createConversation(
        identifier: String = "session-\(UUID().uuidString.prefix(8))", name: String = "Jane Doe", sourceId: String? = nil, token: String? = nil
    ) async throws -> (contactId: Int, displayId: Int) {
        let source = sourceId ?? "src-\(UUID().uuidString)"
        let contact = try await call(
            .POST, "/contacts", token: token ?? adminToken,
            json: ["inbox_id": .int(Int64(seed.inbox.id)), "name": .string(name), "identifier": .string(identifier), "source_id": .string(source)])
        guard contact.status == 200, let contactId = contact.json["payload"]?["contact"]?["id"]?.intValue else {
            throw HarnessError(description: "contact create failed: \(contact.status) \(contact.text)")
        }
        let conversation = try await call(
            .POST, "/conversations", token: token ?? adminToken,
            json: [
                "source_id": .string(source), "inbox_id": .int(Int64(seed.inbox.id)), "contact_id": .int(Int64(contactId)), "status": "open",
                "custom_attributes": ["bot_session_id": "7f3c9a"], "additional_attributes": ["source": "swift-handover"],
            ])
        guard conversation.status == 200, let displayId = conversation.json["id"]?.intValue else {
            throw HarnessError(description: "conversation create failed: \(conversation.status) \(conversation.text)")
        }
        return (contactId, displayId)
    }

    func ref(_ displayId: Int) -> ConversationRef { ConversationRef(accountId: account, displayId: displayId) }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
}
