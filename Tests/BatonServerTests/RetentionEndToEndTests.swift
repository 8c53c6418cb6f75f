import AsyncHTTPClient
import BatonConfig
import BatonCore
import BatonServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization
import Testing

/// What Baton keeps of users, and for how long: sessions idle past `retention.idleSessionDays` are deleted whole, an
/// operator erases one through the admin API, and a user whose session went starts a new one. Over the REST channel,
/// on SQLite, with a clock the test moves.
@Suite("Retention end to end")
struct RetentionEndToEndTests {
    static let day: TimeInterval = 24 * 3600
    static let messagesPath = RESTChannelTests.messagesPath
    static let apiKey = "rest-key-for-retention-tests-0123"
    static var admin: HTTPFields { [.authorization: "Bearer \(TestBaton.adminToken)"] }

    /// A clock that starts now and moves when the test says.
    final class TestClock: Sendable {
        private let offset = Mutex<TimeInterval>(0)
        func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }
        func advance(days: Double) { offset.withLock { $0 += days * RetentionEndToEndTests.day } }
    }

    static func messagesPath(_ session: String) -> String { "/api/v1/endpoints/t0k3n/sessions/\(session)/messages" }

    /// Posts as `user` (by `userId`, so the same user comes back) and returns the session and the texts of the answer.
    static func say(_ text: String, as user: String, _ client: some TestClientProtocol) async throws -> (session: String, texts: [String]) {
        let body = try await client.postJSON(
            messagesPath, ["userId": .string(user), "text": .string(text)], headers: [.authorization: "Bearer \(apiKey)"])
        guard case .string(let session)? = body["sessionId"] else { throw ChatError.unexpected("no sessionId") }
        return (session, body["messages"].list.compactMap(\.text))
    }

    /// Waits for the sweep that deletes `session`, failing after `timeout`.
    static func waitForSweep(deleting session: String, in sweeps: AsyncStream<[SessionID]>, timeout: Duration = .seconds(10)) async throws {
        try await waitFor("a sweep that deleted \(session)", in: sweeps, timeout: timeout) { $0.contains(SessionID(rawValue: session)) }
    }

    /// Waits for an element of `stream` that `matches`, failing after `timeout`.
    static func waitFor<Element: Sendable>(
        _ what: String, in stream: AsyncStream<Element>, timeout: Duration = .seconds(10), _ matches: @escaping @Sendable (Element) -> Bool
    ) async throws {
        let found = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await element in stream where matches(element) { return true }
                return false
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        guard found else { throw ChatError.unexpected("no \(what) within \(timeout)") }
    }

    /// Baton on the REST channel with `retention`, a clock the test moves, and a store that tells each sweep.
    static func clockedApp(_ retention: RetentionSettings) async throws -> (app: some ApplicationProtocol, clock: TestClock, store: CountingStore) {
        let clock = TestClock()
        let path = TestBaton.databasePath()
        var configuration = try TestBaton.configuration(databasePath: path, apiKey: Self.apiKey)
        configuration.retention = retention
        let counting = CountingStore(try await TestBaton.store(path))
        var dependencies = AppDependencies(store: counting, now: { clock.now() })
        dependencies.outboxPollInterval = TestBaton.quietOutbox
        // Sweeps follow one another closely, so the one after the clock moved comes at once.
        dependencies.housekeepingInterval = .milliseconds(50)
        return (try await buildApplication(configuration: configuration, dependencies: dependencies, logger: TestBaton.logger), clock, counting)
    }

    @Test func sessionsIdlePastTheRetentionAreDeletedWholeAndTheirUsersStartOver() async throws {
        let (app, clock, counting) = try await Self.clockedApp(RetentionSettings(idleSessionDays: 30))
        try await app.test(.router) { client in
            let ada = try await Self.say("Ada", as: "crm-ada", client)
            let bob = try await Self.say("Bob", as: "crm-bob", client)
            clock.advance(days: 20)
            _ = try await Self.say("still here", as: "crm-bob", client)
            clock.advance(days: 11)

            // Ada wrote 31 days ago: her session goes. Bob wrote 11 days ago: his stays, every message of it.
            try await Self.waitForSweep(deleting: ada.session, in: counting.idleSweeps)
            try await client.expectError(.get, Self.messagesPath(ada.session), status: .notFound, code: "session_not_found")
            let bobs = try await client.getJSON(Self.messagesPath(bob.session))
            #expect(bobs["messages"].list.compactMap(\.text).contains("still here"))
            #expect(bobs["messages"].list.first?.text == "Welcome!")

            // Ada comes back: a new session, greeted as new, with nothing of the old one.
            let again = try await Self.say("Ada", as: "crm-ada", client)
            #expect(again.session != ada.session)
            #expect(again.texts == ["Welcome!", "Your name?", "Ada", "Hello Ada!", "Say something"])
        }
    }

    /// A user who keeps coming back is never idle: with `retention.messageDays` their old messages go all the same,
    /// while the session (what the flow knows of them) stays and the conversation goes on.
    @Test func messagesPastTheirRetentionGoFromASessionStillInUse() async throws {
        let (app, clock, counting) = try await Self.clockedApp(RetentionSettings(idleSessionDays: 365, messageDays: 30))
        try await app.test(.router) { client in
            let first = try await Self.say("Ada", as: "crm-ada", client)
            // The sweeps come every 50 ms here; the messages' one, which reads every old session's messages, ran at
            // start and waits for the clock to move a day.
            var sweeps = counting.idleSweeps.makeAsyncIterator()
            for _ in 0..<3 { _ = await sweeps.next() }
            #expect(counting.oldMessageSweepCalls == 1)
            clock.advance(days: 20)
            let second = try await Self.say("still here", as: "crm-ada", client)
            clock.advance(days: 11)

            // The first visit's messages are 31 days old; the second's 11.
            try await Self.waitFor("a sweep of old messages", in: counting.messageSweeps) { $0.messages > 0 }
            let kept = try await client.getJSON(Self.messagesPath(first.session))
            #expect(kept["messages"].list.compactMap(\.text) == second.texts)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("baton_messages_deleted_total \(first.texts.count)"))

            // The same session, and the flow goes on where it was: no greeting as for a new user.
            let third = try await Self.say("once more", as: "crm-ada", client)
            #expect(third.session == first.session && second.session == first.session)
            #expect(!third.texts.contains("Welcome!"))
        }
    }

    @Test func anOperatorErasesASessionButNotWhileItsHandoverIsInProgress() async throws {
        let (app, _, _) = try await TestBaton.appWithFakeDesk()
        try await app.test(.router) { client in
            let first = try await client.postJSON(Self.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no sessionId") }
            let erase = "/admin/sessions/\(session)"
            try await client.expectError(.delete, erase, status: .unauthorized, code: "unauthorized")
            try await client.expectError(.delete, erase, headers: [.authorization: "Bearer wrong-token-0123456789"], status: .unauthorized, code: "unauthorized")
            #expect(try await client.getJSON(Self.messagesPath(session))["messages"].list.count == 5, "a wrong key erases nothing")

            _ = try await client.postJSON(Self.messagesPath, ["sessionId": .string(session), "text": "agent"])
            try await client.expectError(.delete, erase, headers: Self.admin, status: .conflict, code: "handover_in_progress")
            #expect(try await client.getJSON(Self.messagesPath(session))["messages"].list.count > 5)

            let other = try await client.postJSON(Self.messagesPath, ["text": "Bob"])
            guard case .string(let otherSession)? = other["sessionId"] else { throw ChatError.unexpected("no sessionId") }
            let response = try await client.execute(uri: "/admin/sessions/\(otherSession)", method: .delete, headers: Self.admin)
            #expect(response.status == .noContent)
            // By the user's id too.
            let third = try await client.postJSON(Self.messagesPath, ["text": "Cy"])
            let thirdUser = try #require(third["userId"]?.stringText)
            let byUser = try await client.execute(uri: "/admin/sessions?endpoint=test&userId=\(thirdUser)", method: .delete, headers: Self.admin)
            #expect(byUser.status == .noContent)
            try await client.expectError(.get, Self.messagesPath(try #require(third["sessionId"]?.stringText)), status: .notFound, code: "session_not_found")
            try await client.expectError(.get, Self.messagesPath(otherSession), status: .notFound, code: "session_not_found")
            try await client.expectError(
                .post, Self.messagesPath, body: ["sessionId": .string(otherSession), "text": "hello?"], status: .notFound, code: "session_not_found")
            try await client.expectError(.delete, "/admin/sessions/\(otherSession)", headers: Self.admin, status: .notFound, code: "session_not_found")
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"baton_sessions_deleted_total{reason="erasure"} 2"#))
        }
    }

    /// A back end that addresses its user by `userId` just as their session is deleted (between Baton's look-up and
    /// its write) has the message taken in a new session: it named the user, not the session.
    @Test func aBackEndAddressingItsUserAsTheirSessionIsDeletedGetsANewOne() async throws {
        let path = TestBaton.databasePath()
        let configuration = try TestBaton.configuration(databasePath: path, apiKey: Self.apiKey)
        let counting = CountingStore(try await TestBaton.store(path))
        var dependencies = AppDependencies(store: counting)
        dependencies.outboxPollInterval = TestBaton.quietOutbox
        let app = try await buildApplication(configuration: configuration, dependencies: dependencies, logger: TestBaton.logger)
        try await app.test(.router) { client in
            let first = try await Self.say("Ada", as: "crm-erased", client)
            counting.onNextFind { session in
                let deletion = try await counting.base.deleteSession(id: session.id)
                #expect(deletion == .deleted)
            }
            let again = try await Self.say("Ada", as: "crm-erased", client)
            #expect(again.session != first.session)
            #expect(again.texts == ["Welcome!", "Your name?", "Ada", "Hello Ada!", "Say something"], "greeted as new, the message answered")
        }
    }

    /// The user asks their app to forget the conversation: the REST channel erases it with the session id, which is
    /// the credential as for reading it, but not while a handover runs.
    @Test func aUsersAppErasesTheirConversationThroughTheRESTChannel() async throws {
        let (app, _, _) = try await TestBaton.appWithFakeDesk()
        try await app.test(.router) { client in
            let first = try await client.postJSON(Self.messagesPath, ["text": "Ada"])
            let session = try #require(first["sessionId"]?.stringText)
            let resource = "/api/v1/endpoints/t0k3n/sessions/\(session)"
            #expect(try await client.execute(uri: resource, method: .delete).status == .noContent)
            try await client.expectError(.get, Self.messagesPath(session), status: .notFound, code: "session_not_found")
            try await client.expectError(.delete, resource, status: .notFound, code: "session_not_found")

            let other = try await client.postJSON(Self.messagesPath, ["text": "Bob"])
            let busy = try #require(other["sessionId"]?.stringText)
            _ = try await client.postJSON(Self.messagesPath, ["sessionId": .string(busy), "text": "agent"])
            try await client.expectError(.delete, "/api/v1/endpoints/t0k3n/sessions/\(busy)", status: .conflict, code: "handover_in_progress")
            #expect(try await client.getJSON(Self.messagesPath(busy))["messages"].list.isEmpty == false, "kept while the agents have the user")
        }
    }

    /// A user asks for their data: the operator reads everything Baton keeps of the session, behind the admin token.
    @Test func anOperatorReadsEverythingASessionHolds() async throws {
        let (app, _, _) = try await TestBaton.appWithFakeDesk()
        try await app.test(.router) { client in
            let first = try await client.postJSON(Self.messagesPath, ["text": "Ada"])
            let session = try #require(first["sessionId"]?.stringText)
            try await client.expectError(.get, "/admin/sessions/\(session)", status: .unauthorized, code: "unauthorized")
            try await client.expectError(.get, "/admin/sessions/s_00000000000000000000000000000000", headers: Self.admin, status: .notFound, code: "session_not_found")

            let export = try await client.getJSON("/admin/sessions/\(session)", headers: Self.admin)
            #expect(export["sessionId"] == .string(session) && export["endpoint"] == "test" && export["channel"] == "rest")
            #expect(export["userId"]?.stringText?.hasPrefix("rest-") == true)
            #expect(export["context"]?["name"] == "Ada", "what the flow stored of the user")
            #expect(export["messages"].list.map(\.text) == ["Welcome!", "Your name?", "Ada", "Hello Ada!", "Say something"])
            #expect(export["messages"].list.map { $0["sender"] } == ["bot", "bot", "user", "bot", "bot"])
            #expect(export["handover"] == nil, "no handover yet")
            _ = try await client.postJSON(Self.messagesPath, ["sessionId": .string(session), "text": "agent"])
            #expect(try await client.getJSON("/admin/sessions/\(session)", headers: Self.admin)["handover"]?["number"] == 1)

            // By the user's id on the endpoint, what an operator knows of a user who asks.
            let user = try #require(export["userId"]?.stringText)
            let byUser = try await client.getJSON("/admin/sessions?endpoint=test&userId=\(user)", headers: Self.admin)
            #expect(byUser["sessionId"] == .string(session))
            try await client.expectError(.get, "/admin/sessions?endpoint=test", headers: Self.admin, status: .badRequest, code: "invalid_query")
            try await client.expectError(.get, "/admin/sessions?endpoint=test&userId=nobody", headers: Self.admin, status: .notFound, code: "session_not_found")
            try await client.expectError(.get, "/admin/sessions?endpoint=test&userId=\(user)", status: .unauthorized, code: "unauthorized")
        }
    }

    /// The page stays open while an operator erases its session: it is told at once (`session_not_found`), its next
    /// message is refused the same way, and the page's reconnect (a `hello` with the old token) opens a new session,
    /// where the message goes.
    @Test func aWebchatWhoseSessionWasErasedStartsANewOne() async throws {
        let (app, _, _) = try await TestBaton.appWithFakeDesk()
        try await app.test(.live) { client in
            let old = SessionBox()
            try await client.chat("t0k3n") { chat in
                let ready = try await chat.hello()
                await old.set(ready["session"])
                _ = try await chat.messages(2)
                try await chat.say("Ada")
                _ = try await chat.messages(3)
                let erased = try await client.execute(uri: "/admin/sessions/\(await old.token ?? "")", method: .delete, headers: Self.admin)
                #expect(erased.status == .noContent)
                #expect(try await chat.next("error")["code"] == "session_not_found", "told before writing anything")
                try await chat.say("are you there?", clientID: "c2")
                #expect(try await chat.next("error")["code"] == "session_not_found")
            }
            try await client.chat("t0k3n") { chat in
                let again = try await chat.hello(session: await old.token, after: 5)
                #expect(again["resumed"] == false)
                #expect(again["session"] != .string(await old.token ?? ""))
                #expect(try await chat.messages(2).map(\.text) == ["Welcome!", "Your name?"], "a new conversation, from its start")
                try await chat.say("are you there?", clientID: "c2")
                let stored = try await chat.messages(1)
                #expect(stored.map(\.text) == ["are you there?"] && stored.first?["sender"] == "user", "stored in the new session")
            }
        }
    }

    /// A webchat user deletes their conversation from the page: it is gone for the admin API too, and the page's
    /// next `hello` opens a new session. Not while an agent has it, and not where the endpoint does not offer it.
    @Test func aWebchatUserDeletesTheirConversationButNotWhileAnAgentHasIt() async throws {
        let (app, _, _) = try await TestBaton.appWithFakeDesk()
        try await app.test(.live) { client in
            let old = SessionBox()
            try await client.chat("t0k3n") { chat in
                let ready = try await chat.hello()
                #expect(ready["canDelete"] == true)
                await old.set(ready["session"])
                _ = try await chat.messages(2)
                try await chat.say("Ada")
                _ = try await chat.messages(3)
                // Another page on the same session (a second tab) is told at once, without writing anything.
                try await client.chat("t0k3n") { other in
                    #expect(try await other.hello(session: await old.token, after: 5)["resumed"] == true)
                    try await chat.send(["type": "delete"])
                    // The deleting page hears both, in either order: its answer, and what every page of the session is told.
                    let answers = [try await chat.frame(), try await chat.frame()]
                    #expect(Set(answers.compactMap { $0["type"]?.stringText }) == ["deleted", "error"])
                    #expect(answers.contains { $0["code"] == "session_not_found" })
                    #expect(try await other.next("error")["code"] == "session_not_found")
                }
            }
            let token = try #require(await old.token)
            try await client.expectError(.get, "/admin/sessions/\(token)", headers: Self.admin, status: .notFound, code: "session_not_found")
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"baton_sessions_deleted_total{reason="erasure"} 1"#))
            try await client.chat("t0k3n") { chat in
                let again = try await chat.hello(session: token, after: 5)
                #expect(again["resumed"] == false && again["session"] != .string(token))
                #expect(try await chat.messages(2).map(\.text) == ["Welcome!", "Your name?"], "a new conversation, from its start")

                // An agent has the new one: it stays, every message of it.
                try await chat.say("agent")
                try await chat.send(["type": "delete"])
                #expect(try await chat.first("error")["code"] == "handover_in_progress")
                let kept = try await client.getJSON("/admin/sessions/\((again["session"]?.stringText) ?? "")", headers: Self.admin)
                #expect(kept["messages"].list.compactMap(\.text).contains("agent"))
            }
        }
    }

    /// A REST client long-polling a session that is erased meanwhile is answered at once, 404, not after its wait.
    @Test func aLongPollOnAnErasedSessionIsAnsweredAtOnce() async throws {
        let capture = CountingStoreCapture()
        let (app, _, _) = try await TestBaton.appWithFakeDesk(wrapStore: capture.wrap)
        let counting = try capture.store()
        try await app.test(.live) { client in
            let first = try await client.postJSON(Self.messagesPath, ["text": "Ada"])
            let session = try #require(first["sessionId"]?.stringText)
            let ids = first["messages"].list.compactMap { $0["id"]?.int }
            let last = try #require(ids.max())
            let (answers, answer) = AsyncStream.makeStream(of: HTTPResponse.Status?.self)
            let readsBefore = counting.sessionReadCount
            // On a connection of its own: the test client's one would hold the erasure behind the poll.
            let url = "http://127.0.0.1:\(client.port ?? 0)\(Self.messagesPath(session))?after=\(last)&wait=30"
            let poll = Task {
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(40))
                answer.yield(HTTPResponse.Status(code: Int(response.status.code)))
                return String(buffer: try await response.body.collect(upTo: 1 << 16))
            }
            let timeout = Task {
                try? await Task.sleep(for: .seconds(10))
                answer.yield(nil)
            }
            // The poll is waiting once it read the session twice: to find it, then to see nothing newer is stored
            // (after it began listening).
            let deadline = ContinuousClock.now + .seconds(10)
            while counting.sessionReadCount < readsBefore + 2 {
                guard ContinuousClock.now < deadline else { throw ChatError.timedOut(waitingFor: "the long poll to wait") }
                await Task.yield()
            }
            #expect(try await client.execute(uri: "/admin/sessions/\(session)", method: .delete, headers: Self.admin).status == .noContent)
            var iterator = answers.makeAsyncIterator()
            let status = await iterator.next() ?? nil
            timeout.cancel()
            #expect(status == .notFound, "answered well before its 30 s wait")
            #expect(try await poll.value.contains("session_not_found"))
        }
    }

    @Test func anEndpointThatDoesNotOfferDeletionRefusesIt() async throws {
        let path = TestBaton.databasePath()
        var configuration = try TestBaton.configuration(databasePath: path)
        configuration.endpoints[0].webchat.userCanDelete = false
        var dependencies = AppDependencies(store: try await TestBaton.store(path))
        dependencies.outboxPollInterval = TestBaton.quietOutbox
        let app = try await buildApplication(configuration: configuration, dependencies: dependencies, logger: TestBaton.logger)
        try await app.test(.live) { client in
            try await client.chat("t0k3n") { chat in
                let ready = try await chat.hello()
                #expect(ready["canDelete"] == false)
                _ = try await chat.messages(2)
                try await chat.send(["type": "delete"])
                #expect(try await chat.next("error")["code"] == "not_allowed")
                let session = try #require(ready["session"]?.stringText)
                let kept = try await client.getJSON("/admin/sessions/\(session)", headers: Self.admin)
                #expect(kept["messages"].list.count == 2)
            }
        }
    }

    /// An agent's reply older than the retention, delivered again after the sweep deleted it (a late redelivery, a
    /// `message_updated`, a reconciliation reading the conversation from its start), is not brought back to the
    /// user as new: its id went with it, so only its age tells. Against the Chatwoot stand-in.
    @Test func anAgentsReplyPastTheRetentionIsNotBroughtBackByALateDelivery() async throws {
        let clock = TestClock()
        let chatwoot = try await StandInHarness.start()
        let flow = """
            name: Retention
            nodes:
              - id: loop
                question: { text: "Say something", store: last }
              - handover: { inboxId: \(chatwoot.supportInbox), acceptedMessage: "Queued." }
              - say: "Back with the bot."
              - goto: loop
            """
        let capture = CountingStoreCapture()
        let app = try await HandoverEndToEndTests.app(
            chatwoot, flow: flow, retention: RetentionSettings(messageDays: 30), now: { clock.now() }, wrapStore: capture.wrap)
        let counting = try capture.store()
        defer { Task { await chatwoot.shutdown() } }
        try await app.test(.live) { client in
            await chatwoot.pointWebhooks(to: "http://127.0.0.1:\(client.port ?? 0)/handover/chatwoot")
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "my invoice"])
            let session = try #require(first["sessionId"]?.stringText)
            let conversation = try await chatwoot.waitForConversation(session: session)
            // The history in the conversation first: a resolve before it would be reopened by Baton's own posts.
            _ = try await chatwoot.waitForIncoming(conversation, including: ["my invoice"])
            let reply = try await chatwoot.reply(conversation, "An old answer.")
            _ = try await client.waitForText("An old answer.", session: session)
            let delivered = try await chatwoot.deliveredWebhook(ofMessage: reply)
            try await chatwoot.resolve(conversation)
            _ = try await client.waitForText("Back with the bot.", session: session)

            clock.advance(days: 40)
            try await Self.waitFor("a sweep of old messages", in: counting.messageSweeps) { $0.messages > 0 }
            let texts = { try await client.getJSON(Self.messagesPath(session))["messages"].list.compactMap(\.text) }
            #expect(try await texts().isEmpty, "every message was older than the retention")

            // Chatwoot delivers the reply again, as a late redelivery would, signed now.
            let now = Int(clock.now().timeIntervalSince1970)
            var headers: HTTPFields = [.contentType: "application/json", HTTPField.Name("X-Chatwoot-Delivery")!: UUID().uuidString]
            headers[HTTPField.Name(WebhookSignature.signatureHeader)!] = WebhookSignature(secret: chatwoot.secret).sign(body: delivered, timestamp: now)
            headers[HTTPField.Name(WebhookSignature.timestampHeader)!] = String(now)
            let answer = try await client.execute(uri: "/handover/chatwoot", method: .post, headers: headers, body: ByteBuffer(data: delivered))
            #expect(answer.status == .ok)
            #expect(try await !texts().contains("An old answer."), "an old reply is not shown again as new")
        }
    }
}
