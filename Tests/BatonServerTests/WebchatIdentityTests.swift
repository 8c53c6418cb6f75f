import BatonCore
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import Synchronization
import Testing

/// `Baton.setUser(id, attributes, identifierHash)`: a user the site vouches for keeps one session everywhere;
/// a wrong hash is refused; attributes reach the profile.
@Suite("Webchat identity")
struct WebchatIdentityTests {
    static let secret = "identity-secret-for-tests-0123"

    static func hash(_ id: String, secret: String = secret) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(id.utf8), using: SymmetricKey(data: Data(secret.utf8))).map { String(format: "%02x", $0) }.joined()
    }

    static func hello(_ chat: Chat, user: JSONValue, session: String? = nil) async throws -> JSONValue {
        try await chat.send(["type": "hello", "session": session.map(JSONValue.string) ?? .null, "after": 0, "user": user])
        return try await chat.inbox.next(within: .seconds(10))
    }

    @Test func aVerifiedUserKeepsOneSessionOnEveryDeviceAndTheirAttributesReachTheProfile() async throws {
        let path = TestBaton.databasePath()
        let app = try await TestBaton.app(databasePath: path, identitySecret: Self.secret)
        let user: JSONValue = ["id": "u-42", "attributes": ["name": "Ada", "email": "ada@example.com", "bad key!": "x", "nested": ["a": 1]], "identifierHash": .string(Self.hash("u-42"))]
        let sessions = Box<[String]>([])
        try await app.test(.live) { client in
            for _ in 0..<2 {
                try await client.chat("t0k3n") { chat in
                    let ready = try await Self.hello(chat, user: user)
                    #expect(ready["type"] == "ready")
                    if case .string(let session)? = ready["session"] { sessions.value.withLock { $0.append(session) } }
                }
            }
        }
        let ids = sessions.value.withLock { $0 }
        #expect(ids.count == 2)
        #expect(Set(ids).count == 1, "a second device gets the same session")
        let store = try await TestBaton.store(path)
        let session = try #require(try await store.session(id: SessionID(rawValue: ids[0])))
        #expect(session.userID == "u-42")
        #expect(session.state.profile == ["name": "Ada", "email": "ada@example.com"])
    }

    @Test func aWrongHashIsRefusedAndTheUserIsAVisitor() async throws {
        let app = try await TestBaton.app(identitySecret: Self.secret)
        try await app.test(.live) { client in
            try await client.chat("t0k3n") { chat in
                let forged: JSONValue = ["id": "u-42", "identifierHash": .string(Self.hash("u-42", secret: "someone-elses-secret-000"))]
                let error = try await Self.hello(chat, user: forged)
                #expect(error["type"] == "error")
                #expect(error["code"] == "identity_invalid")
                let ready = try await chat.next("ready")
                #expect(ready["resumed"] == false)
            }
        }
    }

    @Test func withoutASecretTheUserIdIsNeverTrusted() async throws {
        let path = TestBaton.databasePath()
        let app = try await TestBaton.app(databasePath: path)
        let sessions = Box<[String]>([])
        try await app.test(.live) { client in
            for _ in 0..<2 {
                try await client.chat("t0k3n") { chat in
                    let ready = try await Self.hello(chat, user: ["id": "u-42", "attributes": ["name": "Ada"], "identifierHash": "00"])
                    if case .string(let session)? = ready["session"] { sessions.value.withLock { $0.append(session) } }
                }
            }
        }
        let ids = sessions.value.withLock { $0 }
        #expect(Set(ids).count == 2, "claiming an id gets nobody else's session")
        let store = try await TestBaton.store(path)
        #expect(try await store.session(id: SessionID(rawValue: ids[0]))?.state.profile == ["name": "Ada"])
    }
}
