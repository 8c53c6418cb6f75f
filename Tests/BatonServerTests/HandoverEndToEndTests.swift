import BatonConfig
import BatonCore
import BatonServer
import BatonStoreSQLite
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A user in the webchat, the bot, a handover into Chatwoot (the stand-in), an agent: everything over real HTTP
/// and WebSockets on loopback.
@Suite("Handover end to end")
struct HandoverEndToEndTests {
    static func flowText(support: Int, vip: Int) -> String {
        """
        name: E2E
        intents:
          - { name: human, keywords: [agent], goto: handover }
          - { name: vip, keywords: [vip], goto: make-vip }
        nodes:
          - say: "Welcome!"
          - question: { text: "Your name?", store: name }
          - set: { profile.name: "{{ context.name }}" }
          - id: loop
            question: { text: "Say something", store: last }
          - say: "You said {{ context.last }}"
          - goto: loop
          - id: make-vip
            set: { profile.tier: vip }
          - id: handover
            handover:
              inboxId: "{{ profile.tier == 'vip' ? \(vip) : \(support) }}"
              acceptedMessage: "An agent will be with you shortly."
              cancelKeywords: [cancel]
              onResolve: after-agent
          - say: "Handover ended: {{ input.handover.status }} {{ input.handover.reason }}"
          - goto: loop
          - id: after-agent
            say: "Welcome back, {{ context.name }}!"
          - goto: loop
        """
    }

    /// Retries that wait milliseconds, and an opening that gives up after 2 s.
    static let retry = RetryPolicy(base: .milliseconds(20), cap: .milliseconds(200), giveUpAfter: .seconds(30), openGiveUpAfter: .seconds(2))

    static func app(
        _ chatwoot: StandInHarness, botName: String = "E2E bot", databasePath: String = TestBaton.databasePath(), retry: RetryPolicy = retry,
        requestTimeoutSeconds: Int = 10, flow text: String? = nil, bots: [String: BotSettings] = [:], rest: RESTSettings = RESTSettings(),
        outboxPollInterval: Duration? = nil, retention: RetentionSettings = RetentionSettings(), now: (@Sendable () -> Date)? = nil,
        wrapStore: (any SessionStore) -> any SessionStore = { $0 }, configure: (inout ChatwootSettings) -> Void = { _ in }
    ) async throws -> some ApplicationProtocol {
        var flow = try FlowLoader().parse(text: text ?? flowText(support: chatwoot.supportInbox, vip: chatwoot.vipInbox), file: "e2e.yaml").0
        // As the config loader does: a bot node without a prompt takes its bot's.
        for index in flow.nodes.indices {
            if case .bot(var node) = flow.nodes[index].kind, node.prompt == nil {
                node.prompt = bots[node.bot]?.systemPrompt
                flow.nodes[index].kind = .bot(node)
            }
        }
        var settings = ChatwootSettings(
            baseURL: chatwoot.baseURL, accountID: chatwoot.accountID, apiAccessToken: Secret(chatwoot.adminToken), agentBotName: botName,
            agentBotDescription: "Baton in tests", webhookSecret: Secret(chatwoot.secret))
        settings.showAgentNames = true
        settings.forwardUserTyping = true
        configure(&settings)
        let endpoint = EndpointConfiguration(id: "test", name: "E2E", urlToken: "t0k3n", flowFile: "e2e.yaml", flow: flow, rest: rest, handover: .chatwoot(settings))
        var configuration = BatonConfiguration(
            server: ServerSettings(host: "127.0.0.1", port: 0), storage: StorageSettings(sqlitePath: databasePath), log: LogSettings(),
            admin: AdminSettings(token: Secret(TestBaton.adminToken)), limits: TestBaton.generousLimits,
            delivery: DeliverySettings(requestTimeoutSeconds: requestTimeoutSeconds), endpoints: [endpoint], bots: bots, sourceFile: nil)
        configuration.retention = retention
        var dependencies = try AppDependencies.live(configuration)
        dependencies.store = wrapStore(dependencies.store)
        if let now {
            dependencies.now = now
            // Sweeps follow one another closely, so the one after a test moved its clock comes at once.
            dependencies.housekeepingInterval = .milliseconds(50)
        }
        dependencies.retryPolicy = retry
        dependencies.outboxPollInterval = outboxPollInterval ?? TestBaton.quietOutbox
        return try await buildApplication(configuration: configuration, dependencies: dependencies, logger: TestBaton.logger)
    }

    /// Runs `body` with Baton live and the stand-in's webhooks pointing at it; checks the stand-in saw only
    /// requests Chatwoot's OpenAPI spec allows.
    static func withBaton(
        retry: RetryPolicy = retry, requestTimeoutSeconds: Int = 10, flow: String? = nil, bots: [String: BotSettings] = [:], rest: RESTSettings = RESTSettings(),
        outboxPollInterval: Duration? = nil, configure: (inout ChatwootSettings) -> Void = { _ in },
        _ body: @escaping @Sendable (StandInHarness, any TestClientProtocol) async throws -> Void
    ) async throws {
        let chatwoot = try await StandInHarness.start()
        do {
            try await app(
                chatwoot, retry: retry, requestTimeoutSeconds: requestTimeoutSeconds, flow: flow, bots: bots, rest: rest, outboxPollInterval: outboxPollInterval,
                configure: configure
            ).test(.live) { client in
                await chatwoot.pointWebhooks(to: "http://127.0.0.1:\(client.port ?? 0)/handover/chatwoot")
                try await body(chatwoot, client)
            }
        } catch {
            await chatwoot.shutdown()
            throw error
        }
        #expect(await chatwoot.specViolations() == [], "every request Baton sent is one Chatwoot's OpenAPI spec allows")
        await chatwoot.shutdown()
    }

