import BatonCore
@testable import BatonServer
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import HummingbirdWebSocket
import NIOWebSocket
import Testing

@Suite("Webchat socket, live")
struct WebchatSocketTests {
    @Test func aNewVisitorGetsASessionAndTheGreeting() async throws {
        let app = try await TestBaton.app()
        try await app.test(.live) { client in
            try await client.chat("t0k3n") { chat in
                let ready = try await chat.hello()
                #expect(ready["resumed"] == false)
                #expect(ready["lastId"] == 2, "the greeting is already stored")
                #expect(ready["endpoint"]?["name"] == "Test endpoint")
                guard case .string(let session)? = ready["session"] else { throw ChatError.unexpected("no session") }
                #expect(SessionID.isWellFormed(session))
                let greeting = try await chat.messages(2)
                #expect(greeting.map(\.text) == ["Welcome!", "Your name?"])
                #expect(greeting.map { $0["id"] } == [1, 2])
                #expect(greeting.allSatisfy { $0["sender"] == "bot" })
            }
        }
    }

    @Test func aMessageIsAcknowledgedEchoedAndAnswered() async throws {
        let app = try await TestBaton.app()
        try await app.test(.live) { client in
            try await client.chat("t0k3n") { chat in
                _ = try await chat.hello()
                _ = try await chat.messages(2)
                try await chat.say("Ada", clientID: "c-1")
                var frames: [JSONValue] = []
                for _ in 0..<4 { frames.append(try await chat.inbox.next(within: .seconds(10))) }
                let acks = frames.filter { $0["type"] == "ack" }
                #expect(acks == [["type": "ack", "clientMessageId": "c-1", "id": 3]])
                let messages = frames.compactMap { $0["type"] == "message" ? $0["message"] : nil }
                #expect(messages.map(\.text) == ["Ada", "Hello Ada!", "Say something"])
                #expect(messages.map { $0["sender"] } == ["user", "bot", "bot"])
                #expect(messages[0]["clientMessageId"] == "c-1")
                #expect(messages[2]["quickReplies"] == [["title": "Talk to a human", "payload": "agent"]])
            }
        }
    }

    /// The browser's language picks the words of Baton's own notices; one that is not a language tag is ignored.
    @Test(arguments: [("pt-BR", "Desculpe, nenhum atendente está disponível no momento."), ("<b>", HandoverNotices.failed)])
    func noticesSpeakTheBrowsersLanguage(language: String, failed: String) async throws {
        let app = try await TestBaton.app()
        try await app.test(.live) { client in
            try await client.chat("t0k3n") { chat in
                _ = try await chat.hello(language: language)
                _ = try await chat.messages(2)
                try await chat.say("Ada")
                _ = try await chat.messages(3)
                try await chat.say("agent")
                #expect(try await chat.messages(4)[1].text == failed)
            }
        }
    }

    @Test func aQuickReplyPayloadDrivesTheFlow() async throws {
        let app = try await TestBaton.app()
        try await app.test(.live) { client in
            try await client.chat("t0k3n") { chat in
                _ = try await chat.hello()
                _ = try await chat.messages(2)
                try await chat.say("Ada")
                _ = try await chat.messages(3)
                try await chat.say("Talk to a human", payload: "agent")
                let answer = try await chat.messages(4)
                #expect(answer[0].text == "Talk to a human", "the transcript shows what the user clicked")
                // No provider is configured: the user is told, and the flow hears 'error/unsupported' and goes on.
                #expect(answer[1]["sender"] == "system")
                #expect(answer[1].text == HandoverNotices.failed)
                #expect(answer[2].text == "Handover ended: error unsupported")
                #expect(answer[3].text == "Say something")
            }
        }
    }

