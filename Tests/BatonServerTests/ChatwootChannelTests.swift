import BatonConfig
import BatonCore
import BatonServer
import BatonStoreSQLite
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// A Chatwoot inbox as Baton's channel: Baton is the inbox's agent bot (the stand-in delivers its webhooks as
/// Chatwoot does), answers with the flow, hands the same conversation to humans and gets it back.
@Suite("Chatwoot inbox channel")
struct ChatwootChannelTests {
    static let flowText = """
        name: Channel
        intents:
          - { name: human, keywords: [agent, human], goto: handover }
        nodes:
          - say: "Hi {{ profile.name }}, you write from {{ session.channel }}."
          - id: menu
            question:
              text: "What do you need?"
              store: topic
              quickReplies:
                - { title: "Orders", payload: "orders" }
                - { title: "Returns", payload: "returns" }
                - { title: "A person", payload: "agent" }
          - if: "{{ context.topic == 'agent' }}"
            then: handover
          - say: "Topic: {{ context.topic }}"
          - goto: menu
          - id: handover
            say: "Let me get a colleague."
          - handover:
              provider: chatwoot
              onResolve: after-agent
          - say: "Handover: {{ input.handover.status }} {{ input.handover.reason }}"
          - goto: menu
          - id: after-agent
            say: "Back with the bot ({{ input.handover.status }}){{ isEmpty(input.handover.labels) ? '' : ', labelled ' + join(input.handover.labels, ' ') }}."
          - goto: menu
        """

    struct Inboxes {
        let whatsapp: Int
        let instagram: Int
        let widget: Int
    }

    static func withBaton(
        flow text: String = flowText, arrivalWindow: Duration? = nil, bots: [String: BotSettings] = [:], store counting: CountingStore? = nil,
        _ body: @escaping @Sendable (StandInHarness, Inboxes, any TestClientProtocol) async throws -> Void
    ) async throws {
        let chatwoot = try await StandInHarness.start()
        let inboxes = Inboxes(
            whatsapp: await chatwoot.channelInbox("whatsapp", name: "Acme WhatsApp"), instagram: await chatwoot.channelInbox("instagram", name: "Acme Instagram"),
            widget: await chatwoot.channelInbox("webwidget", name: "Acme website"))
        chatwoot.agentBotWebhooks()
        let flow = try FlowLoader().parse(text: text, file: "channel.yaml").0
        var settings = ChatwootSettings(
            baseURL: chatwoot.baseURL, accountID: chatwoot.accountID, apiAccessToken: Secret(chatwoot.adminToken), agentBotName: "Channel bot",
            agentBotDescription: "Baton in tests", webhookSecret: Secret(chatwoot.secret))
        settings.profileAttributes = ["phone"]
        let endpoint = EndpointConfiguration(
            id: "shop", name: "Shop", urlToken: "shop", flowFile: "channel.yaml", flow: flow,
            chatwoot: ChatwootChannelSettings(inboxes: [inboxes.whatsapp, inboxes.instagram, inboxes.widget]), handover: .chatwoot(settings))
        let configuration = BatonConfiguration(
            server: ServerSettings(host: "127.0.0.1", port: 0), storage: StorageSettings(sqlitePath: TestBaton.databasePath()), log: LogSettings(),
            admin: AdminSettings(token: Secret(TestBaton.adminToken)), limits: TestBaton.generousLimits, endpoints: [endpoint], bots: bots, sourceFile: nil)
        var dependencies = try AppDependencies.live(configuration)
        if let counting { dependencies.store = counting }
        dependencies.retryPolicy = HandoverEndToEndTests.retry
        if let arrivalWindow { dependencies.arrivalWindow = arrivalWindow }
        dependencies.outboxPollInterval = TestBaton.quietOutbox
        let app = try await buildApplication(configuration: configuration, dependencies: dependencies, logger: TestBaton.logger)
        do {
            try await app.test(.live) { client in
                // Baton points its agent bot at itself and connects it to every inbox of the channel.
                for inbox in [inboxes.whatsapp, inboxes.instagram, inboxes.widget] {
                    let bot = try await chatwoot.waitForConnectedBot(inbox: inbox)
                    #expect(bot.outgoingURL == "http://127.0.0.1:\(client.port ?? 0)/channels/chatwoot/shop")
                }
                try await body(chatwoot, inboxes, client)
            }
        } catch {
            await chatwoot.shutdown()
            throw error
        }
        #expect(await chatwoot.specViolations() == [], "every request Baton sent is one Chatwoot's OpenAPI spec allows")
        await chatwoot.shutdown()
    }