    static let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")!
    static let gif = Data(base64Encoded: "R0lGODlhAQABAIAAAP///wAAACH/C05FVFNDQVBFMi4wAwEAAAAh+QQJCgAAACwAAAAAAQABAAACAkQBACH5BAkKAAAALAAAAAABAAEAAAICRAEAOw==")!
    static let mp4 = Data([0, 0, 0, 0x18] + Array("ftypmp42".utf8) + [0, 0, 0, 0] + Array("mp42isom".utf8))
    static let pdf = Data("%PDF-1.4\n%%EOF\n".utf8)

    /// Opening a handover reads the inbox (is it an API inbox?) once per `availabilityCacheSeconds`, not once per
    /// handover: a second user's handover makes one Chatwoot call fewer.
    @Test func theInboxIsReadOncePerCacheLifetimeNotPerHandover() async throws {
        try await Self.withBaton { chatwoot, client in
            var conversations: [Int] = []
            for _ in 0..<2 {
                let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
                guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
                _ = try await client.postJSON(RESTChannelTests.messagesPath, ["sessionId": .string(session), "text": "agent"])
                conversations.append(try await chatwoot.waitForConversation(session: session))
            }
            #expect(Set(conversations).count == 2)
            #expect(await chatwoot.answers("GET", pathSuffix: "/inboxes/\(chatwoot.supportInbox)").count == 1)
        }
    }

    /// The admin page's overview: the endpoint's desk checked (Chatwoot asked once however often it is read), the
    /// handover in progress with its conversation, and nothing without the token.
    @Test func theAdminOverviewShowsTheDeskAndTheHandoverAndAsksChatwootOnce() async throws {
        try await Self.withBaton { chatwoot, client in
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
            _ = try await client.postJSON(RESTChannelTests.messagesPath, ["sessionId": .string(session), "text": "agent"])
            let conversation = try await chatwoot.waitForConversation(session: session)
            let admin: HTTPFields = [.authorization: "Bearer \(TestBaton.adminToken)"]
            var overview = try await client.getJSON("/admin/overview", headers: admin)
            for _ in 0..<3 { overview = try await client.getJSON("/admin/overview", headers: admin) }
            let endpoint = overview["endpoints"].list.first
            #expect(endpoint?["status"] == "ok" && endpoint?["desk"] == "chatwoot" && endpoint?["liveHandovers"] == 1)
            let handover = overview["handovers"].list.first
            #expect(handover?["session"] == .string(session) && handover?["conversation"]?.int == Int64(conversation))
            #expect(handover?["link"] == .string("\(chatwoot.baseURL)/app/accounts/\(chatwoot.accountID)/conversations/\(conversation)"))
            #expect(await chatwoot.answers("GET", pathSuffix: "/api/v1/profile").count == 1, "four reads, one check of the desk")
            let refused = try await client.execute(uri: "/admin/overview", method: .get, headers: [:])
            #expect(refused.status == .unauthorized)
        }
    }