    @Test func aReconnectReceivesExactlyWhatItMissed() async throws {
        let app = try await TestBaton.app()
        try await app.test(.live) { client in
            let session = SessionBox()
            try await client.chat("t0k3n") { chat in
                let ready = try await chat.hello()
                await session.set(ready["session"])
                _ = try await chat.messages(2)
                try await chat.say("Ada", clientID: "a")
                _ = try await chat.messages(3)
            }
            // The browser saw up to id 2 only (say it lost the last frames with the connection).
            try await client.chat("t0k3n") { chat in
                let ready = try await chat.hello(session: await session.token, after: 2)
                #expect(ready["resumed"] == true)
                #expect(ready["lastId"] == 5)
                let missed = try await chat.messages(3)
                #expect(missed.map { $0["id"] } == [3, 4, 5])
                #expect(missed.map(\.text) == ["Ada", "Hello Ada!", "Say something"])
                // And the conversation goes on where it was: the flow waits at "Say something".
                try await chat.say("ping")
                #expect(try await chat.messages(3).map(\.text) == ["ping", "You said ping", "Say something"])
            }
        }
    }

    @Test func aResentClientMessageHasNoSecondEffect() async throws {
        let app = try await TestBaton.app()
        try await app.test(.live) { client in
            try await client.chat("t0k3n") { chat in
                _ = try await chat.hello()
                _ = try await chat.messages(2)
                try await chat.say("Ada", clientID: "same")
                _ = try await chat.messages(3)
                try await chat.say("Ada", clientID: "same")
                #expect(try await chat.next("ack") == ["type": "ack", "clientMessageId": "same", "id": 3])
                try await chat.say("next", clientID: "other")
                let after = try await chat.messages(3)
                #expect(after.map { $0["id"] } == [6, 7, 8], "the duplicate stored nothing")
            }
        }
    }

    @Test func unknownMalformedOrForeignSessionsStartAfresh() async throws {
        let app = try await TestBaton.app()
        try await app.test(.live) { client in
            for token in ["s_00000000000000000000000000000000", "not-a-session", "'; DROP TABLE sessions; --"] {
                try await client.chat("t0k3n") { chat in
                    let ready = try await chat.hello(session: token, after: 40)
                    #expect(ready["resumed"] == false)
                    #expect(ready["session"] != .string(token))
                    #expect(try await chat.messages(2).map { $0["id"] } == [1, 2], "a new session's backlog starts at 1 whatever 'after' said")
                }
            }
        }
    }

    @Test func badFramesGetAnErrorAndChangeNothing() async throws {
        let app = try await TestBaton.app()
        try await app.test(.live) { client in
            try await client.chat("t0k3n") { chat in
                try await chat.say("before hello")
                #expect(try await chat.next("error")["code"] == "hello_required")
                try await chat.sendRaw("{not json")
                #expect(try await chat.next("error")["code"] == "invalid_frame")
                _ = try await chat.hello()
                _ = try await chat.messages(2)
                try await chat.send(["type": "launch-missiles"])
                #expect(try await chat.next("error")["code"] == "invalid_frame")
                try await chat.send(["type": "message", "text": 42])
                #expect(try await chat.next("error")["code"] == "invalid_frame")
                try await chat.say(String(repeating: "x", count: 4_001))
                #expect(try await chat.next("error")["code"] == "text_too_long")
                try await chat.say("   ")
                #expect(try await chat.next("error")["code"] == "invalid_frame")
                try await chat.say("with a NUL in its id", clientID: "c\u{0}1")
                #expect(try await chat.next("error")["code"] == "invalid_frame")
                try await chat.send(["type": "hello", "session": nil, "after": 0])
                #expect(try await chat.next("error")["code"] == "invalid_frame", "hello is allowed once")
                try await chat.say("Ada")
                let messages = try await chat.messages(3)
                #expect(messages.map { $0["id"] } == [3, 4, 5], "none of the bad frames stored anything")
            }
        }
    }

