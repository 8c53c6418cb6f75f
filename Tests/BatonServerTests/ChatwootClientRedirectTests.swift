import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import BatonServer

/// A Chatwoot address that answers with a redirect is not followed. The API token travels in a header of its own,
/// which an HTTP client following a redirect to another address does not strip (it strips `Authorization`), and a
/// POST redirected with 301 or 302 becomes a GET that would answer 200 while nothing was posted. The call fails with
/// the status instead, for the outbox to retry and, in the end, show as a dead letter.
@Suite("Chatwoot client: redirects")
struct ChatwootClientRedirectTests {
    @Test func aRedirectIsNotFollowedSoTheTokenStaysAndAPostIsNotTurnedIntoAGet() async throws {
        let reached = Mutex<[String]>([])
        let elsewhere = Router()
        elsewhere.on("**", method: .get) { request, _ -> String in
            reached.withLock { $0.append("\(request.method) \(request.uri.path) token: \(request.headers[HTTPField.Name("api_access_token")!] ?? "none")") }
            return "[]"
        }
        elsewhere.on("**", method: .post) { request, _ -> String in
            reached.withLock { $0.append("\(request.method) \(request.uri.path)") }
            return "{}"
        }
        try await Application(router: elsewhere, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { other in
            let target = "http://127.0.0.1:\(try #require(other.port))"
            let redirecting = Router()
            for method in [HTTPRequest.Method.get, .post] {
                redirecting.on("**", method: method) { request, _ in
                    Response(status: method == .get ? .found : .movedPermanently, headers: [.location: target + request.uri.path])
                }
            }
            try await Application(router: redirecting, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { chatwoot in
                let client = ChatwootClient(
                    baseURL: "http://127.0.0.1:\(try #require(chatwoot.port))", accountID: 1, token: "secret-token", logger: TestBaton.logger)
                let read = await #expect(throws: ChatwootError.self) { _ = try await client.inbox(id: 1) }
                #expect(read?.status == 302)
                let post = await #expect(throws: ChatwootError.self) {
                    _ = try await client.createMessage(conversationID: 7, NewMessage(content: "hello", direction: .incoming, sourceID: "baton-1"))
                }
                #expect(post?.status == 301)
            }
        }
        #expect(reached.withLock { $0 }.isEmpty, "nothing reached the address redirected to: \(reached.withLock { $0 })")
    }
}
