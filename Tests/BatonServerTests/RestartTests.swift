import BatonCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Restart")
struct RestartTests {
    /// Everything a user has said and been told, and where the flow stands, survives a restart of the server.
    @Test func aRestartLosesNothing() async throws {
        let path = TestBaton.databasePath()
        let session = SessionBox()
        try await TestBaton.app(databasePath: path).test(.live) { client in
            try await client.chat("t0k3n") { chat in
                let ready = try await chat.hello()
                await session.set(ready["session"])
                _ = try await chat.messages(2)
                try await chat.say("Ada", clientID: "before-restart")
                _ = try await chat.messages(3)
            }
        }
        // A new server process over the same database file.
        try await TestBaton.app(databasePath: path).test(.live) { client in
            try await client.chat("t0k3n") { chat in
                let ready = try await chat.hello(session: await session.token, after: 0)
                #expect(ready["resumed"] == true)
                let transcript = try await chat.messages(5)
                #expect(transcript.map(\.text) == ["Welcome!", "Your name?", "Ada", "Hello Ada!", "Say something"])
                try await chat.say("Ada", clientID: "before-restart")
                #expect(try await chat.next("ack")["id"] == 3, "a message re-sent across the restart is still recognised")
                try await chat.say("still here?")
                #expect(try await chat.messages(3).map(\.text) == ["still here?", "You said still here?", "Say something"], "the flow resumes where it was")
            }
        }
    }
}
