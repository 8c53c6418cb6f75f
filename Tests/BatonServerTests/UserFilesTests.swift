import BatonConfig
@testable import BatonServer
import BatonCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Users send their agent files from the webchat or a REST client (an outside bot's, through the handovers API:
/// `HandoverAPIEndToEndTests`): stored by Baton, sent to Chatwoot as attachments, served back inertly; limited in
/// size and type, and only while an agent has the conversation.
@Suite("User files")
struct UserFilesTests {
    /// A 1×1 PNG.
    static let png: [UInt8] = Array(
        Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")!)

    /// Where each channel takes a session's files: the webchat's route and the REST channel's.
    static let routes = ["/webchat/t0k3n/sessions/%@/files", "/api/v1/endpoints/t0k3n/sessions/%@/files"]

    static func upload(
        _ client: some TestClientProtocol, session: String, bytes: [UInt8], type: String, name: String = "screen shot.png", clientID: String? = nil,
        route: String = routes[0], headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: type, HTTPField.Name("X-File-Name")!: name.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!]
        if let clientID { headers[HTTPField.Name("X-Client-Message-Id")!] = clientID }
        headers.append(contentsOf: extra)
        return try await client.execute(uri: String(format: route, session), method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    @Test(arguments: routes)
    func aFileReachesTheAgentAsAChatwootAttachmentAndIsServedBackInertly(route: String) async throws {
        try await FaultRig.run { chatwoot, client in
            let (user, conversation) = try await RESTUser.inHandover("files", client: client, chatwoot: chatwoot)
            let response = try await Self.upload(client, session: user.session, bytes: Self.png, type: "image/png", clientID: "c-file-1", route: route)
            #expect(response.status == .created, "\(String(buffer: response.body))")
            let message = try JSONValue(jsonText: String(buffer: response.body))["message"]
            #expect(message?["sender"] == "user")
            let attachment = message?["attachments"].list.first
            #expect(attachment?["kind"] == "image")
            #expect(attachment?["name"] == "screen shot.png")

            let files = try await chatwoot.waitForIncomingFiles(conversation)
            #expect(files.count == 1)
            #expect(files.first?.fileType == "image")
            #expect(files.first?.name == "screen shot.png")
            #expect(files.first?.size == Self.png.count)

            // The same upload again (a retried request) is the same message, not a second file.
            let again = try await Self.upload(client, session: user.session, bytes: Self.png, type: "image/png", clientID: "c-file-1", route: route)
            #expect(try JSONValue(jsonText: String(buffer: again.body))["message"]?["id"] == message?["id"])

            guard case .string(let url)? = attachment?["url"], let path = URLComponents(string: url)?.percentEncodedPath else { throw ChatError.unexpected("no url") }
            let served = try await client.execute(uri: path, method: .get, headers: [:], body: nil)
            #expect(served.status == .ok)
            #expect(Array(buffer: served.body) == Self.png)
            #expect(served.headers[.contentType] == "image/png")
            #expect(served.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(served.headers[.contentSecurityPolicy]?.hasPrefix("sandbox") == true)
        }
    }

    @Test(arguments: routes)
    func filesAreRefusedOutsideAHandoverAndBeyondTheLimits(route: String) async throws {
        let (app, provider, _) = try await TestBaton.appWithFakeDesk(limits: LimitSettings(maxFileBytes: 1_000))
        try await app.test(.router) { client in
            func upload(_ session: String, _ bytes: [UInt8], _ type: String, name: String = "screen shot.png") async throws -> TestResponse {
                try await Self.upload(client, session: session, bytes: bytes, type: type, name: name, route: route)
            }
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
            let early = try await upload(session, Self.png, "image/png")
            #expect(early.status == .conflict)
            #expect(String(buffer: early.body).contains("no_agent"))

            _ = try await client.postJSON(RESTChannelTests.messagesPath, ["sessionId": .string(session), "text": "agent"])
            try await provider.recorder.waitForPosts(6)
            let script = try await upload(session, Array("<script>".utf8), "text/html", name: "x.html")
            #expect(script.status == .unsupportedMediaType)
            let big = try await upload(session, Array(repeating: 0, count: 1_001), "application/pdf")
            #expect(big.status == .contentTooLarge)
            #expect(String(buffer: big.body).contains("file_too_large"))
            let unknown = try await upload("s_0000000000000000000000000000dead", Self.png, "image/png")
            #expect(unknown.status == .notFound)
            #expect(try await client.execute(uri: "/files/f_nope/x.png", method: .get, headers: [:], body: nil).status == .notFound)
            #expect(UserFiles.safeName("..%2F..%2Fetc%2Fpasswd") == "passwd")
            #expect(UserFiles.safeName("%0D%0A") == "file")
        }
    }
}
