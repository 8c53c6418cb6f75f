import BatonCore
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import Testing

@Suite("Webchat: heartbeat, handover updates, widget script")
struct WebchatLivenessTests {
    @Test func aPingIsAnsweredWithPong() async throws {
        let app = try await TestBaton.app()
        try await app.test(.live) { client in
            try await client.chat("t0k3n") { chat in
                _ = try await chat.hello()
                _ = try await chat.messages(2)
                try await chat.send(["type": "ping"])
                _ = try await chat.next("pong")
            }
        }
    }

    @Test func aClientThatAsksIsToldWhereTheHandoverStands() async throws {
        let app = try await TestBaton.app()
        try await app.test(.live) { client in
            try await client.chat("t0k3n") { chat in
                try await chat.send(["type": "hello", "session": .null, "after": 0, "handoverUpdates": true])
                _ = try await chat.next("ready")
                #expect(try await chat.next("handover") == ["type": "handover", "phase": .null, "number": 0, "agentJoined": false], "before the backlog")
                _ = try await chat.messages(2)
                try await chat.say("Ada")
                _ = try await chat.messages(3)
                // No provider is configured: the handover starts and fails at once.
                try await chat.say("Talk to a human", payload: "agent")
                var phases: [JSONValue] = []
                while phases.last != "failed" {
                    let frame = try await chat.inbox.next(within: .seconds(10))
                    if frame["type"] == "handover" { phases.append(frame["phase"] ?? .null) }
                }
                #expect(phases.last == "failed")
            }
        }
    }

    @Test func theWidgetScriptIsServedForOtherSitesToLoad() async throws {
        let app = try await TestBaton.app()
        try await app.test(.router) { client in
            try await client.execute(uri: "/widget.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(response.headers[.cacheControl] == "public, max-age=300")
                #expect(response.headers[.accessControlAllowOrigin] == "*")
                let source = String(buffer: response.body)
                #expect(source.contains("window.Baton"))
                #expect(!source.contains("innerHTML") && !source.contains("eval("))
            }
        }
    }
}