    @Test func aWhatsAppConversationRunsTheFlowIsHandedOverAndComesBack() async throws {
        try await Self.withBaton { chatwoot, inboxes, _ in
            let first = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4917612345678", name: "Lena", "Hi")
            let greeting = try await chatwoot.waitForBotMessages(first.conversation, count: 2)
            #expect(greeting[0].content == "Hi Lena, you write from whatsapp.")
            // Three short options: WhatsApp reply buttons.
            #expect(greeting[1].contentType == "input_select")
            #expect(greeting[1].options == ["Orders", "Returns", "A person"])

            // WhatsApp sends the tapped button's title; the flow gets its payload.
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4917612345678", name: "Lena", "Orders")
            let topic = try await chatwoot.waitForBotMessages(first.conversation, count: 4)
            #expect(topic[2].content == "Topic: orders")

            // The handover: a note for the agents, then Chatwoot's bot handoff of the same conversation.
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4917612345678", name: "Lena", "A person")
            #expect(try await chatwoot.waitForStatus(first.conversation, "open") == "open")
            let sent = await chatwoot.botMessages(first.conversation)
            #expect(sent.last { !$0.isPrivate }?.content == "Let me get a colleague.")
            let note = try #require(sent.first { $0.isPrivate })
            #expect(note.content?.contains("handed this conversation to the team") == true)
            #expect(note.content?.contains("phone: +4917612345678") == true)
            #expect(await chatwoot.conversationCount() == 1, "no second conversation for the handover")

            // While humans have it, the bot is silent: the agent's reply, a note and the contact's message.
            let before = await chatwoot.botMessages(first.conversation).filter { !$0.isPrivate }.count
            try await chatwoot.reply(first.conversation, "Hi Lena, Maria here.")
            try await chatwoot.privateNote(first.conversation, "checking the order")
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4917612345678", name: "Lena", "Thanks Maria")
            try await chatwoot.waitForWebhooksIdle()
            #expect(await chatwoot.botMessages(first.conversation).filter { !$0.isPrivate }.count == before)

            // The agent resolves: the flow goes on at onResolve, in the conversation the contact saw.
            try await chatwoot.resolve(first.conversation)
            let after = try await chatwoot.waitForBotMessages(first.conversation, count: before + 3)
            #expect(after.suffix(3).map(\.content) == [HandoverNotices.resolved, "Back with the bot (completed).", "What do you need?"])

            // On WhatsApp the contact's next message starts a new conversation, which the bot answers.
            let again = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4917612345678", name: "Lena", "Hello again")
            #expect(again.conversation != first.conversation)
            #expect(try await chatwoot.waitForBotMessages(again.conversation, count: 2)[0].content == "Hi Lena, you write from whatsapp.")
        }
    }

    /// A contact who writes just as their session is deleted (the retention's sweep between Baton's look-up and its
    /// write) gets the bot in a new session: the webhook does not fail, which would make Chatwoot give the
    /// conversation to humans.
    @Test func aContactWritingAsTheirSessionIsDeletedGetsTheBotInANewSession() async throws {
        let store = CountingStore(try SQLiteSessionStore(path: TestBaton.databasePath()))
        try await Self.withBaton(store: store) { chatwoot, inboxes, _ in
            let first = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4917600000001", name: "Ida", "Hi")
            _ = try await chatwoot.waitForBotMessages(first.conversation, count: 2)
            store.onNextFind { session in
                let deletion = try await store.base.deleteSession(id: session.id)
                #expect(deletion == .deleted)
            }
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4917600000001", name: "Ida", "Orders")
            let answered = try await chatwoot.waitForBotMessages(first.conversation, count: 3)
            #expect(answered.count >= 3, "the bot answered in a new session")
            try await chatwoot.waitForWebhooksIdle()
            #expect(await chatwoot.conversationStatus(first.conversation) == "pending", "still the bot's")
        }
    }

