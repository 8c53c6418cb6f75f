import BatonConfig
@testable import BatonServer
import BatonCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Users send their agent files from the webchat: stored by Baton, sent to Chatwoot as attachments, served back
/// inertly; limited in size and type, and only while an agent has the conversation.
@Suite("User files")
struct UserFilesTests {
    /// A 1×1 PNG.
    static let png: [UInt8] = Array(
        Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")!)

    static func upload(
        _ client: some TestClientProtocol, session: String, bytes: [UInt8], type: String, name: String = "screen shot.png", clientID: String? = nil
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: type, HTTPField.Name("X-File-Name")!: name.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!]
        if let clientID { headers[HTTPField.Name("X-Client-Message-Id")!] = clientID }
        return try await client.execute(uri: "/webchat/t0k3n/sessions/\(session)/files", method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    @Test func aFileReachesTheAgentAsAChatwootAttachmentAndIsServedBackInertly() async throws {
        try await FaultRig.run { chatwoot, client in
            let (user, conversation) = try await RESTUser.inHandover("files", client: client, chatwoot: chatwoot)
            let response = try await Self.upload(client, session: user.session, bytes: Self.png, type: "image/png", clientID: "c-file-1")
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
            let again = try await Self.upload(client, session: user.session, bytes: Self.png, type: "image/png", clientID: "c-file-1")
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

    @Test func filesAreRefusedOutsideAHandoverAndBeyondTheLimits() async throws {
        let (app, provider, _) = try await TestBaton.appWithFakeDesk(limits: LimitSettings(maxFileBytes: 1_000))
        try await app.test(.router) { client in
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
            let early = try await Self.upload(client, session: session, bytes: Self.png, type: "image/png")
            #expect(early.status == .conflict)
            #expect(String(buffer: early.body).contains("no_agent"))

            _ = try await client.postJSON(RESTChannelTests.messagesPath, ["sessionId": .string(session), "text": "agent"])
            try await provider.recorder.waitForPosts(6)
            let script = try await Self.upload(client, session: session, bytes: Array("<script>".utf8), type: "text/html", name: "x.html")
            #expect(script.status == .unsupportedMediaType)
            let big = try await Self.upload(client, session: session, bytes: Array(repeating: 0, count: 1_001), type: "application/pdf")
            #expect(big.status == .contentTooLarge)
            #expect(String(buffer: big.body).contains("file_too_large"))
            let unknown = try await Self.upload(client, session: "s_0000000000000000000000000000dead", bytes: Self.png, type: "image/png")
            #expect(unknown.status == .notFound)
            #expect(try await client.execute(uri: "/files/f_nope/x.png", method: .get, headers: [:], body: nil).status == .notFound)
            #expect(FilesController.safeName("..%2F..%2Fetc%2Fpasswd") == "passwd")
            #expect(FilesController.safeName("%0D%0A") == "file")
        }
    }
}
