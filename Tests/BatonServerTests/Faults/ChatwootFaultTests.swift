import BatonCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Baton against a Chatwoot that misbehaves (`config/initializers/rack_attack.rb`, `lib/webhooks/trigger.rb`): down,
/// rate limiting, failing, slow, refusing the token, and webhooks repeated and shuffled. Every test checks that what
/// the user or the agent should get arrives once, in order, and writes its figures for RELIABILITY.md.
@Suite("Faults: Chatwoot", .serialized)
struct ChatwootFaultTests {
    static let messagesPath = "/api/v1/accounts/*/conversations/*/messages"

    /// Many live conversations keep talking while Chatwoot is unreachable; when it is back, every message reaches
    /// the agents once and in order.
    @Test func chatwootDownUnderManyConversationsThenBack() async throws {
        try await FaultRig.run { chatwoot, client in
            var users: [(RESTUser, Int)] = []
            for index in 0..<12 { users.append(try await RESTUser.inHandover("down-\(index)", client: client, chatwoot: chatwoot)) }
            await chatwoot.goDown()
            let sent = users.map { user, _ in (0..<8).map { "\(user.userID) line \($0)" } }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, (user, _)) in users.enumerated() {
                    group.addTask { for text in sent[index] { try await user.say(text) } }
                }
                try await group.waitForAll()
            }
            try await chatwoot.comeUp()
            var total = Delivery(test: "chatwoot-down-12-conversations")
            for (index, (_, conversation)) in users.enumerated() {
                // 96 posts waiting for their retry, beside the whole suite's other tests: up to a minute (the test
                // takes about 45 s in the suite, under 2 s alone; it once ran out of 30 s).
                let incoming = try await chatwoot.waitForIncoming(conversation, including: sent[index], timeout: .seconds(60))
                total = total + Delivery.compare(test: total.test, sent: sent[index], received: incoming.filter { $0.contains(" line ") })
            }
            total.expectPerfect()
        }
    }

    /// Every talking conversation's message is on its way to Chatwoot at once: with each post taking 3 s (within
    /// the request timeout, here 10 s), twenty conversations have twenty posts in flight together, not the 8 a
    /// default HTTP client keeps connections for (a Chatwoot answering in 100 ms would then take at most 80 messages a
    /// second). Each still arrives once.
    @Test func aSlowChatwootGetsEveryConversationsMessageAtOnce() async throws {
        try await HandoverEndToEndTests.withBaton(retry: FaultRig.retry, requestTimeoutSeconds: 10) { chatwoot, client in
            var users: [(RESTUser, Int)] = []
            for index in 0..<20 { users.append(try await RESTUser.inHandover("together-\(index)", client: client, chatwoot: chatwoot)) }
            chatwoot.resetPeakRequestsInFlight()
            chatwoot.slow("POST", Self.messagesPath, by: .seconds(3), times: 20)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (user, _) in users { group.addTask { try await user.say("\(user.userID) at once") } }
                try await group.waitForAll()
            }
            for (user, conversation) in users {
                let incoming = try await chatwoot.waitForIncoming(conversation, including: ["\(user.userID) at once"])
                #expect(incoming.filter { $0.hasSuffix(" at once") }.count == 1)
            }
            #expect(chatwoot.peakRequestsInFlight >= 20, "posts in flight at once: \(chatwoot.peakRequestsInFlight)")
        }
    }

    /// A Chatwoot worker that dies mid-request closes Baton's connection without an answer, before or after it
    /// stored the message. Such a request is over, so the retry looks for it at once instead of waiting twice the
    /// request timeout (here 30 s, so 60 s: longer than this test waits); the messages arrive once each, in order.
    @Test(arguments: [false, true])
    func connectionsClosedWithoutAnAnswerAreRetriedWithinTheBackoff(afterHandling: Bool) async throws {
        try await HandoverEndToEndTests.withBaton(retry: FaultRig.retry, requestTimeoutSeconds: 30) { chatwoot, client in
            let (user, conversation) = try await RESTUser.inHandover("closed", client: client, chatwoot: chatwoot)
            _ = try await chatwoot.waitForIncoming(conversation, including: ["agent"])
            chatwoot.closeConnections("POST", Self.messagesPath, afterHandling: afterHandling, times: 3)
            let sent = (0..<5).map { "closed \($0)" }
            for text in sent { try await user.say(text) }
            let incoming = try await chatwoot.waitForIncoming(conversation, including: sent, timeout: .seconds(20))
            let name = "chatwoot-closes-connections-\(afterHandling ? "after" : "before")-handling"
            Delivery.compare(test: name, sent: sent, received: incoming.filter { $0.hasPrefix("closed ") }).expectPerfect()
            #expect(await chatwoot.answers("POST", pathSuffix: "/messages").filter { $0 == nil }.count == 3, "three connections were dropped")
        }
    }

    /// 429 "Retry later" (no Retry-After), 500, answers slower than the request timeout, and a token refused for a
    /// while: every user message still reaches the agent exactly once, in order.
    @Test(arguments: [
        ("rate-limited", 429, "Retry later\n", Duration.zero),
        ("server-error", 500, "{}", .zero),
        ("token-refused", 401, #"{"error":"Invalid Access Token"}"#, .zero),
        ("slower-than-timeout", 0, "", .milliseconds(1_600)),
    ])
    func userMessagesSurviveChatwootFaults(name: String, status: Int, body: String, latency: Duration) async throws {
        try await FaultRig.run { chatwoot, client in
            let (user, conversation) = try await RESTUser.inHandover("fault-\(name)", client: client, chatwoot: chatwoot)
            _ = try await chatwoot.waitForIncoming(conversation, including: ["agent"])
            if latency > .zero {
                // The stand-in stores the message but answers after Baton stopped waiting: the retry must find it.
                chatwoot.slow("POST", Self.messagesPath, by: latency, times: 2)
            } else {
                chatwoot.fail("POST", Self.messagesPath, status: status, body: body, times: 3)
            }
            let sent = (0..<10).map { "\(name) \($0)" }
            for text in sent { try await user.say(text) }
            let incoming = try await chatwoot.waitForIncoming(conversation, including: sent)
            Delivery.compare(test: "chatwoot-\(name)", sent: sent, received: incoming.filter { $0.hasPrefix(name) }).expectPerfect()
        }
    }

    /// Creating the conversation answers only after Baton stopped waiting: the retry finds the conversation that
    /// call made (by the session and handover in its custom attributes) instead of opening a second one.
    @Test func aConversationCreatedTooSlowlyIsFoundNotOpenedTwice() async throws {
        try await FaultRig.run { chatwoot, client in
            chatwoot.slow("POST", "/api/v1/accounts/*/conversations", by: .milliseconds(1_600), times: 1)
            let (_, conversation) = try await RESTUser.inHandover("slow-open", client: client, chatwoot: chatwoot)
            _ = try await chatwoot.waitForIncoming(conversation, including: ["An agent will be with you shortly."], outgoing: true)
            #expect(await chatwoot.conversationCount() == 1)
            #expect(await chatwoot.answers("POST", pathSuffix: "/conversations").count == 1, "the retry looked it up instead")
        }
    }

    /// A message Chatwoot refuses for good (the conversation was deleted: 404) is dead-lettered at once: the user
    /// is told, the admin listing shows it, the metric counts it, and the messages after it still go through.
    @Test func aRefusedMessageIsDeadLetteredAndTheUserIsTold() async throws {
        try await FaultRig.run { chatwoot, client in
            let (user, conversation) = try await RESTUser.inHandover("dead", client: client, chatwoot: chatwoot)
            // The history, the accepted message last, is all posted before the fault is set up.
            _ = try await chatwoot.waitForIncoming(conversation, including: ["An agent will be with you shortly."], outgoing: true)
            chatwoot.fail("POST", Self.messagesPath, status: 404, body: #"{"error":"Resource could not be found"}"#, times: 1)
            try await user.say("this one is refused")
            try await user.say("this one arrives")
            _ = try await chatwoot.waitForIncoming(conversation, including: ["this one arrives"])
            // The notice is written once the job is dead-lettered, when the next job may already be on its way.
            _ = try await user.transcript(including: HandoverNotices.undelivered("this one is refused"))
            #expect(!(await chatwoot.incomingTexts(conversation)).contains("this one is refused"))

            let listing = try await client.getJSON("/admin/outbox?state=dead", headers: [.authorization: "Bearer \(TestBaton.adminToken)"])
            guard case .array(let items)? = listing["items"] else { throw ChatError.unexpected("no items: \(listing.jsonText)") }
            #expect(items.count == 1)
            #expect(items.first?["kind"] == "post")
            #expect(items.first?["session"] == .string(user.session))
            #expect(items.first?["lastError"]?.jsonText.contains("404") == true)
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: [:], body: nil)
            #expect(String(buffer: metrics.body).contains(#"baton_outbox_dead_letters_total{kind="post"} 1"#))
            let refused = try await client.execute(uri: "/admin/outbox?state=dead", method: .get, headers: [.authorization: "Bearer wrong"], body: nil)
            #expect(refused.status == .unauthorized)
        }
    }

    /// Every webhook delivered three times and shuffled: the user sees each agent reply once, in the order the
    /// agent wrote them.
    @Test func webhooksTripledAndShuffledReachTheUserOnceInOrder() async throws {
        try await FaultRig.run { chatwoot, client in
            let (user, conversation) = try await RESTUser.inHandover("shuffle", client: client, chatwoot: chatwoot)
            chatwoot.shuffleWebhooks(window: .milliseconds(100), copies: 3)
            let sent = (0..<20).map { "reply \($0)" }
            for text in sent { try await chatwoot.reply(conversation, text) }
            let shown = try await user.waitForAgentTexts(sent)
            Delivery.compare(test: "webhooks-tripled-shuffled", sent: sent, received: shown).expectPerfect()
            let stored = try await user.transcript().filter { $0["sender"] == "agent" }.compactMap(\.text)
            #expect(stored == sent, "the stored transcript is in the agent's order too")
        }
    }

    /// Webhooks that never arrive (Chatwoot does not retry) are made up for by reconciliation when the user
    /// reconnects.
    @Test func lostWebhooksAreReconciledWhenTheUserReconnects() async throws {
        try await FaultRig.run { chatwoot, client in
            let (user, conversation) = try await RESTUser.inHandover("lost", client: client, chatwoot: chatwoot)
            _ = try await chatwoot.waitForIncoming(conversation, including: ["agent"])
            // Every webhook of these replies fails (Chatwoot marks the messages failed and never retries).
            chatwoot.dropWebhooks(1_000)
            let sent = ["lost 1", "lost 2", "lost 3"]
            for text in sent { try await chatwoot.reply(conversation, text) }
            let shown = try await user.waitForAgentTexts(sent)
            Delivery.compare(test: "lost-webhooks-reconciled", sent: sent, received: shown).expectPerfect()
        }
    }

    /// The same for a client of the REST channel, which never opens a socket: its reads (and long polls) make up
    /// for lost webhooks.
    @Test func lostWebhooksAreReconciledWhenARESTClientReads() async throws {
        try await FaultRig.run { chatwoot, client in
            let (user, conversation) = try await RESTUser.inHandover("lost-rest", client: client, chatwoot: chatwoot)
            _ = try await chatwoot.waitForIncoming(conversation, including: ["agent"])
            chatwoot.dropWebhooks(1_000)
            let sent = ["lost over REST 1", "lost over REST 2"]
            for text in sent { try await chatwoot.reply(conversation, text) }
            let shown = try await user.pollAgentTexts(sent)
            Delivery.compare(test: "lost-webhooks-reconciled-rest", sent: sent, received: shown).expectPerfect()
        }
    }

    /// A resolve whose webhooks never arrive (Baton was restarting, say: Chatwoot does not retry) is read by the
    /// same reconciliation: Chatwoot writes an activity line for each status change, and reading one makes Baton read
    /// the conversation's status. The agent's last reply, then the resolve, and the user is with the bot again.
    @Test func aLostResolveIsReconciledWhenARESTClientReads() async throws {
        try await FaultRig.run { chatwoot, client in
            let (user, conversation) = try await RESTUser.inHandover("lost-resolve", client: client, chatwoot: chatwoot)
            _ = try await chatwoot.waitForIncoming(conversation, including: ["agent"])
            chatwoot.dropWebhooks(1_000)
            try await chatwoot.reply(conversation, "All done, goodbye!")
            try await chatwoot.resolve(conversation)
            let texts = try await user.transcript(including: HandoverNotices.resolved).compactMap(\.text)
            let reply = try #require(texts.firstIndex(of: "All done, goodbye!"), "the reply no webhook brought: \(texts)")
            #expect(reply < (texts.firstIndex(of: HandoverNotices.resolved) ?? 0), "the reply before the resolve: \(texts)")
            let answer = try await client.postJSON(RESTUser.path, ["sessionId": .string(user.session), "text": "hi bot"])
            #expect(answer["messages"].list.map(\.text) == ["hi bot", "You said hi bot", "Say something"])
            #expect(await chatwoot.conversationStatus(conversation) == "resolved")
        }
    }

    /// A resolve read on the first of several pages (Chatwoot's API gives 100 messages a page after a given one) is
    /// the conversation's status now, so it is applied after every later page's replies, not before them.
    @Test func aLostResolveComesAfterEveryLostReplyOfSeveralPages() async throws {
        try await FaultRig.run { chatwoot, client in
            let (user, conversation) = try await RESTUser.inHandover("lost-resolve-pages", client: client, chatwoot: chatwoot)
            _ = try await chatwoot.waitForIncoming(conversation, including: ["agent"])
            chatwoot.dropWebhooks(1_000)
            // An activity line first ("… self-assigned this conversation"), so the first page reads the status.
            try await chatwoot.take(conversation)
            let sent = (1...130).map { "lost reply \($0)" }
            for text in sent { _ = try await chatwoot.reply(conversation, text) }
            try await chatwoot.resolve(conversation)
            let texts = try await user.transcript(including: HandoverNotices.resolved).compactMap(\.text)
            let resolved = try #require(texts.firstIndex(of: HandoverNotices.resolved))
            #expect(texts[..<resolved].filter { $0.hasPrefix("lost reply") } == sent, "every reply, in order, before the resolve: \(texts)")
            #expect(!texts[resolved...].contains { $0.hasPrefix("lost reply") })
        }
    }

    /// An agent reopens a resolved conversation while its webhooks are lost (Chatwoot never sends them again), then
    /// writes: the message's webhook carries the conversation open, so the handover comes back first, as its own
    /// event would have brought it, and the user's answer goes to the agent, not to the bot.
    @Test func anAgentWritingInAConversationReopenedUnheardHasTheUserBack() async throws {
        try await FaultRig.run { chatwoot, client in
            let (user, conversation) = try await Self.resolvedHandover("lost-reopen", client: client, chatwoot: chatwoot)
            chatwoot.dropWebhooks(1_000)
            try await chatwoot.reopen(conversation)
            try await chatwoot.waitForWebhooksIdle()
            chatwoot.clearFaults()
            try await chatwoot.reply(conversation, "I reopened this: still there?")
            let texts = try await user.transcript(including: "I reopened this: still there?").compactMap(\.text)
            let reopened = try #require(texts.lastIndex(of: HandoverNotices.reopened), "the agent is back: \(texts)")
            #expect(reopened == texts.count - 2, "the notice, then the agent's message: \(texts)")
            let answer = try await client.postJSON(RESTUser.path, ["sessionId": .string(user.session), "text": "yes, still here"])
            #expect(answer["messages"].list.map(\.text) == ["yes, still here"], "no bot answer: the agent has the user")
            _ = try await chatwoot.waitForIncoming(conversation, including: ["yes, still here"])
        }
    }

    /// An agent's reply to a conversation that stays resolved (Chatwoot lets agents write there) reaches the user,
    /// who stays with the bot.
    @Test func anAgentWritingInAResolvedConversationLeavesTheUserWithTheBot() async throws {
        try await FaultRig.run { chatwoot, client in
            let (user, conversation) = try await Self.resolvedHandover("reply-after-resolve", client: client, chatwoot: chatwoot)
            try await chatwoot.reply(conversation, "One more thing: your order ships today.")
            let texts = try await user.transcript(including: "One more thing: your order ships today.").compactMap(\.text)
            #expect(!texts.contains(HandoverNotices.reopened), "\(texts)")
            let answer = try await client.postJSON(RESTUser.path, ["sessionId": .string(user.session), "text": "thanks"])
            #expect(answer["messages"].list.map(\.text) == ["thanks", "You said thanks", "Say something"])
            #expect(await chatwoot.conversationStatus(conversation) == "resolved")
        }
    }

    /// A REST user handed over, whose conversation the agent resolved (the user is back with the bot).
    static func resolvedHandover(_ userID: String, client: any TestClientProtocol, chatwoot: StandInHarness) async throws -> (RESTUser, conversation: Int) {
        let (user, conversation) = try await RESTUser.inHandover(userID, client: client, chatwoot: chatwoot)
        _ = try await chatwoot.waitForIncoming(conversation, including: ["agent"])
        try await chatwoot.resolve(conversation)
        _ = try await user.transcript(including: HandoverNotices.resolved)
        return (user, conversation)
    }

    /// A page that stays open never reconnects, so its reconnect cannot make up for a lost webhook: its pings
    /// (sent after 20 s of silence) do, during a handover, at most once a minute.
    @Test func lostWebhooksReachAnOpenPageThroughItsPings() async throws {
        try await FaultRig.run { chatwoot, client in
            try await client.chat("t0k3n") { chat in
                let ready = try await chat.hello(handoverUpdates: true)
                guard case .string(let session)? = ready["session"] else { throw ChatError.unexpected("no session") }
                try await chat.say("Ada")
                try await chat.say("agent")
                _ = try await HandoverFramesTests.frames(chat) { $0["type"] == "handover" && $0["phase"] == "active" }
                let conversation = try await chatwoot.waitForConversation(session: session)
                _ = try await chatwoot.waitForIncoming(conversation, including: ["agent"])
                chatwoot.dropWebhooks(1_000)
                let sent = ["lost while the page is open 1", "lost while the page is open 2"]
                for text in sent { try await chatwoot.reply(conversation, text) }
                try await chat.send(["type": "ping"])
                let shown = try await chat.agentTexts(including: Set(sent), within: .seconds(20))
                Delivery.compare(test: "lost-webhooks-reconciled-open-page", sent: sent, received: shown).expectPerfect()
            }
        }
    }
}