    @Test func aWholeHandoverFromWebchatToAgentAndBack() async throws {
        try await Self.withBaton { chatwoot, client in
            try await client.chat("t0k3n") { chat in
                let ready = try await chat.hello()
                guard case .string(let session)? = ready["session"] else { throw ChatError.unexpected("no session") }
                _ = try await chat.messages(2)
                try await chat.say("Ada")
                _ = try await chat.messages(2)
                // The user asks as a VIP: the inbox expression picks the VIP inbox.
                try await chat.say("vip please")
                #expect(try await chat.messages(2).map(\.text) == ["vip please", "An agent will be with you shortly."])
                let conversation = try await chatwoot.waitForConversation()
                #expect(conversation.inbox == chatwoot.vipInbox)

                // The history, in order, with the right senders, Baton's source ids and the original times.
                let history = try await chatwoot.waitForMessages(conversation.id, count: 6)
                #expect(history.map(\.content) == ["Welcome!", "Your name?", "Ada", "Say something", "vip please", "An agent will be with you shortly."])
                #expect(history.map(\.type) == ["outgoing", "outgoing", "incoming", "outgoing", "incoming", "outgoing"])
                #expect(history.map(\.senderType) == ["AgentBot", "AgentBot", "Contact", "AgentBot", "Contact", "AgentBot"])
                #expect(history.allSatisfy { $0.sourceID?.hasPrefix("baton:\(session):") == true })
                #expect(history.allSatisfy { $0.externalCreatedAt != nil })
                #expect(await chatwoot.customAttribute("baton_session", of: conversation.id) == session)
                #expect(await chatwoot.customAttribute("baton_endpoint", of: conversation.id) == "test")
                #expect(await chatwoot.contactIdentifiers().allSatisfy { $0?.hasPrefix("baton:test:") == true })
                #expect(await chatwoot.contactName(of: conversation.id) == "Ada")

                // Agent replies of every kind reach the user, each once.
                try await chatwoot.typing(conversation.id, on: true)
                #expect(try await chat.next("typing") == ["type": "typing", "sender": "agent", "on": true])
                try await chatwoot.reply(conversation.id, "**Hello** Ada, how can I help?")
                let text = try #require(try await chat.messages(1).first)
                #expect(text.text == "**Hello** Ada, how can I help?")
                #expect(text["sender"] == "agent")
                #expect(text["agentName"] == .string(chatwoot.agentName))
                let kinds: [(String, String, Data, String)] = [
                    ("photo.png", "image/png", Self.png, "image"), ("dance.gif", "image/gif", Self.gif, "gif"),
                    ("clip.mp4", "video/mp4", Self.mp4, "video"), ("invoice.pdf", "application/pdf", Self.pdf, "file"),
                ]
                for (name, mime, data, kind) in kinds {
                    try await chatwoot.reply(conversation.id, "here is \(name)", files: [(name, mime, data)])
                    let message = try #require(try await chat.messages(1).first)
                    let attachment = try #require(message["attachments"].list.first)
                    #expect(attachment["kind"] == .string(kind), "\(name)")
                    #expect(attachment["name"] == .string(name))
                    #expect(attachment["url"]?.displayText.hasPrefix(chatwoot.baseURL) == true)
                }
                try await chatwoot.reply(conversation.id, nil, files: [("a.png", "image/png", Self.png), ("b.pdf", "application/pdf", Self.pdf)])
                let several = try #require(try await chat.messages(1).first)
                #expect(several.text == "")
                #expect(several["attachments"].list.map { $0["kind"] ?? nil } == ["image", "file"])

                // A private note never reaches the user: the next thing the user sees is the next reply.
                try await chatwoot.privateNote(conversation.id, "internal: VIP customer")
                try await chatwoot.reply(conversation.id, "Anything else?")
                #expect(try await chat.messages(1).map(\.text) == ["Anything else?"])

                // The user's messages go to the agent as incoming messages.
                try await chat.say("No, thanks!")
                _ = try await chat.messages(1)
                let live = try await chatwoot.waitForMessages(conversation.id, count: 14)
                #expect(live.last?.content == "No, thanks!")
                #expect(live.last?.type == "incoming")

                // Resolve: the user is told and is back with the bot, at the handover's onResolve.
                try await chatwoot.resolve(conversation.id)
                #expect(try await chat.messages(3).map(\.text) == [HandoverNotices.resolved, "Welcome back, Ada!", "Say something"])
                try await chat.say("hi bot")
                #expect(try await chat.messages(3).map(\.text) == ["hi bot", "You said hi bot", "Say something"])
                #expect(await chatwoot.messages(conversation.id).filter { $0.content == "hi bot" }.isEmpty, "after a resolve the bot answers")

                // Reopen: the agent has the user again.
                try await chatwoot.reopen(conversation.id)
                #expect(try await chat.messages(1).map(\.text) == [HandoverNotices.reopened])
                try await chat.say("are you back?")
                _ = try await chat.messages(1)
                let reopened = try await chatwoot.waitForMessages(conversation.id, count: 20)
                #expect(reopened.last?.content == "are you back?")
                try await chatwoot.reply(conversation.id, "Yes!")
                #expect(try await chat.messages(1).map(\.text) == ["Yes!"])
                #expect(await chatwoot.conversationCount() == 1)
            }
        }
    }

    /// Ada, handed over (her history in Chatwoot), says "one more thing", which is held on its way to Chatwoot for 2 s;
    /// meanwhile (after `before`) the agent resolves, and she is told so. Returns the conversation.
    static func agentResolvesWhileAMessageIsOnItsWay(
        _ chat: Chat, chatwoot: StandInHarness, before: () -> Void = {}
    ) async throws -> (id: Int, inbox: Int) {
        _ = try await chat.hello()
        _ = try await chat.messages(2)
        try await chat.say("Ada")
        _ = try await chat.messages(2)
        try await chat.say("agent please")
        _ = try await chat.messages(2)
        let conversation = try await chatwoot.waitForConversation()
        try await chatwoot.waitForMessages(conversation.id, count: 6)
        chatwoot.slow("POST", "/api/v1/accounts/*/conversations/*/messages", by: .seconds(2), times: 1)
        try await chat.say("one more thing")
        _ = try await chat.messages(1)
        try await chatwoot.waitForRequestInFlight("POST", pathSuffix: "/messages", containing: "one more thing")
        before()
        try await chatwoot.resolve(conversation.id)
        #expect(try await chat.messages(3).map(\.text) == [HandoverNotices.resolved, "Welcome back, Ada!", "Say something"])
        return conversation
    }

