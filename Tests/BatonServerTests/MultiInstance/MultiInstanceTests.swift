import BatonCore
import Foundation
import Synchronization
import Testing

/// Two real `baton` processes on loopback share one fresh PostgreSQL database (issue 6): a webhook that lands on
/// one reaches the user whose socket is on the other, the outbox is shared without double sends, an instance
/// killed mid-work loses nothing, and instances starting together make one Chatwoot agent bot.
@Suite(
    "Multi-instance: real processes on one PostgreSQL", .serialized, .timeLimit(.minutes(3)),
    .enabled(if: !ScratchDatabase.isSkipped, "BATON_TEST_SKIP_POSTGRES=1"))
struct MultiInstanceTests {
    @Test func anAgentReplyLandingOnOneInstanceReachesTheSocketOnTheOther() async throws {
        try await MultiInstanceRig.with { rig in
            let chatwoot = rig.chatwoot
            let a = try await rig.launch(try await rig.instance("a"))
            let b = try await rig.launch(try await rig.instance("b"))
            // Chatwoot talks to A only; the user talks to B only.
            await chatwoot.pointWebhooks(to: a.baseURL + "/handover/chatwoot")
            let question = "A question typed on B"
            let conversationBox = Box<Int?>(nil)
            try await b.chat { chat in
                let session = try await chat.newVisitorInActiveHandover()
                let conversation = try await chatwoot.waitForConversation(session: session)
                conversationBox.value.withLock { $0 = conversation }

                let reply = try await chatwoot.reply(conversation, "Hello from an agent, through A")
                let webhook = try await chatwoot.waitForWebhook(aboutMessage: reply)
                #expect(webhook.url.hasPrefix(a.baseURL), "the agent's webhook went to A, not B: \(webhook.url)")
                #expect(webhook.succeeded, "A took the webhook")
                try await chat.until("the reply A took, on B's socket", within: .seconds(5)) {
                    Chat.isMessage($0, from: "agent", "Hello from an agent, through A")
                }

                try await chat.say(question, clientID: "c-question")
                try await chat.until("the ack") { $0["type"] == "ack" && $0["clientMessageId"] == "c-question" }
            }
            let conversation = try #require(conversationBox.value.withLock { $0 })
            _ = try await chatwoot.waitForIncoming(conversation, including: [question])
            try await chatwoot.waitForRequestsIdle()
            let copies = await chatwoot.incomingMessages(conversation).filter { $0.content == question }
            #expect(copies.count == 1, "the user's message reached Chatwoot \(copies.count) times")
            #expect(await chatwoot.specViolations() == [])
        }
    }

    static let sessions = 8
    static let lines = 6

    @Test func bothInstancesCarryTheOutboxAndNothingIsSentTwice() async throws {
        try await MultiInstanceRig.with { rig in
            let chatwoot = rig.chatwoot
            let configs = [try await rig.instance("a"), try await rig.instance("b")]
            let instances = [try await rig.launch(configs[0]), try await rig.launch(configs[1])]
            await chatwoot.pointWebhooks(to: instances[0].baseURL + "/handover/chatwoot")

            try await Self.usersWriteToBothInTurn(Self.sessions, instances: instances, chatwoot: chatwoot, test: "two-instances-round-robin")
            let posters = Set(await chatwoot.messagePosters())
            #expect(posters.contains(configs[0].tokenOwner), "A carried none of the outbox")
            #expect(posters.contains(configs[1].tokenOwner), "B carried none of the outbox")
            #expect(await chatwoot.specViolations() == [])
        }
    }

    /// Behind PgBouncer in transaction mode (two server connections for both processes' twelve), with only the
    /// hub's listener straight to PostgreSQL: migrations, the outbox's claims and leases, the per-session lock and
    /// the rate limit all hold, and events still cross instances.
    @Test(.enabled(if: PgBouncer.executable != nil, "pgbouncer is not installed"))
    func instancesBehindPgBouncerInTransactionModeLoseNothing() async throws {
        // Stopped after the rig's processes: without it they could not end their work cleanly.
        let bouncer = try await PgBouncer.start(before: try ScratchDatabase.server.get().url, poolSize: 2)
        defer { bouncer.stop() }
        try await MultiInstanceRig.with { rig in
            let chatwoot = rig.chatwoot
            let configs = [try await rig.instance("a", through: bouncer), try await rig.instance("b", through: bouncer)]
            async let startA = rig.launch(configs[0])
            async let startB = rig.launch(configs[1])
            let instances = try await [startA, startB]
            await chatwoot.pointWebhooks(to: instances[0].baseURL + "/handover/chatwoot")

            // A webchat user on B, whose agent's reply lands on A: the event crosses through the direct listener.
            try await instances[1].chat { chat in
                let session = try await chat.newVisitorInActiveHandover()
                let conversation = try await chatwoot.waitForConversation(session: session)
                try await chatwoot.reply(conversation, "Through the pooler")
                try await chat.until("the reply A took, on B's socket", within: .seconds(10)) { Chat.isMessage($0, from: "agent", "Through the pooler") }
            }
            try await Self.usersWriteToBothInTurn(4, instances: instances, chatwoot: chatwoot, test: "two-instances-pgbouncer")
            // Both processes' twelve pooled connections went through PgBouncer's two to PostgreSQL.
            #expect((1...2).contains(bouncer.serverConnections(to: rig.database.name)))
        }
    }