    @Test func instagramGetsNumberedOptionsAndTheWidgetItsButtons() async throws {
        try await Self.withBaton { chatwoot, inboxes, _ in
            let insta = try await chatwoot.contactWrites(inbox: inboxes.instagram, from: "ig-778899", name: "Sam", "hey")
            let offered = try await chatwoot.waitForBotMessages(insta.conversation, count: 2)
            // Instagram drops input_select items: the options are in the text, numbered.
            #expect(offered[1].contentType == "text")
            #expect(offered[1].content == "What do you need?\n\n1. Orders\n2. Returns\n3. A person")
            try await chatwoot.contactWrites(inbox: inboxes.instagram, from: "ig-778899", name: "Sam", "2")
            #expect(try await chatwoot.waitForBotMessages(insta.conversation, count: 4)[2].content == "Topic: returns")

            // The widget answers an option by updating the bot's message, not with a new message.
            let site = try await chatwoot.contactWrites(inbox: inboxes.widget, from: "7f0e8c1e-5a8b-4f39-9d0e-3c1b2a4d5e6f", name: "delicate-haze-231", "hi")
            let buttons = try await chatwoot.waitForBotMessages(site.conversation, count: 2)
            #expect(buttons[1].contentType == "input_select")
            try await chatwoot.widgetChooses("Orders", value: "orders", message: buttons[1].id)
            #expect(try await chatwoot.waitForBotMessages(site.conversation, count: 4)[2].content == "Topic: orders")
            #expect(await chatwoot.botMessages(site.conversation).filter { $0.content == "Topic: orders" }.count == 1)
        }
    }

    @Test func redeliveredWebhooksHaveOneEffectAndMessagesAreAnsweredInOrder() async throws {
        try await Self.withBaton { chatwoot, inboxes, _ in
            chatwoot.agentBotWebhooks(copies: 3)
            let first = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550001", name: "Ben", "Hi")
            try await chatwoot.waitForBotMessages(first.conversation, count: 2)
            // Two answers written together.
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550001", name: "Ben", "Orders")
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550001", name: "Ben", "Returns")
            let answers = try await chatwoot.waitForBotMessages(first.conversation, count: 6)
            try await chatwoot.waitForWebhooksIdle()
            let all = await chatwoot.botMessages(first.conversation).map(\.content)
            #expect(all == ["Hi Ben, you write from whatsapp.", "What do you need?", "Topic: orders", "What do you need?", "Topic: returns", "What do you need?"])
            #expect(answers.count == 6)
        }
    }

    /// Chatwoot's workers deliver in parallel: two messages written together arrive at once, in either order.
    @Test func messagesArrivingAtOnceAreAnsweredInTheContactsOrder() async throws {
        // A wider window than production's 150 ms: the whole suite runs at once on two cores here.
        try await Self.withBaton(arrivalWindow: .milliseconds(600)) { chatwoot, inboxes, _ in
            let first = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550003", name: "Dana", "Hi")
            try await chatwoot.waitForBotMessages(first.conversation, count: 2)
            chatwoot.agentBotWebhooks(shuffleWindow: .milliseconds(300))
            for round in 0..<3 {
                try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550003", name: "Dana", "Returns")
                try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550003", name: "Dana", "Orders")
                let answers = try await chatwoot.waitForBotMessages(first.conversation, count: 2 + 4 * (round + 1)).map(\.content)
                #expect(answers.suffix(4) == ["Topic: returns", "What do you need?", "Topic: orders", "What do you need?"], "round \(round)")
            }
        }
    }