    /// An agent resolves while one of the user's messages is on its way to Chatwoot. Created after the resolve, it
    /// reopens the conversation (Chatwoot reopens a resolved conversation for any incoming message), which is no agent
    /// coming back: the user stays with the bot, the agents get a note, and Baton resolves the conversation again.
    @Test func aMessageThatLandsAfterTheAgentResolvedDoesNotBringTheAgentBack() async throws {
        try await Self.withBaton { chatwoot, client in
            try await client.chat("t0k3n") { chat in
                let conversation = try await Self.agentResolvesWhileAMessageIsOnItsWay(chat, chatwoot: chatwoot)

                // It lands and reopens the conversation; Baton says why in a note and resolves it again.
                try await chatwoot.waitForNote(conversation.id, containing: "reached this conversation after it was resolved")
                _ = try await chatwoot.waitForStatus(conversation.id, "resolved")
                let trail = await chatwoot.messages(conversation.id).map { "\($0.type)\($0.isPrivate ? " note" : ""): \($0.content ?? "")" }.suffix(5)
                let expected = [
                    "activity: Conversation was marked resolved", "incoming: one more thing", "activity: System reopened the conversation",
                    "outgoing note: Baton: the user's message above", "activity: Conversation was marked resolved",
                ]
                #expect(
                    trail.count == expected.count && zip(trail, expected).allSatisfy { $0.hasPrefix($1) },
                    "the message came after the resolve and reopened the conversation: \(trail)")

                // The bot has the user.
                try await chat.say("hi bot")
                #expect(try await chat.messages(3).map(\.text) == ["hi bot", "You said hi bot", "Say something"], "the bot has the user")
                #expect(await chatwoot.messages(conversation.id).filter { $0.content == "hi bot" }.isEmpty)

                // An agent who reopens it after Baton heard of its own resolve has the user again, as always.
                try await chatwoot.waitForStatusEvents(conversation.id, "resolved", count: 2)
                try await chatwoot.reopen(conversation.id)
                #expect(try await chat.messages(1).map(\.text) == [HandoverNotices.reopened])
            }
        }
    }

    /// As above, but an agent answers the user's late message before Baton's second resolve can be made (Chatwoot
    /// refuses it for a while): the agent is there, so the user is theirs again and that resolve is not made.
    @Test func anAgentWhoAnswersTheLateMessageHasTheUserBack() async throws {
        try await Self.withBaton { chatwoot, client in
            try await client.chat("t0k3n") { chat in
                let conversation = try await Self.agentResolvesWhileAMessageIsOnItsWay(chat, chatwoot: chatwoot) {
                    // Before the message lands: Baton's resolve of it must not be made before the agent answers.
                    chatwoot.fail("POST", "/api/v1/accounts/*/conversations/*/toggle_status", status: 500, body: #"{"error":"Internal Server Error"}"#, times: nil)
                }

                try await chatwoot.waitForNote(conversation.id, containing: "reached this conversation after it was resolved")
                try await chatwoot.waitForRequests("POST", pathSuffix: "/toggle_status", moreThan: 0)
                _ = try await chatwoot.reply(conversation.id, "Sure, what is it?")
                #expect(try await chat.messages(2).map(\.text) == [HandoverNotices.reopened, "Sure, what is it?"])
                chatwoot.clearFaults()
                // The session's jobs run in order: this message reaches Chatwoot after the resolve was made or dropped.
                try await chat.say("my order is late")
                _ = try await chatwoot.waitForIncoming(conversation.id, including: ["my order is late"])
                #expect(await chatwoot.answers("POST", pathSuffix: "/toggle_status").allSatisfy { $0 == 500 }, "Baton's resolve was not made")
                #expect(await chatwoot.conversationStatus(conversation.id) == "open")
            }
        }
    }

    @Test(arguments: [
        ("POST", "/api/v1/accounts/*/conversations", 401, #"{"error":"Invalid Access Token"}"#, "rejected_credentials"),
        ("GET", "/api/v1/accounts/*/inboxes/*", 404, #"{"error":"Resource could not be found"}"#, "invalid_inbox"),
        ("POST", "/api/v1/accounts/*/contacts", 422, #"{"message":"Email has already been taken","attributes":["email"]}"#, "rejected"),
    ])
    func chatwootErrorsReachTheFlowAndTheUser(method: String, path: String, status: Int, body: String, reason: String) async throws {
        try await Self.withBaton { chatwoot, client in
            chatwoot.fail(method, path, status: status, body: body)
            try await client.chat("t0k3n") { chat in
                try await chat.askForAnAgent()
                let answer = try await chat.messages(4)
                #expect(answer.map(\.text) == ["agent", HandoverNotices.failed, "Handover ended: error \(reason)", "Say something"])
            }
        }
    }

    /// Rate limits and outages pass: opening is retried, and the user gets the agent.
    @Test(arguments: [(429, "Retry later\n"), (500, "{}")])
    func aTransientRefusalIsRetriedAndTheHandoverOpens(status: Int, body: String) async throws {
        // A budget the first attempt cannot outlast when the whole suite loads the machine (the default's 2 s
        // once ran out before it failed, and the job was given up instead of retried).
        var retry = Self.retry
        retry.openGiveUpAfter = .seconds(30)
        try await Self.withBaton(retry: retry) { chatwoot, client in
            chatwoot.fail("POST", "/api/v1/accounts/*/conversations", status: status, body: body)
            try await client.chat("t0k3n") { chat in
                try await chat.askForAnAgent()
                #expect(try await chat.messages(2).map(\.text) == ["agent", "An agent will be with you shortly."])
                _ = try await chatwoot.waitForConversation()
                #expect(await chatwoot.answers("POST", pathSuffix: "/conversations") == [status, 200])
                #expect(await chatwoot.conversationCount() == 1)
            }
        }
    }

    /// A Chatwoot that stays down is given up after the open budget: the flow goes on with the reason. The budget
    /// (6 s here) leaves room for a retry even when the first attempt is slow on a loaded machine (with 2 s, in one
    /// full run, the first attempt ended after the budget and was the only one).
    @Test func aChatwootThatStaysDownFailsTheHandoverAfterTheBudget() async throws {
        var retry = Self.retry
        retry.openGiveUpAfter = .seconds(6)
        try await Self.withBaton(retry: retry) { chatwoot, client in
            chatwoot.fail("POST", "/api/v1/accounts/*/conversations", status: 500, body: "{}", times: nil)
            try await client.chat("t0k3n") { chat in
                try await chat.askForAnAgent()
                let answer = try await chat.messages(4, within: .seconds(20))
                #expect(answer.map(\.text) == ["agent", HandoverNotices.failed, "Handover ended: error provider_unreachable", "Say something"])
                #expect(await chatwoot.answers("POST", pathSuffix: "/conversations").count > 1, "it was retried before giving up")
            }
        }
    }

    /// With `reportSeenMessages`, an agent's reply the user's page showed becomes `read` in Chatwoot, through the
    /// Client API's `update_last_seen` (no token), once per newer message seen; the status webhooks that follow are
    /// not mistaken for replies. Without it, nothing is reported. An id the session does not have changes nothing.
    @Test(arguments: [true, false])
    func aReplyTheUserSawShowsAsReadWhenAsked(reporting: Bool) async throws {
        try await Self.withBaton(configure: { $0.reportSeenMessages = reporting }) { chatwoot, client in
            try await client.chat("t0k3n") { chat in
                try await chat.askForAnAgent()
                _ = try await chat.messages(2)
                let conversation = try await chatwoot.waitForConversation()
                _ = try await chatwoot.waitForMessages(conversation.id, count: 6)
                let reply = try await chatwoot.reply(conversation.id, "Hello, I am here")
                let shown = try #require(try await chat.messages(1).first)
                // An id from the future (a page's bug, or a forged frame) is dropped, and silences nothing after it.
                try await chat.send(["type": "seen", "id": 1_000_000])
                try await chat.send(["type": "seen", "id": shown["id"] ?? nil])
                try await chat.send(["type": "seen", "id": shown["id"] ?? nil])
                try await chat.send(["type": "ping"])
                _ = try await chat.next("pong")
                if reporting {
                    try await chatwoot.waitForMessageStatus(reply, "read")
                    let request = try await chatwoot.waitForAnsweredRequest("POST", pathSuffix: "/conversations/\(conversation.id)/update_last_seen")
                    #expect(request.path.hasPrefix("/public/api/v1/inboxes/") && request.tokenOwner == nil && request.status == 200)
                    // The read receipts' webhooks bring nothing to the page: the next frame is the agent's next words.
                    try await chatwoot.reply(conversation.id, "Anything else?")
                    #expect(try await chat.messages(1).first?.text == "Anything else?")
                } else {
                    try await chatwoot.reply(conversation.id, "Anything else?")
                    _ = try await chat.messages(1)
                    #expect(await chatwoot.messageStatus(reply) != "read")
                }
                #expect(await chatwoot.answers("POST", pathSuffix: "/update_last_seen").count == (reporting ? 1 : 0), "once per newer message seen")
            }
        }
    }

    /// The user's typing shows in Chatwoot as the contact's, through the Client API (no token), and its echo (a
    /// typing webhook whose user is the contact) is not mistaken for an agent's.
    @Test func userTypingReachesTheAgentsAsTheContactsTyping() async throws {
        try await Self.withBaton { chatwoot, client in
            try await client.chat("t0k3n") { chat in
                let session = try await chat.askForAnAgent()
                _ = try await chat.messages(2)
                let conversation = try await chatwoot.waitForConversation()
                _ = try await chatwoot.waitForMessages(conversation.id, count: 6)
                try await chat.send(["type": "typing", "on": true])
                let request = try await chatwoot.waitForAnsweredRequest("POST", pathSuffix: "/conversations/\(conversation.id)/toggle_typing")
                #expect(request.path.hasPrefix("/public/api/v1/inboxes/"))
                #expect(request.path.contains("/contacts/\(ChatwootIdentity.conversationSourceID(sessionID: session))/"))
                #expect(request.query == "typing_status=on" && request.body.contains(#""typing_status":"on""#))
                #expect(request.tokenOwner == nil, "no credential")
                #expect(request.status == 200)
                // The echo (a typing webhook from the contact) is ignored; the agent's own words still arrive.
                try await chatwoot.reply(conversation.id, "I see you typing")
                let next = try await chat.inbox.next(within: .seconds(10))
                #expect(next["type"] == "message")
                #expect(next["message"]?.text == "I see you typing")
            }
        }
    }

    /// A REST client says what the webchat says in frames: that its user types (the agents see the contact typing)
    /// and which messages the user saw (the agent's reply then shows as read), each answered 204 at once; an id the
    /// session does not have, a body it does not take and a session it does not know get clear errors.
    @Test func aRESTClientSaysThatItsUserTypesAndSawTheReplies() async throws {
        try await Self.withBaton(configure: { $0.reportSeenMessages = true }) { chatwoot, client in
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
            let session = try #require(first["sessionId"]?.stringText)
            let asked = try await client.postJSON(RESTChannelTests.messagesPath, ["sessionId": .string(session), "text": "agent"])
            let conversation = try await chatwoot.waitForConversation()
            let base = "/api/v1/endpoints/t0k3n/sessions/\(session)"
            // The accepted message comes with the handover's opening: from then on the agents hear of the user. (It
            // may be stored before the POST's answer counted the session's messages: looked for after the first turn.)
            let lastID = try #require(asked["lastId"]?.int)
            _ = try await Self.firstMessage(client, at: base, after: try #require(first["lastId"]?.int)) { $0.text == "An agent will be with you shortly." }

            #expect(try await client.postStatus("\(base)/typing", ["on": true]) == .noContent)
            let typing = try await chatwoot.waitForAnsweredRequest("POST", pathSuffix: "/conversations/\(conversation.id)/toggle_typing")
            #expect(typing.query == "typing_status=on" && typing.tokenOwner == nil && typing.status == 200)

            let reply = try await chatwoot.reply(conversation.id, "Hello Ada, I am here")
            let shown = try await Self.firstAgentMessage(client, at: base, after: lastID)
            #expect(try await client.postStatus("\(base)/seen", ["id": .number(Double(shown))]) == .noContent)
            try await chatwoot.waitForMessageStatus(reply, "read")

            try await client.expectError(.post, "\(base)/seen", body: ["id": .number(Double(shown + 50))], status: .badRequest, code: "unknown_message")
            try await client.expectError(.post, "\(base)/seen", body: ["id": 0], status: .badRequest, code: "unknown_message")
            try await client.expectError(.post, "\(base)/typing", body: ["on": "yes"], status: .badRequest, code: "invalid_json")
            try await client.expectError(.post, "\(base)/seen", raw: "{not json", status: .badRequest, code: "invalid_json")
            let unknown = "/api/v1/endpoints/t0k3n/sessions/s_00000000000000000000000000000000/typing"
            try await client.expectError(.post, unknown, body: ["on": true], status: .notFound, code: "session_not_found")
            #expect(await chatwoot.answers("POST", pathSuffix: "/update_last_seen").count == 1, "only the seen that was taken reached Chatwoot")
        }
    }

    /// The id of the first agent message after `after` in the REST session at `base` (see `firstMessage`).
    static func firstAgentMessage(_ client: some TestClientProtocol, at base: String, after: Int64) async throws -> Int64 {
        guard let id = try await firstMessage(client, at: base, after: after, where: { $0["sender"] == "agent" })["id"]?.int else {
            throw ChatError.unexpected("an agent message without an id")
        }
        return id
    }

    /// The first message after `after` in the REST session at `base` that `matches`, read as a client does: long polls
    /// from its last id (the handover's notices may come first).
    static func firstMessage(
        _ client: some TestClientProtocol, at base: String, after: Int64, where matches: (JSONValue) -> Bool
    ) async throws -> JSONValue {
        var after = after
        // Each read waits for what comes next; a handover's notices come one or two at a time.
        for _ in 0..<20 {
            let page = try await client.getJSON("\(base)/messages?after=\(after)&wait=10")
            if let found = page["messages"].list.first(where: matches) { return found }
            after = page["lastId"]?.int ?? after
        }
        throw ChatError.unexpected("no such message after \(after)")
    }

    /// A REST client reads where the handover stands with every page, as the webchat hears it in `handover` frames:
    /// none yet, queued, an agent who took it (named on this endpoint), resolved.
    @Test func aRESTClientReadsWhereTheHandoverStands() async throws {
        try await Self.withBaton { chatwoot, client in
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
            let session = try #require(first["sessionId"]?.stringText)
            let base = "/api/v1/endpoints/t0k3n/sessions/\(session)"
            #expect(try await client.getJSON("\(base)/messages")["handover"] == ["phase": .null, "number": 0, "agentJoined": false])

            _ = try await client.postJSON(RESTChannelTests.messagesPath, ["sessionId": .string(session), "text": "agent"])
            // Looked for after the first turn: it may be stored before the POST's answer counted the session's messages.
            let accepted = try await Self.firstMessage(client, at: base, after: try #require(first["lastId"]?.int)) {
                $0.text == "An agent will be with you shortly."
            }
            let acceptedID = try #require(accepted["id"]?.int)
            #expect(try await client.getJSON("\(base)/messages?after=\(acceptedID)")["handover"] == ["phase": "active", "number": 1, "agentJoined": false])

            let conversation = try await chatwoot.waitForConversation()
            // The history first: a user's message of it that lands after the resolve would reopen the conversation
            // (and Chatwoot would build the resolve's webhook as it then is: open).
            try await chatwoot.waitForMessages(conversation.id, count: 6)
            try await chatwoot.take(conversation.id)
            let joined = try await client.getJSON("\(base)/messages?after=\(acceptedID)&wait=10")
            #expect(joined["handover"] == ["phase": "active", "number": 1, "agentJoined": true, "agentName": .string(chatwoot.agentName)])

            try await chatwoot.resolve(conversation.id)
            let resolved = try await Self.firstMessage(client, at: base, after: try #require(joined["lastId"]?.int)) { $0.text == "Welcome back, Ada!" }
            let after = try await client.getJSON("\(base)/messages?after=\(try #require(resolved["id"]?.int))")
            #expect(after["handover"]?["phase"] == "resolved" && after["handover"]?["agentJoined"] == false)
        }
    }

    /// A flow that says, after each handover, who took the user and what they left: labels and attributes.
    static let resolutionFlow = """
            name: Resolution
            intents:
              - { name: human, keywords: [agent], goto: human }
            nodes:
              - id: loop
                question: { text: "Say something", store: last }
              - goto: loop
              - id: human
                handover: { inboxId: 1, acceptedMessage: "Queued.", onResolve: after }
              - goto: loop
              - id: after
                say: "{{ input.handover.agentName }}: labels {{ join(input.handover.labels, ', ') }}; ticket {{ input.handover.attributes.ticket }}; {{ length(input.handover.attributes) }} attribute(s)"
              - goto: loop
            """

    /// A REST user of `resolutionFlow` asks for agents; returns the answer, the Chatwoot conversation and the session's
    /// URL once Baton has heard the conversation open (the accepted message comes with it), so the agent may act.
    static func askForAgentsOfTheResolutionFlow(
        _ client: some TestClientProtocol, _ chatwoot: StandInHarness
    ) async throws -> (first: JSONValue, conversation: Int, base: String) {
        let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "agent"])
        let session = try #require(first["sessionId"]?.stringText)
        let conversation = try await chatwoot.waitForConversation(session: session)
        let base = "/api/v1/endpoints/t0k3n/sessions/\(session)"
        _ = try await firstMessage(client, at: base, after: 0) { $0.text == "Queued." }
        return (first, conversation, base)
    }

    /// When an agent resolves, the flow reads how they said it ended: the conversation's labels and custom attributes
    /// (Baton's own left out), e.g. to follow up on a refund the agent approved; and who took the user.
    @Test func theFlowFollowsUpOnTheLabelsAndAttributesTheAgentLeft() async throws {
        try await Self.withBaton(flow: Self.resolutionFlow) { chatwoot, client in
            let (first, conversation, base) = try await Self.askForAgentsOfTheResolutionFlow(client, chatwoot)
            try await chatwoot.take(conversation)
            // Chatwoot builds a webhook's payload when it sends it: a resolve right after the take would show in the
            // take's own webhook, before Baton heard of the agent.
            _ = try await Self.firstMessage(client, at: base, after: 0) { $0.text?.hasSuffix("has joined the conversation.") == true }
            try await chatwoot.agentEnds(conversation, labels: ["refund-approved", "billing"], attributes: ["ticket": "4711"])
            let after = try await Self.firstMessage(client, at: base, after: try #require(first["lastId"]?.int)) {
                $0.text?.contains(": labels") == true
            }
            #expect(after.text == "\(chatwoot.agentName): labels refund-approved, billing; ticket 4711; 1 attribute(s)")
        }
    }

    /// An agent who hands the user back at a node without resolving (`baton_resume_at`) leaves labels the flow reads
    /// as after a resolve.
    @Test func aHandBackAtANodeCarriesTheLabelsAndAttributesToo() async throws {
        try await Self.withBaton(flow: Self.resolutionFlow) { chatwoot, client in
            let (first, conversation, base) = try await Self.askForAgentsOfTheResolutionFlow(client, chatwoot)
            try await chatwoot.label(conversation, ["address-changed"])
            try await chatwoot.handBack(conversation, at: "after")
            let after = try await Self.firstMessage(client, at: base, after: try #require(first["lastId"]?.int)) { $0.text?.contains(": labels") == true }
            #expect(after.text == ": labels address-changed; ticket ; 0 attribute(s)", "Baton's own baton_resume_at is not the agents' word")
        }
    }

    @Test func racingTriggersOpenOneContactAndOneConversation() async throws {
        try await Self.withBaton { chatwoot, client in
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        _ = try await client.postJSON(RESTChannelTests.messagesPath, ["sessionId": .string(session), "text": .string("agent \(index)")])
                    }
                }
                try await group.waitForAll()
            }
            let conversation = try await chatwoot.waitForConversation()
            // Everything the user said arrives, once each, whichever message won the race: the 4 messages before,
            // the 8 racing ones and the accepted message.
            let posted = try await chatwoot.waitForMessages(conversation.id, count: 13)
            #expect(posted.count == 13)
            #expect(Set(posted.compactMap(\.content).filter { $0.hasPrefix("agent ") }).count == 8)
            #expect(await chatwoot.conversationCount() == 1)
            #expect(await chatwoot.contactIdentifiers().count == 1)
        }
    }

    /// Routing on a handover to an API inbox: the new conversation gets the team, agent, priority, labels and
    /// attributes (next to Baton's own), and an agent who is not in the account fails the handover.
    @Test func aHandoverToAnAPIInboxIsRouted() async throws {
        let flow = { (assignee: Int) in
            """
            name: Routed
            nodes:
              - question: { text: "Your name?", store: name }
              - handover:
                  inboxId: 1
                  team: 1
                  assignee: \(assignee)
                  priority: high
                  labels: [webchat]
                  attributes: { customer: "{{ context.name }}" }
              - say: "Handover: {{ input.handover.status }} {{ input.handover.reason }}"
            """
        }
        try await Self.withBaton(flow: flow(2)) { chatwoot, client in
            #expect(await chatwoot.createTeam("Support") == 1)
            // The REST channel's first message answers the flow's first question.
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
            let conversation = try await chatwoot.waitForConversation(session: session)
            let routing = try await chatwoot.waitForLabels(conversation)
            #expect(routing.team == 1 && routing.assignee == 2 && routing.priority == "high" && routing.labels == ["webchat"])
            #expect(routing.attributes["customer"] == "Ada")
            #expect(routing.attributes["baton_session"] == session)
        }
        try await Self.withBaton(flow: flow(77)) { chatwoot, client in
            // The REST channel's first message answers the flow's first question.
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
            // Long polls until the flow has said how the handover ended.
            var texts: [String] = []
            var after: Int64 = 0
            for _ in 0..<10 where !texts.contains(where: { $0.hasPrefix("Handover:") }) {
                let page = try await client.getJSON("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=\(after)&wait=10")
                for message in page["messages"].list {
                    texts.append(message.text ?? "")
                    if case .number(let id)? = message["id"] { after = Int64(id) }
                }
            }
            #expect(texts.suffix(2) == [HandoverNotices.failed, "Handover: error invalid_routing"])
            #expect(await chatwoot.conversationCount() == 0, "nothing opened")
        }
    }

    /// Open in Chatwoot is not yet with an agent: the user is queued until one takes the conversation, then told who.
    @Test func theUserIsToldWhenAnAgentTakesTheConversation() async throws {
        try await Self.withBaton { chatwoot, client in
            try await client.chat("t0k3n") { chat in
                _ = try await chat.hello(handoverUpdates: true)
                _ = try await HandoverFramesTests.frames(chat) { $0["message"]?["text"] == "Your name?" }
                try await chat.say("Ada")
                _ = try await HandoverFramesTests.frames(chat) { $0["message"]?["text"] == "Say something" }
                try await chat.say("agent")
                let queued = try await HandoverFramesTests.frames(chat) { $0["type"] == "handover" && $0["phase"] == "active" }
                #expect(queued.last?["agentJoined"] == false, "open, but nobody has taken it")
                let conversation = try await chatwoot.waitForConversation()

                // The agent has a profile picture in Chatwoot: the page gets it with their name.
                try await chatwoot.agentUploadsPicture(Self.png)
                try await chatwoot.take(conversation.id)
                let joined = try await HandoverFramesTests.frames(chat) { $0["type"] == "handover" && $0["agentJoined"] == true }
                let notices = joined.compactMap { $0["message"] }.filter { $0["sender"] == "system" }.map(\.text)
                #expect(notices == ["\(chatwoot.agentName) has joined the conversation."])
                #expect(joined.last?["agentName"] == .string(chatwoot.agentName))
                let picture = try #require(joined.last?["agentAvatar"]?.stringText)
                #expect(picture.hasPrefix(chatwoot.baseURL) && picture.contains("/rails/active_storage/representations/redirect/"))
                // Taken again (a reassignment): nothing new for the user.
                try await chatwoot.take(conversation.id)
                try await chatwoot.reply(conversation.id, "Hello Ada")
                let reply = try await HandoverFramesTests.frames(chat) { $0["message"]?["sender"] == "agent" }
                #expect(reply.compactMap { $0["message"] }.map(\.text) == ["Hello Ada"])
            }
        }
    }

    /// An endpoint that keeps agents' names from users keeps their pictures from them too.
    @Test func withoutAgentNamesTheUserGetsNeitherTheNameNorThePicture() async throws {
        try await Self.withBaton(configure: { $0.showAgentNames = false }) { chatwoot, client in
            try await client.chat("t0k3n") { chat in
                _ = try await chat.hello(handoverUpdates: true)
                _ = try await HandoverFramesTests.frames(chat) { $0["message"]?["text"] == "Your name?" }
                try await chat.say("Ada")
                _ = try await HandoverFramesTests.frames(chat) { $0["message"]?["text"] == "Say something" }
                try await chat.say("agent")
                let conversation = try await chatwoot.waitForConversation()
                try await chatwoot.agentUploadsPicture(Self.png)
                try await chatwoot.take(conversation.id)
                let joined = try await HandoverFramesTests.frames(chat) { $0["type"] == "handover" && $0["agentJoined"] == true }
                #expect(joined.last?["agentName"] == nil)
                #expect(joined.last?["agentAvatar"] == nil)
            }
        }
    }

    @Test func theAgentBotIsCreatedOnceAndRenamedWhenTheConfigChanges() async throws {
        let chatwoot = try await StandInHarness.start()
        let path = TestBaton.databasePath()
        try await Self.app(chatwoot, botName: "Support bot", databasePath: path).test(.router) { _ in
            let bots = try await chatwoot.waitForAgentBot(named: "Support bot")
            #expect(bots.count == 1)
        }
        try await Self.app(chatwoot, botName: "Support bot", databasePath: path).test(.router) { _ in
            let bots = try await chatwoot.waitForAgentBot(named: "Support bot")
            #expect(bots.count == 1, "a restart reuses the bot")
        }
        try await Self.app(chatwoot, botName: "Helper bot", databasePath: path).test(.router) { _ in
            let bots = try await chatwoot.waitForAgentBot(named: "Helper bot")
            #expect(bots.count == 1, "the bot is renamed, not created again")
            #expect(bots.first?.description == "Baton in tests")
        }
        #expect(await chatwoot.specViolations() == [])
        await chatwoot.shutdown()
    }

    @Test(arguments: [500, 429])
    func postsChatwootCannotTakeNowAreRetriedInOrder(status: Int) async throws {
        try await Self.withBaton { chatwoot, client in
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
            // The first three message posts fail; Baton must retry them, keep the order and post each once.
            for _ in 0..<3 {
                chatwoot.fail("POST", "/api/v1/accounts/*/conversations/*/messages", status: status, body: status == 429 ? "Retry later\n" : "{}")
            }
            _ = try await client.postJSON(RESTChannelTests.messagesPath, ["sessionId": .string(session), "text": "agent"])
            let conversation = try await chatwoot.waitForConversation()
            let posted = try await chatwoot.waitForMessages(conversation.id, count: 6)
            #expect(posted.map(\.content) == ["Welcome!", "Your name?", "Ada", "Say something", "agent", "An agent will be with you shortly."])
            let answers = await chatwoot.answers("POST", pathSuffix: "/messages")
            #expect(answers.prefix(3) == [status, status, status], "the first three attempts were refused")
            #expect(answers.count == 9)
        }
    }

    @Test func theUserCancelsAndChatwootsConversationIsResolved() async throws {
        try await Self.withBaton { chatwoot, client in
            try await client.chat("t0k3n") { chat in
                try await chat.askForAnAgent()
                #expect(try await chat.messages(2).map(\.text) == ["agent", "An agent will be with you shortly."])
                let conversation = try await chatwoot.waitForConversation()
                try await chat.say("cancel, please")
                let answer = try await chat.messages(4)
                #expect(answer.map(\.text) == ["cancel, please", HandoverNotices.cancelled, "Handover ended: cancelled user", "Say something"])
                // Chatwoot's conversation is resolved, so no agent keeps waiting on it.
                let status = try await chatwoot.waitForStatus(conversation.id, "resolved")
                #expect(status == "resolved")
                // And the user is with the bot again.
                try await chat.say("hello")
                #expect(try await chat.messages(3).map(\.text) == ["hello", "You said hello", "Say something"])
            }
        }
    }
}

extension Chat {
    /// The E2E flow's opening: the greeting, a name, then "agent" (its own echo and answers still to be read).
    /// - Returns: the session id.
    @discardableResult
    func askForAnAgent() async throws -> String {
        let ready = try await hello()
        guard case .string(let session)? = ready["session"] else { throw ChatError.unexpected("no session in \(ready.jsonText)") }
        _ = try await messages(2)
        try await say("Ada")
        _ = try await messages(2)
        try await say("agent")
        return session
    }
}