    @Test func aLongMessageIsTakenWholeOrSplitAndOneTooLongClosesTheSocket() async throws {
        let app = try await TestBaton.app()
        try await app.test(.live) { client in
            try await client.chat("t0k3n") { chat in
                _ = try await chat.hello()
                _ = try await chat.messages(2)
                // JSON may carry any amount of white space: 40 KB go out as the client's 16 KB frames, a first and two
                // continuations.
                let padded = #"{"type":"message","text":"Ada""# + String(repeating: " ", count: 40_000) + "}"
                try await chat.outbound.writeTextMessage(padded)
                #expect(try await chat.messages(3).map(\.text) == ["Ada", "Hello Ada!", "Say something"])
                // Browsers send a message as one frame, however long.
                try await chat.sendRaw(padded.replacingOccurrences(of: "Ada", with: "Grace"))
                #expect(try await chat.messages(3).map(\.text) == ["Grace", "You said Grace", "Say something"])
            }
            let tooLong = "{" + String(repeating: " ", count: WebchatSocket.maxMessageSize) + "}"
            for split in [true, false] {
                let close = try await client.ws("/webchat/t0k3n/socket") { inbound, outbound, _ in
                    if split { try await outbound.writeTextMessage(tooLong) } else { try await outbound.write(.text(tooLong)) }
                    // Any answer means the message was taken (the client then closes, normally); Baton closes instead.
                    for try await _ in inbound { return }
                }
                #expect(close?.closeCode == .messageTooLarge, "split: \(split)")
            }
        }
    }

    @Test func twoTabsOfOneSessionBothSeeEveryMessage() async throws {
        let app = try await TestBaton.app()
        try await app.test(.live) { client in
            let session = SessionBox()
            let secondTabReady = Signal()
            try await client.chat("t0k3n") { first in
                let ready = try await first.hello()
                await session.set(ready["session"])
                _ = try await first.messages(2)
                async let secondTab: Void = client.chat("t0k3n") { second in
                    _ = try await second.hello(session: await session.token, after: 2)
                    await secondTabReady.fire()
                    #expect(try await second.messages(3).map(\.text) == ["Ada", "Hello Ada!", "Say something"])
                }
                try await secondTabReady.wait()
                try await first.say("Ada")
                #expect(try await first.messages(3).map(\.text) == ["Ada", "Hello Ada!", "Say something"])
                try await secondTab
            }
        }
    }

    /// A socket that falls `LiveForwarder.maxPending` events behind loses the oldest; what they carried is read from
    /// the store before the rest is sent, a deletion among them, though it left no gap in the messages.
    @Test func aSocketThatFellBehindIsToldOfADeletionItsDroppedEventsCarried() async throws {
        let (app, provider, store) = try await TestBaton.appWithFakeDesk(now: ChatwootWebhookRouteTests.fixedNow, wrapStore: { CountingStore($0) })
        let counting = try #require(store as? CountingStore)
        try await app.test(.live) { client in
            let (token, reply) = try await ChatwootWebhookRouteTests.pageThatWasShownAReply(client, provider: provider)
            let last = try #require(reply["id"]?.int)
            // The socket's backlog read waits: every event published meanwhile waits for it, and the oldest are dropped.
            let hold = counting.holdNextMessagesRead(after: last)
            try await client.chat("t0k3n") { chat in
                #expect(try await chat.hello(session: token, after: last)["resumed"] == true)
                try await hold.reached.wait()
                #expect(try await ChatwootWebhookRouteTests.deliver(try ChatwootWebhookRouteTests.deletion(of: "01-"), client).status == .ok)
                for _ in 0..<LiveForwarder.maxPending {
                    #expect(try await ChatwootWebhookRouteTests.deliver(try ChatwootWebhookRouteTests.sample("19-"), client).status == .ok)
                }
                await hold.release.open()
                #expect(try await chat.next("retract") == ["type": "retract", "id": reply["id"] ?? nil], "before the typing left")
                #expect(try await chat.next("typing")["sender"] == "agent")
            }
        }
    }

    @Test func anUnknownEndpointIsNotUpgraded() async throws {
        let app = try await TestBaton.app()
        _ = try await app.test(.live) { client in
            await #expect(throws: (any Error).self) {
                try await client.chat("nope") { _ in }
            }
        }
    }
}

actor SessionBox {
    private var value: String?
    func set(_ json: JSONValue?) { if case .string(let token)? = json { value = token } }
    var token: String? { value }
}

/// A one-shot event another task can await with a deadline.
actor Signal {
    private var fired = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    var hasFired: Bool { fired }
    func fire() {
        fired = true
        waiters.forEach { $0.resume() }
        waiters.removeAll()
    }
    func wait(within timeout: Duration = .seconds(10)) async throws {
        if fired { return }
        let deadline = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.fire()
        }
        defer { deadline.cancel() }
        await withCheckedContinuation { waiters.append($0) }
    }
}