    @Test func agentsGiveTheConversationBackByMarkingItPendingOrAssigningTheBot() async throws {
        try await Self.withBaton { chatwoot, inboxes, _ in
            let bot = try await chatwoot.waitForConnectedBot(inbox: inboxes.whatsapp)
            let first = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550004", name: "Eli", "Hi")
            try await chatwoot.waitForBotMessages(first.conversation, count: 2)
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550004", name: "Eli", "A person")
            #expect(try await chatwoot.waitForStatus(first.conversation, "open") == "open")
            try await chatwoot.waitForWebhooksIdle()
            let handedOver = await chatwoot.botMessages(first.conversation).filter { !$0.isPrivate }.count

            // "Mark as pending" in the dashboard: the bot has the conversation again and the flow goes on, with the
            // labels the agent left (how they say it ended).
            try await chatwoot.label(first.conversation, ["address-changed"])
            try await chatwoot.markPending(first.conversation)
            let back = try await chatwoot.waitForBotMessages(first.conversation, count: handedOver + 3).map(\.content)
            #expect(back.suffix(3) == [HandoverNotices.resolved, "Back with the bot (completed), labelled address-changed.", "What do you need?"])

            // Handed over again, then assigned to the bot: the status stays open, the bot answers anyway.
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550004", name: "Eli", "A person")
            #expect(try await chatwoot.waitForStatus(first.conversation, "open") == "open")
            try await chatwoot.waitForWebhooksIdle()
            let again = await chatwoot.botMessages(first.conversation).filter { !$0.isPrivate }.count
            try await chatwoot.assignToBot(first.conversation, bot: bot.id)
            try await chatwoot.waitForBotMessages(first.conversation, count: again + 3)
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550004", name: "Eli", "Orders")
            let answered = try await chatwoot.waitForBotMessages(first.conversation, count: again + 5).map(\.content)
            #expect(answered.suffix(2) == ["Topic: orders", "What do you need?"])
            #expect(await chatwoot.conversationStatus(first.conversation) == "open", "assigning a bot does not change the status")
        }
    }

    @Test func repliesChatwootCannotTakeNowAreRetriedInOrderAndNeverPostedTwice() async throws {
        try await Self.withBaton { chatwoot, inboxes, _ in
            let messages = "/api/v1/accounts/*/conversations/*/messages"
            chatwoot.fail("POST", messages, status: 500, body: "{}", times: 2)
            let first = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550005", name: "Fay", "Hi")
            let greeting = try await chatwoot.waitForBotMessages(first.conversation, count: 2).map(\.content)
            #expect(greeting == ["Hi Fay, you write from whatsapp.", "What do you need?"])
            // Chatwoot creates the reply but the answer is lost: the retry finds it by its marker.
            chatwoot.closeConnections("POST", messages, afterHandling: true, times: 1)
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550005", name: "Fay", "Orders")
            let answers = try await chatwoot.waitForBotMessages(first.conversation, count: 4).map(\.content)
            #expect(answers.suffix(2) == ["Topic: orders", "What do you need?"])
            try await chatwoot.waitForWebhooksIdle()
            #expect(await chatwoot.count("Topic: orders", in: first.conversation) == 1)
            #expect(await chatwoot.botMessages(first.conversation).count == 4)
        }
    }