    /// `baton doctor` finds the misconfiguration that would make events silently stay on their instance: the
    /// listener going through PgBouncer in transaction mode too. With `listenURL` set, the same check passes.
    @Test(.enabled(if: PgBouncer.executable != nil, "pgbouncer is not installed"))
    func theDoctorTellsWhenTheListenerGoesThroughAPoolerInTransactionMode() async throws {
        let bouncer = try await PgBouncer.start(before: try ScratchDatabase.server.get().url, poolSize: 2)
        defer { bouncer.stop() }
        try await MultiInstanceRig.with { rig in
            // The schema first (doctor does not migrate).
            let migrator = try await rig.launch(try await rig.instance("migrator"))
            await migrator.stop()
            for (listenDirectly, expected) in [(false, "FAILED   hub relay"), (true, "ok       hub relay")] {
                let config = try await rig.instance(listenDirectly ? "direct" : "pooled", through: bouncer, listenDirectly: listenDirectly)
                let (_, output) = try await SetupCommandEndToEndTests.baton(["doctor", "--config", config.config.path])
                let line = output.split(separator: "\n").first { $0.contains("hub relay") }.map(String.init) ?? "no hub relay line in:\n\(output)"
                #expect(line.contains(expected), "\(line)")
                if !listenDirectly { #expect(output.contains("listenURL"), "the fix names listenURL: \(output)") }
            }
        }
    }

    /// A database that went away (here its pooler, killed) must not keep an instance from stopping: its pool waits for
    /// a connection for good, so SIGTERM waits 8 s for the work in hand and then cancels what is left.
    @Test(.enabled(if: PgBouncer.executable != nil, "pgbouncer is not installed"))
    func anInstanceWhoseDatabaseWentAwayStillStops() async throws {
        let bouncer = try await PgBouncer.start(before: try ScratchDatabase.server.get().url, poolSize: 2)
        defer { bouncer.stop() }
        try await MultiInstanceRig.with { rig in
            let instance = try await rig.launch(try await rig.instance("a", through: bouncer))
            _ = try await instance.newUserInHandover()
            bouncer.stop()
            // About 10 s on a quiet machine, 16 s under the whole suite's load; before, it never stopped.
            await instance.stop(within: .seconds(30))
        }
    }

    /// `users` REST users start on the two instances in turn and hand over; then all write `lines` lines at once,
    /// each user's lines to the instances in turn (each once the previous one was stored). Every line must reach
    /// Chatwoot once, in order (see `expectEachLineOnceInOrder`).
    static func usersWriteToBothInTurn(_ users: Int, instances: [BatonProcess], chatwoot: StandInHarness, test: String) async throws {
        var sessions: [String] = []
        for index in 0..<users { sessions.append(try await instances[index % 2].newUserInHandover()) }
        var conversations: [Int] = []
        for session in sessions { conversations.append(try await chatwoot.waitForConversation(session: session)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, session) in sessions.enumerated() {
                group.addTask {
                    for line in 0..<Self.lines {
                        try await instances[(index + line) % 2].say("u\(index) line \(line)", session: session, clientID: "u\(index)-\(line)")
                    }
                }
            }
            try await group.waitForAll()
        }
        for (index, conversation) in conversations.enumerated() {
            _ = try await chatwoot.waitForIncoming(conversation, including: (0..<Self.lines).map { "u\(index) line \($0)" })
        }
        try await chatwoot.waitForRequestsIdle()
        let sent = conversations.indices.map { index in (0..<Self.lines).map { "u\(index) line \($0)" } }
        await expectEachLineOnceInOrder(test, sent: sent, conversations: conversations, chatwoot: chatwoot)
    }

    /// User `index`'s lines (`u<index> line …`) are in conversation `index` once each and in order (recorded in
    /// the reliability ledger), and no Baton message reached Chatwoot twice (by `source_id`).
    static func expectEachLineOnceInOrder(_ test: String, sent: [[String]], conversations: [Int], chatwoot: StandInHarness) async {
        var total = Delivery(test: test)
        var sourceIDs: [String?] = []
        for (index, conversation) in conversations.enumerated() {
            let incoming = await chatwoot.incomingMessages(conversation)
            sourceIDs += incoming.map(\.sourceID)
            total = total + Delivery.compare(test: test, sent: sent[index], received: incoming.compactMap(\.content).filter { $0.hasPrefix("u\(index) line") })
        }
        total.expectPerfect()
        #expect(Set(sourceIDs).count == sourceIDs.count, "a Baton message reached Chatwoot twice")
    }

    static let crashSessions = 6
    static let crashLines = 5

    @Test func workClaimedByOneOfThreeKilledInstancesIsTakenOverWithinFiveSecondsAndNeverSentTwice() async throws {
        try await MultiInstanceRig.with { rig in
            let chatwoot = rig.chatwoot
            // Baton's default lease (4 s, renewed while a job runs); the timeout is longer than Chatwoot's slowness below.
            let configA = try await rig.instance("a", requestTimeoutSeconds: 10)
            let configB = try await rig.instance("b", requestTimeoutSeconds: 10)
            let configC = try await rig.instance("c", requestTimeoutSeconds: 10)
            let a = try await rig.launch(configA)
            let b = try await rig.launch(configB)
            let c = try await rig.launch(configC)
            await chatwoot.pointWebhooks(to: a.baseURL + "/handover/chatwoot")

            var users: [(session: String, conversation: Int)] = []
            for _ in 0..<Self.crashSessions {
                let session = try await a.newUserInHandover()
                users.append((session, try await chatwoot.waitForConversation(session: session)))
            }
            // The transcripts so far are in Chatwoot before it slows down.
            for user in users { _ = try await chatwoot.waitForIncoming(user.conversation, including: ["agent"]) }

            // B and C are frozen, so the work A is given now is A's alone; every message Chatwoot is sent takes 2 s.
            b.pause()
            c.pause()
            chatwoot.slowMessagePosts(by: .seconds(2))
            let allSent = (0..<Self.crashSessions).map { index in (0..<Self.crashLines).map { "u\(index) line \($0)" } }
            for line in 0..<Self.crashLines {
                for (index, user) in users.enumerated() {
                    try await a.say(allSent[index][line], session: user.session, clientID: "u\(index)-\(line)")
                }
            }
            // A acknowledged every line and has a post of each conversation on its way to Chatwoot: it dies now.
            let inFlightAtKill = try await chatwoot.waitForMessagePostsInFlight(Self.crashSessions)
            let heldByA = await chatwoot.conversationPaths(of: inFlightAtKill)
            var deliveredBeforeKill = 0
            for (index, user) in users.enumerated() {
                deliveredBeforeKill += Set(await chatwoot.incomingTexts(user.conversation)).intersection(allSent[index]).count
            }
            a.kill()
            let killedAt = ContinuousClock.now
            let killedAtWallClock = Date()
            #expect(deliveredBeforeKill < Self.crashSessions * Self.crashLines, "A had nothing left to do when it died")
            // From now on a message takes 6 s, longer than the lease: only B's and C's heartbeats keep one from starting
            // a job the other still runs (which would post its line twice).
            chatwoot.slowMessagePosts(by: .seconds(6))
            b.resume()
            c.resume()

            // Agents answer meanwhile; those webhooks go to the dead A and are lost. Then Chatwoot is pointed at B.
            for (index, user) in users.enumerated() { try await chatwoot.reply(user.conversation, "agent \(index) while A is dead") }
            await chatwoot.pointWebhooks(to: b.baseURL + "/handover/chatwoot")

            // B and C deliver everything A acknowledged, each message once, in order.
            for (index, user) in users.enumerated() {
                _ = try await chatwoot.waitForIncoming(user.conversation, including: allSent[index], timeout: .seconds(120))
            }
            let allIn = ContinuousClock.now - killedAt
            try await chatwoot.waitForRequestsIdle()
            await Self.expectEachLineOnceInOrder("instance-killed-mid-work", sent: allSent, conversations: users.map(\.conversation), chatwoot: chatwoot)
            // Takeover: the first call another instance made for a conversation whose job A held when it died.
            let takeover = try #require(
                await chatwoot.firstCall(after: killedAtWallClock, onAnyOf: heldByA, byAnyOf: [configB.tokenOwner, configC.tokenOwner]),
                "nobody took A's jobs over")
            #expect(takeover <= .seconds(5), "A's jobs waited \(takeover) for another instance")
            // The posts in flight when A died were A's (the stand-in answered them, to nobody), and B and C finished the work.
            #expect(await chatwoot.tokenOwners(of: inFlightAtKill).contains(configA.tokenOwner))
            let posters = Set(await chatwoot.messagePosters().compactMap { $0 })
            #expect(posters.contains(configB.tokenOwner) || posters.contains(configC.tokenOwner), "no takeover happened: \(posters)")
            print("multi-instance: \(deliveredBeforeKill) of \(Self.crashSessions * Self.crashLines) lines in Chatwoot when A was killed; A's jobs taken over after \(takeover); all in after \(allIn)")

            // The replies whose webhooks went to the dead A reach the users through B (reconciled when they come back).
            for (index, user) in users.enumerated() {
                try await b.chat { chat in
                    try await chat.send(["type": "hello", "session": .string(user.session), "after": 0])
                    let ready = try await chat.until("ready") { $0["type"] == "ready" }
                    #expect(ready["resumed"] == true)
                    let replies = try await chat.agentTexts(including: ["agent \(index) while A is dead"])
                    #expect(replies == ["agent \(index) while A is dead"])
                }
            }
        }
    }

