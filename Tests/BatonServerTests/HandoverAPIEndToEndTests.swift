import BatonConfig
import BatonCore
import BatonServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// The handovers API: a bot outside Baton that owns its conversations opens a handover with its transcript, posts
/// later turns, reads the agent's replies and closes it; its callback URL hears every change, signed, retried and
/// in order. Over real HTTP on loopback, with the Chatwoot stand-in and a callback receiver.
@Suite("Handovers API end to end")
struct HandoverAPIEndToEndTests {
    static let apiKey = "handovers-api-key-0123456789"
    static let secret = "callback-signing-secret-0123456789"
    static let handovers = "/api/v1/endpoints/t0k3n/handovers"

    /// Runs `body` with the callback receiver, Baton (its REST API key and callback set) and the Chatwoot stand-in.
    static func withAPI(
        outboxPollInterval: Duration? = nil, _ body: @escaping @Sendable (StandInHarness, CallbackReceiver, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await CallbackReceiver.run { receiver, url in
            let rest = RESTSettings(apiKey: Secret(apiKey), callback: HandoverCallbackSettings(url: url, secret: Secret(secret)))
            try await HandoverEndToEndTests.withBaton(rest: rest, outboxPollInterval: outboxPollInterval) { chatwoot, client in
                try await body(chatwoot, receiver, client)
            }
        }
    }

    static func time(_ text: String) -> Date { try! Date(text, strategy: Date.ISO8601FormatStyle()) }

    /// Opens a handover for `user`, whose transcript is `said`, and waits for its Chatwoot conversation.
    static func open(
        _ client: some TestClientProtocol, _ chatwoot: StandInHarness, user: String, said: String
    ) async throws -> (session: String, conversation: Int, lastID: Int64) {
        let opened = try await client.api(
            .post, handovers, ["userId": .string(user), "inboxId": .number(Double(chatwoot.supportInbox)), "transcript": [["sender": "user", "text": .string(said)]]])
        let session = try #require(opened.json["sessionId"]?.stringText)
        return (session, try await chatwoot.waitForConversation(session: session), opened.json["lastId"]?.int ?? 0)
    }

    @Test func anOutsideBotHandsOverWithItsTranscriptAndHearsEverythingInOrder() async throws {
        try await Self.withAPI { chatwoot, receiver, client in
            let opened = try await client.api(
                .post, Self.handovers,
                [
                    "userId": "crm-7", "inboxId": .number(Double(chatwoot.supportInbox)), "note": "Order 42 is late; the user asked for a person.",
                    "profile": ["name": "Grace", "email": "grace@example.com"],
                    "transcript": [
                        ["id": "m1", "sender": "user", "text": "Where is my order?", "createdAt": "2026-12-03T09:30:00Z"],
                        ["id": "m2", "sender": "bot", "text": "Let me find someone who can check.", "createdAt": "2026-12-03T09:30:05.250Z"],
                    ],
                ])
            #expect(opened.status == .created)
            #expect(opened.json["userId"] == "crm-7")
            #expect(opened.json["handover"]?["status"] == "opening")
            #expect(opened.json["lastId"] == 2)
            let session = try #require(opened.json["sessionId"]?.stringText)
            let resource = "\(Self.handovers)/\(session)"

            // The agents get the transcript as a Baton handover's history, with its times, and the bot's note.
            let conversation = try await chatwoot.waitForConversation(session: session)
            let history = try await chatwoot.waitForMessages(conversation, count: 2)
            #expect(history.map(\.content) == ["Where is my order?", "Let me find someone who can check."])
            #expect(history.map(\.type) == ["incoming", "outgoing"])
            #expect(history.map(\.externalCreatedAt) == [Int(Self.time("2026-12-03T09:30:00Z").timeIntervalSince1970), Int(Self.time("2026-12-03T09:30:05Z").timeIntervalSince1970)])
            #expect(await chatwoot.contactName(of: conversation) == "Grace")
            #expect(await chatwoot.messages(conversation).contains { $0.isPrivate && $0.content == "Order 42 is late; the user asked for a person." })
            let queued = try await receiver.waitForTaken(1)
            #expect(queued.map(\.type) == ["handover.queued"])
            #expect(queued[0].json["handover"]?["conversationId"] == .number(Double(conversation)))

            // An agent takes it; the user and the bot go on writing, and the agents see both.
            try await chatwoot.take(conversation)
            _ = try await receiver.waitForTaken(2)
            let fromUser = try await client.api(.post, "\(resource)/messages", ["sender": "user", "text": "Thanks, I will wait", "clientMessageId": "u-3"])
            #expect(fromUser.json["message"]?["sender"] == "user")
            #expect(try await client.api(.post, "\(resource)/messages", ["sender": "user", "text": "Thanks, I will wait", "clientMessageId": "u-3"]).json["duplicate"] == true)
            _ = try await client.api(.post, "\(resource)/messages", ["sender": "bot", "text": "(The assistant is still here if you need it.)"])
            let relayed = try await chatwoot.waitForMessages(conversation, count: 4)
            #expect(relayed.suffix(2).map(\.content) == ["Thanks, I will wait", "(The assistant is still here if you need it.)"])
            #expect(relayed.suffix(2).map(\.type) == ["incoming", "outgoing"])

            // The agent's reply: by long poll and at the callback, with the message.
            guard case .number(let lastID)? = try await client.api(.get, resource).json["lastId"] else { throw ChatError.unexpected("no lastId") }
            async let polled = client.api(.get, "\(resource)/messages?after=\(Int(lastID))&wait=10")
            let mistaken = try await chatwoot.reply(conversation, "Hello Grace, your parcel left yesterday.")
            let page = try await polled.json
            #expect(page["messages"].list.map(\.text) == ["Hello Grace, your parcel left yesterday."])
            #expect(page["messages"].list.first?["sender"] == "agent")
            let withReply = try await receiver.waitForTaken(3)
            #expect(withReply[2].type == "handover.agent_message")
            #expect(withReply[2].json["message"]?["text"] == "Hello Grace, your parcel left yesterday.")
            let replyID = try #require(page["messages"].list.first?["id"])

            // The agent deletes it: the bot hears which message to take back, at its callback and in its reads.
            try await chatwoot.delete(mistaken, in: conversation)
            let withDeletion = try await receiver.waitForTaken(4)
            #expect(withDeletion[3].type == "handover.agent_message_deleted")
            #expect(withDeletion[3].json["message"]?["id"] == replyID)
            #expect(withDeletion[3].json["message"]?["retracted"] == true)
            #expect(withDeletion[3].json["message"]?["text"] == "", "its content is gone")
            let reread = try await client.api(.get, "\(resource)/messages?after=\(Int(lastID) + 1)").json
            #expect(reread["retractions"] == [["id": replyID]])

            // Resolve (the agent says how it ended: labels and attributes, which the bot hears, without Baton's own),
            // reopen, and the bot closes it: the conversation is resolved in Chatwoot.
            try await chatwoot.agentEnds(conversation, labels: ["parcel-late"], attributes: ["ticket": "T-9"])
            let resolved = try await receiver.waitForTaken(5)[4]
            #expect(resolved.json["handover"]?["labels"] == ["parcel-late"] && resolved.json["handover"]?["attributes"] == ["ticket": "T-9"])
            let shown = try await client.api(.get, resource).json["handover"]
            #expect(shown?["status"] == "resolved" && shown?["labels"] == ["parcel-late"])
            try await chatwoot.reopen(conversation)
            _ = try await receiver.waitForTaken(6)
            #expect(try await client.api(.get, resource).json["handover"]?["labels"] == nil, "only while resolved")
            let closed = try await client.api(.post, "\(resource)/close")
            #expect(closed.json["handover"]?["status"] == "cancelled")
            _ = try await chatwoot.waitForStatus(conversation, "resolved")

            let all = try await receiver.waitForTaken(7)
            #expect(all.map(\.type) == [
                "handover.queued", "handover.agent_assigned", "handover.agent_message", "handover.agent_message_deleted", "handover.resolved",
                "handover.reopened", "handover.cancelled",
            ])
            #expect(all.allSatisfy { CallbackReceiver.isSigned($0, secret: Self.secret) })
            #expect(!all.contains { CallbackReceiver.isSigned($0, secret: "another-secret-0123456789") })
            #expect(all.allSatisfy { $0.headers["x-baton-delivery"] == $0.json["id"]?.stringText && $0.headers["x-baton-event"] == $0.type })
            #expect(Set(all.compactMap { $0.json["id"]?.stringText }).count == 7, "each notification has its own id")
            #expect(all.allSatisfy { $0.json["sessionId"] == .string(session) && $0.json["userId"] == "crm-7" && $0.json["endpoint"] == "test" })
            #expect(all[1].json["handover"]?["agentAssigned"] == true)
            #expect(!all.contains { $0.body.contains(Self.apiKey) || $0.body.contains(Self.secret) })
        }
    }

    /// An agent's reply whose webhook comes after a later reply's goes before it: the later one is stored again
    /// behind it, and the bot hears of the move (`handover.agent_message_moved`, the copy naming the id it had),
    /// after the late reply; its reads list the old id as moved.
    @Test func theBotHearsOfTheRepliesALateOneMovesBehindIt() async throws {
        try await Self.withAPI { chatwoot, receiver, client in
            let (session, conversation, _) = try await Self.open(client, chatwoot, user: "crm-8", said: "Where is my order?")
            try await chatwoot.take(conversation)
            try await chatwoot.reply(conversation, "Hello, I am looking into it.")
            _ = try await receiver.waitForTaken(3)
            try await chatwoot.waitForWebhooksIdle()

            // The next reply's webhook is held back; the one after it comes first, then the held one. Its webhooks
            // are dropped: its `message_created`, the `conversation_updated` each reply brings, and the
            // `message_updated` that marks it `failed` (which carries it too), so it reaches Baton only when the test
            // sends its `message_created`. Chatwoot's reads of the conversation fail meanwhile, so Baton cannot find
            // it there first (it reads what webhooks may have missed at its start).
            chatwoot.fail("GET", "/api/v1/accounts/*/conversations/*/messages", status: 503, body: #"{"error":"down for the test"}"#, times: nil)
            chatwoot.dropWebhooks(3)
            let held = try await chatwoot.reply(conversation, "Your parcel left yesterday.")
            let late = try await chatwoot.droppedWebhook(ofMessage: held)
            _ = try await chatwoot.droppedWebhook("message_updated", ofMessage: held)
            _ = try await chatwoot.reply(conversation, "It arrives tomorrow.")
            let second = try await receiver.waitForTaken(4)[3]
            #expect(second.type == "handover.agent_message")
            #expect(second.json["message"]?["text"] == "It arrives tomorrow.")
            let now = Int(Date().timeIntervalSince1970)
            var headers: HTTPFields = [.contentType: "application/json", HTTPField.Name("X-Chatwoot-Delivery")!: UUID().uuidString]
            headers[HTTPField.Name(WebhookSignature.signatureHeader)!] = WebhookSignature(secret: chatwoot.secret).sign(body: late, timestamp: now)
            headers[HTTPField.Name(WebhookSignature.timestampHeader)!] = String(now)
            #expect(try await client.execute(uri: "/handover/chatwoot", method: .post, headers: headers, body: ByteBuffer(data: late)).status == .ok)

            let told = try await receiver.waitForTaken(6)
            #expect(told.map(\.type).suffix(3) == ["handover.agent_message", "handover.agent_message", "handover.agent_message_moved"])
            let (lateReply, moved) = (told[4].json["message"], told[5].json["message"])
            #expect(lateReply?["text"] == "Your parcel left yesterday.")
            #expect(moved?["text"] == "It arrives tomorrow.")
            #expect(moved?["movedFrom"] == second.json["message"]?["id"], "the copy names the id the bot had")
            let (lateID, copyID) = (try #require(lateReply?["id"]?.int), try #require(moved?["id"]?.int))
            #expect(copyID == lateID + 1, "the copy comes after the late reply")
            let reread = try await client.api(.get, "\(Self.handovers)/\(session)/messages?after=\(lateID - 1)").json
            #expect(reread["messages"].list.map(\.text) == ["Your parcel left yesterday.", "It arrives tomorrow."])
            #expect(reread["retractions"] == [["id": second.json["message"]?["id"] ?? nil, "movedTo": .number(Double(copyID))]])
        }
    }

    /// An outside bot says that its user types and which replies the user saw, as a REST client does: the agents
    /// see the contact typing and the reply read. Only with the API key.
    @Test func anOutsideBotSaysThatItsUserTypesAndSawTheReplies() async throws {
        try await CallbackReceiver.run { receiver, url in
            let rest = RESTSettings(apiKey: Secret(Self.apiKey), callback: HandoverCallbackSettings(url: url, secret: Secret(Self.secret)))
            try await HandoverEndToEndTests.withBaton(rest: rest, configure: { $0.reportSeenMessages = true }) { chatwoot, client in
                let (session, conversation, lastID) = try await Self.open(client, chatwoot, user: "crm-9", said: "Hello?")
                let resource = "\(Self.handovers)/\(session)"
                // Queued: from then on the agents hear of the user.
                _ = try await receiver.waitForTaken(1)
                try await client.expectError(.post, "\(resource)/typing", body: ["on": true], status: .unauthorized, code: "unauthorized")

                #expect(try await client.api(.post, "\(resource)/typing", ["on": true]).status == .noContent)
                let typing = try await chatwoot.waitForAnsweredRequest("POST", pathSuffix: "/conversations/\(conversation)/toggle_typing")
                #expect(typing.path.contains("/contacts/\(ChatwootIdentity.conversationSourceID(sessionID: session))/"))
                #expect(typing.query == "typing_status=on" && typing.status == 200)

                let reply = try await chatwoot.reply(conversation, "Hello, I am Anna")
                let page = try await client.api(.get, "\(resource)/messages?after=\(lastID)&wait=10").json
                let shown = try #require(page["messages"].list.last?["id"])
                try await client.expectError(.post, "\(resource)/seen", body: ["id": shown], status: .unauthorized, code: "unauthorized")
                #expect(try await client.api(.post, "\(resource)/seen", ["id": shown]).status == .noContent)
                try await chatwoot.waitForMessageStatus(reply, "read")
            }
        }
    }

    /// An agent's typing reaches the bot as it happens, signed like every notification, while the handover is
    /// active; it is told once: a refused one is not tried again (it would say what is no longer true), and it never
    /// holds up what is stored.
    @Test func anOutsideBotHearsWhileAnAgentTypes() async throws {
        try await Self.withAPI { chatwoot, receiver, client in
            let (session, conversation, _) = try await Self.open(client, chatwoot, user: "crm-10", said: "Hello?")
            _ = try await receiver.waitForTaken(1)  // queued: the handover is active
            @Sendable func typingNotices(_ deliveries: [CallbackReceiver.Delivery]) -> [CallbackReceiver.Delivery] {
                deliveries.filter { $0.type == "handover.agent_typing" }
            }

            try await chatwoot.typing(conversation, on: true)
            let on = try await receiver.waitUntil("typing on") { typingNotices($0).first }
            #expect(on.json["typing"] == true && on.json["sessionId"] == .string(session) && on.json["userId"] == "crm-10")
            #expect(on.json["handover"]?["status"] == "active" && on.json["message"] == nil)
            #expect(on.headers["x-baton-event"] == "handover.agent_typing" && CallbackReceiver.isSigned(on, secret: Self.secret))
            try await chatwoot.typing(conversation, on: false)
            let off = try await receiver.waitUntil("typing off") { typingNotices($0).count == 2 ? typingNotices($0).last : nil }
            #expect(off.json["typing"] == false && off.json["id"] != on.json["id"])

            // Refused once: dropped; the agent's message after it is delivered, and the typing is not sent again.
            await receiver.fail(1, status: 500)
            try await chatwoot.typing(conversation, on: true)
            _ = try await receiver.waitUntil("the refused typing") { typingNotices($0).count == 3 ? true : nil }
            _ = try await chatwoot.reply(conversation, "Here I am")
            let all = try await receiver.waitUntil("the agent's message") { $0.contains { $0.type == "handover.agent_message" } ? $0 : nil }
            #expect(typingNotices(all).map(\.status) == [200, 200, 500])
        }
    }

    /// The bot's user asks to be forgotten: with the API key, once no handover runs, everything Baton keeps of them
    /// goes; a later handover for the same user starts afresh.
    @Test func anOutsideBotErasesItsUser() async throws {
        try await Self.withAPI { chatwoot, receiver, client in
            let (session, _, _) = try await Self.open(client, chatwoot, user: "crm-11", said: "Forget me, please")
            let resource = "\(Self.handovers)/\(session)"
            _ = try await receiver.waitForTaken(1)
            let key: HTTPFields = [.authorization: "Bearer \(Self.apiKey)"]
            try await client.expectError(.delete, resource, status: .unauthorized, code: "unauthorized")
            try await client.expectError(.delete, resource, headers: key, status: .conflict, code: "handover_in_progress")
            #expect(try await client.api(.post, "\(resource)/close").status == .ok)
            #expect(try await client.api(.delete, resource).status == .noContent)
            try await client.expectError(.get, resource, headers: key, status: .notFound, code: "session_not_found")
            try await client.expectError(.delete, resource, headers: key, status: .notFound, code: "session_not_found")

            let again = try await Self.open(client, chatwoot, user: "crm-11", said: "Hello again")
            #expect(again.session != session && again.lastID == 1, "a new session, with only the new transcript")
        }
    }

    /// An outside bot passes its user's files to the agent as the REST channel does (`UserFilesTests`), with the
    /// API key checked before the file is read; only while a handover runs.
    @Test func anOutsideBotPassesItsUsersFilesToTheAgent() async throws {
        try await Self.withAPI { chatwoot, _, client in
            let (session, conversation, _) = try await Self.open(client, chatwoot, user: "crm-10", said: "Here is my receipt")
            let route = "\(Self.handovers)/%@/files"
            let key: HTTPFields = [.authorization: "Bearer \(Self.apiKey)"]
            let anonymous = try await UserFilesTests.upload(client, session: session, bytes: UserFilesTests.png, type: "image/png", route: route)
            #expect(anonymous.status == .unauthorized)

            let sent = try await UserFilesTests.upload(client, session: session, bytes: UserFilesTests.png, type: "image/png", name: "receipt.png", route: route, headers: key)
            #expect(sent.status == .created, "\(String(buffer: sent.body))")
            #expect(try JSONValue(jsonText: String(buffer: sent.body))["message"]?["attachments"].list.first?["name"] == "receipt.png")
            let files = try await chatwoot.waitForIncomingFiles(conversation)
            #expect(files.map(\.name) == ["receipt.png"] && files.first?.size == UserFilesTests.png.count)

            _ = try await client.api(.post, "\(Self.handovers)/\(session)/close")
            let late = try await UserFilesTests.upload(client, session: session, bytes: UserFilesTests.png, type: "image/png", route: route, headers: key)
            #expect(late.status == .conflict && String(buffer: late.body).contains("no_agent"))
        }
    }

    /// A user's message Chatwoot refuses for good is dead-lettered: the user is told with a notice, and the bot
    /// hears which of its messages the agents never got (`handover.user_message_undelivered`).
    @Test func theBotHearsOfAUsersMessageTheAgentsNeverGot() async throws {
        try await Self.withAPI { chatwoot, receiver, client in
            let (session, conversation, _) = try await Self.open(client, chatwoot, user: "crm-11", said: "Hello?")
            _ = try await chatwoot.waitForMessages(conversation, count: 1)
            _ = try await receiver.waitForTaken(1)

            chatwoot.fail("POST", "/api/v1/accounts/*/conversations/*/messages", status: 422, body: #"{"message":"Validation failed"}"#, times: 1)
            let refused = try await client.api(.post, "\(Self.handovers)/\(session)/messages", ["sender": "user", "text": "My order number is 42", "clientMessageId": "u-2"])
            let told = try await receiver.waitForTaken(2)[1]
            #expect(told.type == "handover.user_message_undelivered")
            #expect(told.json["message"]?["id"] == refused.json["message"]?["id"])
            #expect(told.json["message"]?["clientMessageId"] == "u-2" && told.json["message"]?["text"] == "My order number is 42")
            let after = refused.json["lastId"]?.int ?? 0
            let page = try await client.api(.get, "\(Self.handovers)/\(session)/messages?after=\(after)").json
            #expect(page["messages"].list.map(\.text) == [HandoverNotices.undelivered("My order number is 42")])
            #expect(!(await chatwoot.incomingTexts(conversation)).contains("My order number is 42"))
        }
    }

    /// Every notification is sent as its change is stored, not when the outbox next looks for work (once a second,
    /// for the jobs of other instances): with that look an hour apart, the bot still hears each change, the agent's
    /// reply included (it once waited for the look).
    @Test func eachNotificationGoesOutAsItsChangeIsStoredNotAtTheOutboxsNextLook() async throws {
        try await Self.withAPI(outboxPollInterval: .seconds(3600)) { chatwoot, receiver, client in
            let opened = try await client.api(
                .post, Self.handovers, ["userId": "crm-8", "inboxId": .number(Double(chatwoot.supportInbox)), "transcript": [["id": "m1", "sender": "user", "text": "Hello?"]]])
            let session = try #require(opened.json["sessionId"]?.stringText)
            let conversation = try await chatwoot.waitForConversation(session: session)
            #expect(try await receiver.waitForTaken(1).map(\.type) == ["handover.queued"])
            try await chatwoot.take(conversation)
            #expect(try await receiver.waitForTaken(2).last?.type == "handover.agent_assigned")
            try await chatwoot.reply(conversation, "Hello, how can I help?")
            let replied = try await receiver.waitForTaken(3)
            #expect(replied.last?.type == "handover.agent_message")
            #expect(replied.last?.json["message"]?["text"] == "Hello, how can I help?")
            _ = try await client.api(.post, "\(Self.handovers)/\(session)/messages", ["sender": "user", "text": "My order is late", "clientMessageId": "u-2"])
            // The transcript, the agent's reply, then the user's message, which Baton posted as it was stored.
            #expect(try await chatwoot.waitForMessages(conversation, count: 3).last?.content == "My order is late")
            try await chatwoot.resolve(conversation)
            #expect(try await receiver.waitForTaken(4).last?.type == "handover.resolved")
        }
    }

    @Test func notificationsAreRetriedInOrderAndADownCallbackNeverHoldsTheUsersMessagesBack() async throws {
        try await Self.withAPI { chatwoot, receiver, client in
            await receiver.fail(3, status: 500)
            await receiver.fail(1, status: 429, headers: ["Retry-After": "0"])
            let opened = try await client.api(.post, Self.handovers, ["userId": "crm-8", "inboxId": .number(Double(chatwoot.supportInbox))])
            let session = try #require(opened.json["sessionId"]?.stringText)
            let conversation = try await chatwoot.waitForConversation(session: session)
            // The callback is failing, yet the user's message reaches the agents.
            _ = try await client.api(.post, "\(Self.handovers)/\(session)/messages", ["sender": "user", "text": "Is anyone there?"])
            _ = try await chatwoot.waitForIncoming(conversation, including: ["Is anyone there?"])
            try await chatwoot.reply(conversation, "Yes, I am here.")
            try await chatwoot.resolve(conversation)

            let taken = try await receiver.waitForTaken(3)
            #expect(taken.map(\.type) == ["handover.queued", "handover.agent_message", "handover.resolved"])
            let everything = await receiver.all()
            #expect(everything.prefix(5).map(\.status) == [500, 500, 500, 429, 200])
            #expect(Set(everything.prefix(5).compactMap { $0.headers["x-baton-delivery"] }).count == 1, "every attempt is the same notification")
            #expect(everything.allSatisfy { CallbackReceiver.isSigned($0, secret: Self.secret) })
        }
    }

    @Test func aNotificationNotYetTakenSurvivesARestart() async throws {
        try await CallbackReceiver.run { receiver, url in
            let chatwoot = try await StandInHarness.start()
            let rest = RESTSettings(apiKey: Secret(Self.apiKey), callback: HandoverCallbackSettings(url: url, secret: Secret(Self.secret)))
            let path = TestBaton.databasePath()
            await receiver.fail(10_000, status: 503)
            do {
                try await Self.restart(chatwoot, receiver, databasePath: path, rest: rest)
            } catch {
                await chatwoot.shutdown()
                throw error
            }
            await chatwoot.shutdown()
        }
    }

    /// Opens a handover on a Baton whose callback refuses everything, stops it, then starts another over the same
    /// database with the callback taking notifications.
    static func restart(_ chatwoot: StandInHarness, _ receiver: CallbackReceiver, databasePath path: String, rest: RESTSettings) async throws {
        try await HandoverEndToEndTests.app(chatwoot, databasePath: path, rest: rest).test(.live) { client in
            await chatwoot.pointWebhooks(to: "http://127.0.0.1:\(client.port ?? 0)/handover/chatwoot")
            _ = try await client.api(.post, Self.handovers, ["userId": "crm-10", "inboxId": .number(Double(chatwoot.supportInbox))])
            _ = try await receiver.waitUntil("a first attempt") { $0.first }
        }
        await receiver.recover()
        // A new server over the same database: the notification is still owed, and is the same one.
        try await HandoverEndToEndTests.app(chatwoot, databasePath: path, rest: rest).test(.live) { client in
            await chatwoot.pointWebhooks(to: "http://127.0.0.1:\(client.port ?? 0)/handover/chatwoot")
            let taken = try await receiver.waitForTaken(1)
            #expect(taken.map(\.type) == ["handover.queued"])
            let first = await receiver.all().first
            #expect(taken[0].headers["x-baton-delivery"] == first?.headers["x-baton-delivery"])
        }
    }

    @Test func aHandoverThatCannotOpenIsReportedAndTheNextOneTakesOnlyWhatIsNew() async throws {
        try await Self.withAPI { chatwoot, receiver, client in
            let transcript: JSONValue = [["id": "m1", "sender": "user", "text": "Help"], ["id": "m2", "sender": "bot", "text": "One moment"]]
            let first = try await client.api(.post, Self.handovers, ["userId": "crm-9", "inboxId": 999_999, "transcript": transcript])
            let session = try #require(first.json["sessionId"]?.stringText)
            let failed = try await receiver.waitForTaken(1)
            #expect(failed.map(\.type) == ["handover.failed"])
            #expect(failed[0].json["handover"]?["reason"] == "invalid_inbox")
            #expect(try await client.api(.get, "\(Self.handovers)/\(session)").json["handover"]?["status"] == "failed")

            // The same transcript, one message longer, for a working inbox: the agents get all three, once.
            var longer = transcript.list
            longer.append(["id": "m3", "sender": "user", "text": "Still there?"])
            let second = try await client.api(.post, Self.handovers, ["userId": "crm-9", "inboxId": .number(Double(chatwoot.supportInbox)), "transcript": .array(longer)])
            #expect(second.status == .created)
            #expect(second.json["sessionId"] == .string(session))
            #expect(second.json["handover"]?["number"] == 2)
            let retried = try await client.api(.post, Self.handovers, ["userId": "crm-9", "inboxId": .number(Double(chatwoot.supportInbox)), "transcript": .array(longer)])
            #expect(retried.status == .ok, "a handover is opening already: nothing changes")
            #expect(retried.json["handover"]?["number"] == 2)
            let conversation = try await chatwoot.waitForConversation(session: session)
            let history = try await chatwoot.waitForMessages(conversation, count: 3)
            #expect(history.map(\.content) == ["Help", "One moment", "Still there?"])
            let page = try await client.api(.get, "\(Self.handovers)/\(session)/messages").json
            #expect(page["messages"].list.filter { $0["sender"] != "system" }.map(\.text) == ["Help", "One moment", "Still there?"])
            #expect(try await receiver.waitForTaken(2).map(\.type) == ["handover.failed", "handover.queued"])
        }
    }

    @Test func theAPIRefusesWhatItCannotTakeAndKeepsItsSessionsToItself() async throws {
        try await Self.withAPI { chatwoot, _, client in
            let inbox = JSONValue.number(Double(chatwoot.supportInbox))
            try await client.expectError(.post, Self.handovers, body: ["userId": "u", "inboxId": inbox], status: .unauthorized, code: "unauthorized")
            try await client.expectError(
                .post, Self.handovers, body: ["userId": "u", "inboxId": inbox], headers: [.authorization: "Bearer wrong"], status: .unauthorized, code: "unauthorized")
            let auth: HTTPFields = [.authorization: "Bearer \(Self.apiKey)"]
            try await client.expectError(.post, Self.handovers, raw: "{not json", headers: auth, status: .badRequest, code: "invalid_json")
            try await client.expectError(.post, Self.handovers, body: ["userId": "u"], headers: auth, status: .badRequest, code: "invalid_json")
            try await client.expectError(.post, Self.handovers, body: ["userId": "", "inboxId": inbox], headers: auth, status: .badRequest, code: "invalid_user_id")
            try await client.expectError(
                .post, Self.handovers, body: ["userId": "u", "inboxId": inbox, "transcript": [["sender": "agent", "text": "hi"]]], headers: auth,
                status: .badRequest, code: "invalid_sender")
            try await client.expectError(
                .post, Self.handovers, body: ["userId": "u", "inboxId": inbox, "transcript": [["sender": "user", "text": "hi", "createdAt": "yesterday"]]],
                headers: auth, status: .badRequest, code: "invalid_time")
            for lenient in ["2026-02-31T00:00:00Z", "2026-12-03T09:30:60Z", "2026-12-03T09:30:00+23:00", "2026-12-03 09:30:00Z"] {
                // Foundation's parser would take these (as another day, or the next minute); a date-time validator would not.
                try await client.expectError(
                    .post, "\(Self.handovers)", body: ["userId": "u", "inboxId": inbox, "transcript": [["sender": "user", "text": "hi", "createdAt": .string(lenient)]]],
                    headers: auth, status: .badRequest, code: "invalid_time")
            }
            try await client.expectError(
                .get, "\(Self.handovers)/s_00000000000000000000000000000000", headers: auth, status: .notFound, code: "session_not_found")

            // A REST user is not an outside bot's, and an outside bot's session is not the REST channel's.
            let rest = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "hello"])
            let restSession = try #require(rest["sessionId"]?.stringText)
            let restUser = try #require(rest["userId"]?.stringText)
            try await client.expectError(.get, "\(Self.handovers)/\(restSession)", headers: auth, status: .notFound, code: "session_not_found")
            try await client.expectError(
                .post, Self.handovers, body: ["userId": .string(restUser), "inboxId": inbox], headers: auth, status: .conflict, code: "user_on_another_channel")
            let opened = try await client.api(.post, Self.handovers, ["userId": "bot-user", "inboxId": inbox])
            let session = try #require(opened.json["sessionId"]?.stringText)
            try await client.expectError(
                .get, "/api/v1/endpoints/t0k3n/sessions/\(session)/messages", status: .notFound, code: "session_not_found")
            try await client.expectError(
                .post, RESTChannelTests.messagesPath, body: ["sessionId": .string(session), "text": "hi"], status: .notFound, code: "session_not_found")
            try await client.expectError(
                .post, RESTChannelTests.messagesPath, body: ["userId": "bot-user", "text": "hi"], headers: auth, status: .conflict, code: "user_owned_by_outside_bot")
            try await client.expectError(
                .post, "\(Self.handovers)/\(session)/messages", body: ["sender": "agent", "text": "hi"], headers: auth, status: .badRequest, code: "invalid_sender")
            try await client.chat("t0k3n") { chat in
                let ready = try await chat.hello(session: session)
                #expect(ready["resumed"] == false, "the webchat does not resume an outside bot's session by its id")
                #expect(ready["session"] != .string(session))
            }
        }
        // Without an API key the handovers API is off.
        try await HandoverEndToEndTests.withBaton { chatwoot, client in
            try await client.expectError(
                .post, Self.handovers, body: ["userId": "u", "inboxId": .number(Double(chatwoot.supportInbox))],
                headers: [.authorization: "Bearer \(Self.apiKey)"], status: .forbidden, code: "handovers_not_enabled")
        }
    }
}

extension TestClientProtocol {
    /// A handovers API call with the API key; throws unless it answers 2xx. An answer without a body is `null`.
    func api(_ method: HTTPRequest.Method, _ path: String, _ body: JSONValue? = nil) async throws -> (status: HTTPResponse.Status, json: JSONValue) {
        var headers: HTTPFields = [.authorization: "Bearer \(HandoverAPIEndToEndTests.apiKey)"]
        if body != nil { headers[.contentType] = "application/json" }
        let response = try await execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0.jsonText) })
        guard (200..<300).contains(response.status.code) else {
            throw ChatError.unexpected("\(method) \(path) answered \(response.status): \(String(buffer: response.body))")
        }
        // A 204 has no body.
        return (response.status, response.body.readableBytes == 0 ? .null : try JSONValue(jsonText: String(buffer: response.body)))
    }
}