    /// Chatwoot's parallel workers can deliver a message made while the bot had the conversation after the
    /// handoff's status change: its "pending" is old news and must not give the conversation back to the bot.
    @Test func aLateMessageFromBeforeTheHandoffDoesNotEndIt() async throws {
        try await Self.withBaton { chatwoot, inboxes, client in
            let bot = try await chatwoot.waitForConnectedBot(inbox: inboxes.whatsapp)
            let secret = try #require(await chatwoot.botSecret(bot.id))
            let first = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550009", name: "Lou", "Hi")
            try await chatwoot.waitForBotMessages(first.conversation, count: 2)
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550009", name: "Lou", "A person")
            #expect(try await chatwoot.waitForStatus(first.conversation, "open") == "open")
            try await chatwoot.waitForWebhooksIdle()
            let before = await chatwoot.botMessages(first.conversation).filter { !$0.isPrivate }.count

            let late = try await chatwoot.lateCopy(ofMessage: first.message, as: 900_001)
            let now = Int(Date().timeIntervalSince1970)
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[HTTPField.Name(WebhookSignature.signatureHeader)!] = WebhookSignature(secret: secret).sign(body: late, timestamp: now)
            headers[HTTPField.Name(WebhookSignature.timestampHeader)!] = String(now)
            let answer = try await client.execute(uri: "/channels/chatwoot/shop", method: .post, headers: headers, body: ByteBuffer(data: late))
            #expect(answer.status == .ok)
            #expect(await chatwoot.conversationStatus(first.conversation) == "open")
            // The agent gives it back, the contact writes: the bot's words since the handoff are exactly these (a
            // handover ended by the late message would have said its notices and answered "Hi" in between; the
            // outbox posts a session's replies in order, so they would come first).
            try await chatwoot.markPending(first.conversation)
            try await chatwoot.waitForBotMessages(first.conversation, count: before + 3)
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550009", name: "Lou", "Orders")
            let after = try await chatwoot.waitForBotMessages(first.conversation, count: before + 5).map(\.content)
            #expect(
                Array(after.dropFirst(before).prefix(5))
                    == [HandoverNotices.resolved, "Back with the bot (completed).", "What do you need?", "Topic: orders", "What do you need?"])
        }
    }

    @Test func forgedStaleOrUnsignedWebhooksAreRefusedBeforeTheirBodyIsRead() async throws {
        try await Self.withBaton { chatwoot, inboxes, client in
            let bot = try await chatwoot.waitForConnectedBot(inbox: inboxes.whatsapp)
            let secret = try #require(await chatwoot.botSecret(bot.id))
            let now = Int(Date().timeIntervalSince1970)
            func post(_ body: ByteBuffer, signedWith key: String?, at time: Int = now) async throws -> TestResponse {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let key {
                    headers[HTTPField.Name(WebhookSignature.signatureHeader)!] = WebhookSignature(secret: key).sign(body: Data(buffer: body), timestamp: time)
                    headers[HTTPField.Name(WebhookSignature.timestampHeader)!] = String(time)
                }
                return try await client.execute(uri: "/channels/chatwoot/shop", method: .post, headers: headers, body: body)
            }
            let hugeGarbage = ByteBuffer(repeating: UInt8(ascii: "{"), count: 5 * 1024 * 1024)
            #expect(try await post(hugeGarbage, signedWith: nil).status == .unauthorized, "unsigned: refused before 5 MB are read")
            let event = ByteBuffer(string: #"{"event":"message_created","message_type":"incoming","id":1,"content":"hi","conversation":{"id":999,"inbox_id":\#(inboxes.whatsapp),"status":"pending","account":{"id":\#(chatwoot.accountID)}}}"#)
            #expect(try await post(event, signedWith: "not-the-bots-secret").status == .unauthorized, "forged")
            #expect(try await post(event, signedWith: secret, at: now - 3_600).status == .unauthorized, "stale")
            #expect(try await post(ByteBuffer(string: "{not json"), signedWith: secret).status == .badRequest)
            let unknown = try await post(ByteBuffer(string: #"{"event":"contact_merged","id":3}"#), signedWith: secret)
            #expect(unknown.status == .ok)
            #expect(String(buffer: unknown.body).contains("ignored"))
            #expect(try await client.execute(uri: "/channels/chatwoot/nope", method: .post, body: event).status == .notFound)
            #expect(await chatwoot.conversationCount() == 0, "nothing was answered")
        }
    }

    /// A flow's pictures reach the contact as files (multipart), fetched once, through a redirect too (unlike
    /// Chatwoot's own API, which is called with redirects refused); a link that cannot be fetched is sent as text
    /// rather than dropped.
    @Test func aFlowsAttachmentsArePostedAsFiles() async throws {
        let router = Router()
        for name in ["cat.png", "dog.png"] {
            router.get(RouterPath(name)) { _, _ in
                Response(status: .ok, headers: [.contentType: "image/png"], body: ResponseBody(byteBuffer: ByteBuffer(data: HandoverEndToEndTests.png)))
            }
        }
        router.get("moved-dog.png") { _, _ in Response(status: .found, headers: [.location: "/dog.png"]) }
        try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { files in
            let base = "http://127.0.0.1:\(files.port ?? 0)"
            let flow = """
                name: Pictures
                nodes:
                  - say:
                      text: "Here you go"
                      attachments:
                        - { type: image, url: "\(base)/cat.png", name: "cat.png" }
                        - { type: file, url: "\(base)/gone.pdf", name: "gone.pdf" }
                        - { type: image, url: "\(base)/moved-dog.png", name: "dog.png" }
                """
            try await Self.withBaton(flow: flow) { chatwoot, inboxes, _ in
                // On Instagram one message carries the text and every file.
                let insta = try await chatwoot.contactWrites(inbox: inboxes.instagram, from: "ig-1", name: "Hal", "pictures?")
                let one = try await chatwoot.waitForBotMessages(insta.conversation, count: 1)
                #expect(one[0].content == "Here you go\n\(base)/gone.pdf")
                let files = await chatwoot.attachments(of: one[0].id, in: insta.conversation)
                #expect(files.map(\.name) == ["cat.png", "dog.png"])
                #expect(files.first?.contentType == "image/png")
                #expect(files.first?.size == HandoverEndToEndTests.png.count)
                // WhatsApp sends a message's first file only: each file goes in its own message, the text as the caption.
                let whatsapp = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550006", name: "Hal", "pictures?")
                let two = try await chatwoot.waitForBotMessages(whatsapp.conversation, count: 2)
                #expect(two.map(\.content) == ["Here you go\n\(base)/gone.pdf", nil])
                #expect(await chatwoot.attachments(of: two[0].id, in: whatsapp.conversation).map(\.name) == ["cat.png"])
                #expect(await chatwoot.attachments(of: two[1].id, in: whatsapp.conversation).map(\.name) == ["dog.png"])
            }
        }
    }

    static func routedFlow(team: String) -> String {
        """
        name: Routed
        nodes:
          - id: menu
            question:
              text: "What do you need?"
              store: topic
          - handover:
              team: \(team)
              assignee: 2
              priority: "{{ context.topic == 'refund' ? 'urgent' : 'low' }}"
              labels: [bot-handover, "{{ context.topic }}"]
              attributes: { topic: "{{ context.topic }}", tier: 3 }
          - say: "Handover: {{ input.handover.status }} {{ input.handover.reason }}"
        """
    }

    @Test func theHandoverRoutesTheSameConversationToATeamAnAgentAPriorityAndLabels() async throws {
        // Ids in a fresh stand-in: the first team is 1; the seeded agent (Maria) is user 2.
        try await Self.withBaton(flow: Self.routedFlow(team: "1")) { chatwoot, inboxes, _ in
            #expect(await chatwoot.createTeam("Billing") == 1)
            #expect(chatwoot.agentID == 2)
            let first = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550007", name: "Ida", "Hi")
            try await chatwoot.waitForBotMessages(first.conversation, count: 1)
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550007", name: "Ida", "refund")
            #expect(try await chatwoot.waitForStatus(first.conversation, "open") == "open")
            let routing = await chatwoot.routing(of: first.conversation)
            #expect(routing.team == 1)
            #expect(routing.assignee == 2)
            #expect(routing.priority == "urgent")
            #expect(routing.labels == ["bot-handover", "refund"])
            #expect(routing.attributes["topic"] == "refund")
            #expect(routing.attributes["tier"] == "3")
        }
    }

    @Test func aTeamChatwootDoesNotHaveFailsTheHandoverVisiblyInsteadOfRoutingNowhere() async throws {
        try await Self.withBaton(flow: Self.routedFlow(team: "42")) { chatwoot, inboxes, _ in
            let first = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550008", name: "Jo", "Hi")
            try await chatwoot.waitForBotMessages(first.conversation, count: 1)
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550008", name: "Jo", "refund")
            let said = try await chatwoot.waitForBotMessages(first.conversation, count: 3).map(\.content)
            #expect(said.suffix(2) == [HandoverNotices.failed, "Handover: error invalid_routing"])
            #expect(await chatwoot.conversationStatus(first.conversation) == "pending", "the bot keeps the conversation")
            #expect(await chatwoot.routing(of: first.conversation).team == nil)
        }
    }

    /// The WhatsApp inbox has no members: with `whenUnavailable: skip` the bot keeps the conversation and says why.
    @Test func withNobodyInTheInboxTheBotKeepsTheConversation() async throws {
        let flow = """
            name: Unavailable
            nodes:
              - id: menu
                question: { text: "What do you need?", store: topic }
              - handover: { whenUnavailable: skip }
              - say: "Handover: {{ input.handover.status }} {{ input.handover.reason }}"
            """
        try await Self.withBaton(flow: flow) { chatwoot, inboxes, _ in
            let first = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550009", name: "Lu", "Hi")
            try await chatwoot.waitForBotMessages(first.conversation, count: 1)
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550009", name: "Lu", "refund")
            let said = try await chatwoot.waitForBotMessages(first.conversation, count: 2).map(\.content)
            #expect(said.last == "Handover: unavailable no_agent_online")
            #expect(await chatwoot.conversationStatus(first.conversation) == "pending", "the bot keeps the conversation")
            #expect(await chatwoot.memberReads(inboxes.whatsapp) == 1)
        }
    }

    /// A widget visitor whose conversation the bot has not talked in yet is greeted when they open the widget, once.
    @Test func aWidgetVisitorOpeningTheirConversationIsGreetedOnce() async throws {
        try await Self.withBaton { chatwoot, inboxes, _ in
            let source = "0d6f2c1a-8e3b-4c57-9a61-2f4e5d7c9b10"
            let conversation = try await chatwoot.widgetVisitorOpens(inbox: inboxes.widget, source: source, name: "Kai")
            let greeting = try await chatwoot.waitForBotMessages(conversation, count: 2).map(\.content)
            #expect(greeting == ["Hi Kai, you write from website.", "What do you need?"])
            try await chatwoot.widgetOpenedAgain(inbox: inboxes.widget, source: source, name: "Kai")
            try await chatwoot.waitForWebhooksIdle()
            #expect(await chatwoot.botMessages(conversation).count == 2)
        }
    }

    /// A bot reply the contact's platform refuses (WhatsApp once its 24-hour window closed, a contact who blocked the
    /// business) is counted, once however often Chatwoot says so; delivered replies' receipts and an agent's failed
    /// message are not Baton's to count.
    @Test func aBotReplyThePlatformRefusesIsCounted() async throws {
        try await Self.withBaton { chatwoot, inboxes, client in
            func failures() async throws -> String? {
                let metrics = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(TestBaton.adminToken)"])
                return String(buffer: metrics.body).split(separator: "\n").first { $0.hasPrefix("baton_chatwoot_channel_replies_failed_total{") }.map(String.init)
            }
            let first = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550003", name: "Ida", "Hi")
            let greeting = try await chatwoot.waitForBotMessages(first.conversation, count: 2)
            try await chatwoot.waitForWebhooksIdle()
            #expect(try await failures() == nil, "the platform's receipts of delivered replies are not failures")

            chatwoot.agentBotWebhooks(copies: 3)
            await chatwoot.platformFails(greeting[0].id, error: "(#131047) Re-engagement message: more than 24 hours have passed")
            try await chatwoot.waitForWebhooksIdle()
            #expect(try await failures() == #"baton_chatwoot_channel_replies_failed_total{endpoint="shop"} 1"#)

            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550003", name: "Ida", "A person")
            #expect(try await chatwoot.waitForStatus(first.conversation, "open") == "open")
            let reply = try await chatwoot.reply(first.conversation, "Hi Ida, Maria here.")
            await chatwoot.platformFails(reply, error: "(#131047) Re-engagement message: more than 24 hours have passed")
            try await chatwoot.waitForWebhooksIdle()
            #expect(try await failures() == #"baton_chatwoot_channel_replies_failed_total{endpoint="shop"} 1"#, "the agent's own")
        }
    }

    @Test func aBotThatFailsLeavesTheConversationToHumansAndBatonStaysSilent() async throws {
        try await Self.withBaton { chatwoot, inboxes, client in
            // Three 500s: Chatwoot retries twice, then opens the pending conversation.
            chatwoot.failAgentBotWebhooks(3, status: 500)
            let first = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550002", name: "Cleo", "Is anyone there?")
            #expect(try await chatwoot.waitForStatus(first.conversation, "open") == "open")
            #expect(await chatwoot.hasBotFailureActivity(first.conversation))
            // Baton hears of the opened conversation and keeps out of it: it is a handover with status error.
            try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4915550002", name: "Cleo", "Hello?")
            try await chatwoot.waitForWebhooksIdle()
            #expect(await chatwoot.botMessages(first.conversation).isEmpty)
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(TestBaton.adminToken)"])
            #expect(String(buffer: metrics.body).contains(#"baton_handovers_opened_in_desk_total{endpoint="shop"} 1"#))
            // When the agent resolves, the conversation is the bot's again: no handover node started it, so the flow
            // starts over.
            try await chatwoot.resolve(first.conversation)
            let said = try await chatwoot.waitForBotMessages(first.conversation, count: 3).map(\.content)
            #expect(said == [HandoverNotices.resolved, "Hi Cleo, you write from whatsapp.", "What do you need?"])
        }
    }
}