    @Test func aSessionsMessageRateHoldsAcrossInstances() async throws {
        try await MultiInstanceRig.with { rig in
            // 20 a minute, with a burst of 5: one token back every 3 s.
            let a = try await rig.launch(try await rig.instance("a", limits: "{ messagesPerMinute: 20 }"))
            let b = try await rig.launch(try await rig.instance("b", limits: "{ messagesPerMinute: 20 }"))
            let session = try await a.say("hello")
            // A client whose requests a load balancer spreads over both instances, as fast as it can.
            var statuses: [Int] = []
            for index in 0..<9 {
                let body: JSONValue = ["text": .string("m\(index)"), "sessionId": .string(session)]
                statuses.append(try await (index.isMultiple(of: 2) ? b : a).post("/api/v1/endpoints/t0k3n/messages", json: body.jsonText).status)
            }
            // Per instance that would be 5 each; together the session gets its 5 (one more if a token came back).
            let accepted = 1 + statuses.filter { $0 == 200 }.count
            #expect((5...6).contains(accepted), "\(statuses)")
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 429 }, "\(statuses)")
        }
    }

    @Test func instancesStartingTogetherMakeOneAgentBot() async throws {
        try await MultiInstanceRig.with { rig in
            let chatwoot = rig.chatwoot
            let configA = try await rig.instance("a")
            let configB = try await rig.instance("b")
            // A Chatwoot slow to create a bot widens the moment in which the other instance looks for it and finds none.
            chatwoot.slow("POST", "/api/v1/accounts/*/agent_bots", by: .milliseconds(800), times: 4)
            async let startA = rig.launch(configA)
            async let startB = rig.launch(configB)
            let (a, b) = try await (startA, startB)
            await chatwoot.pointWebhooks(to: a.baseURL + "/handover/chatwoot")

            // Each process posts the bot's turns of its handover's history with the bot's token: both must use the same bot.
            let botPosters = Box<[String]>([])
            for process in [a, b] {
                try await process.chat { chat in
                    let session = try await chat.newVisitorInActiveHandover()
                    let conversation = try await chatwoot.waitForConversation(session: session)
                    let poster = try await chatwoot.waitForBotPost(in: conversation)
                    botPosters.value.withLock { $0.append(poster) }
                }
            }
            let bots = await chatwoot.agentBots().filter { $0.name == MultiInstanceRig.botName }
            #expect(bots.count == 1, "bots made: \(bots.map(\.id))")
            if let bot = bots.first { #expect(botPosters.value.withLock { $0 } == ["AgentBot \(bot.id)", "AgentBot \(bot.id)"]) }

            // Nothing still on its way makes a second one.
            await a.stop()
            await b.stop()
            try await chatwoot.waitForRequestsIdle()
            #expect(await chatwoot.agentBots().filter { $0.name == MultiInstanceRig.botName }.count == 1)
        }
    }

    /// Agents who wrote while every instance was down (their webhooks lost) reach the users once instances start
    /// again, and two instances starting together share the reading: Chatwoot is asked for each conversation once,
    /// not once per instance.
    @Test func instancesStartingTogetherReadEachConversationOnceAndDeliverWhatAgentsWroteMeanwhile() async throws {
        try await MultiInstanceRig.with { rig in
            let chatwoot = rig.chatwoot
            let first = try await rig.launch(try await rig.instance("first"))
            await chatwoot.pointWebhooks(to: first.baseURL + "/handover/chatwoot")
            var sessions: [String: Int] = [:]
            for _ in 0..<6 {
                let session = try await first.newUserInHandover()
                let conversation = try await chatwoot.waitForConversation(session: session)
                // The history is posted once the conversation is stored with the session: the handover is active.
                _ = try await chatwoot.waitForIncoming(conversation, including: ["agent"])
                sessions[session] = conversation
            }
            await first.stop()
            for conversation in sessions.values { try await chatwoot.reply(conversation, "written while Baton was down") }

            // Processes started together on a busy machine may come up seconds apart: a wide window to start in.
            let json = "{ level: info, format: json }"
            let configB = try await rig.instance("b", startupReconcileDelaySeconds: 6, log: json)
            let configC = try await rig.instance("c", startupReconcileDelaySeconds: 6, log: json)
            let started = Date()
            async let startB = rig.launch(configB)
            async let startC = rig.launch(configC)
            let (b, c) = try await (startB, startC)
            var readByEach: [Int] = []
            for process in [b, c] {
                let done = try #require(await process.waitForLine { $0.contains("start-up reconciliation done") }, "\(process.baseURL) finished its part")
                readByEach.append(try JSONValue(jsonText: done)["sessions"].flatMap { if case .string(let count) = $0 { Int(count) } else { nil } } ?? -1)
            }
            #expect(readByEach.reduce(0, +) == 6, "each session read by one of them: \(readByEach)")
            let owners: Set<String> = [configB.tokenOwner, configC.tokenOwner]
            for (session, conversation) in sessions {
                let readers = await chatwoot.messageReaders(of: conversation, after: started, amongst: owners)
                #expect(readers.count == 1, "conversation \(conversation) read by \(readers)")
                let texts = try await b.waitForText("written while Baton was down", session: session)
                #expect(texts.filter { $0 == "written while Baton was down" }.count == 1)
            }
        }
    }

    /// Handover timers run once however many instances share the database: every user gets each reminder once and
    /// one close, and Chatwoot gets one closing note and one resolve per conversation.
    @Test func handoverTimersRunOnceAcrossInstances() async throws {
        try await MultiInstanceRig.with { rig in
            let chatwoot = rig.chatwoot
            let timers = ["handoverDefaults: { reminder: { everySeconds: 1, times: 2 }, inactivity: { agentSeconds: 4 } }"]
            let instances = [
                try await rig.launch(try await rig.instance("a", endpointExtra: timers)), try await rig.launch(try await rig.instance("b", endpointExtra: timers)),
            ]
            await chatwoot.pointWebhooks(to: instances[0].baseURL + "/handover/chatwoot")
            var sessions: [String] = []
            for index in 0..<6 { sessions.append(try await instances[index % 2].newUserInHandover()) }
            let closing = "Baton closed this conversation: no agent answered the user for 4 seconds. They are back with the bot."
            for (index, session) in sessions.enumerated() {
                let texts = try await instances[(index + 1) % 2].waitForText("Handover ended: inactive agent_inactive", session: session)
                #expect(texts.filter { $0 == HandoverNotices.reminder }.count == 2, "session \(index): \(texts)")
                #expect(texts.filter { $0 == HandoverNotices.inactiveAgent }.count == 1, "session \(index): \(texts)")
                let conversation = try await chatwoot.waitForConversation(session: session)
                _ = try await chatwoot.waitForStatus(conversation, "resolved")
                #expect(await chatwoot.count(closing, in: conversation) == 1)
            }
        }
    }
}

extension BatonProcess {
    /// Long-polls the session's transcript over REST until a message with `text` is stored; returns all texts then.
    func waitForText(_ text: String, session: String, timeout: Duration = .seconds(20)) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        var after: Int64 = 0
        var texts: [String] = []
        while !texts.contains(text) {
            guard ContinuousClock.now < deadline else { throw ChatError.timedOut(waitingFor: "'\(text)' in session \(session)") }
            let answer = try await get("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=\(after)&wait=2")
            let page = try JSONValue(jsonText: answer.body)
            texts += page["messages"].list.compactMap(\.text)
            after = page["messages"].list.compactMap { $0["id"]?.int }.max() ?? after
        }
        return texts
    }
}
