import BatonConfig
import BatonCore
import BatonServer
import BotStandIn
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Bot nodes against the in-repo stand-ins of an OpenAI-compatible model server and a Rasa bot, over real HTTP,
/// through the webchat and the REST channel, with the Chatwoot stand-in for the handovers they ask for.
@Suite("Bots end to end")
struct BotEndToEndTests {
    /// The stand-in's first inbox is number 1 (the timers' tests rely on it too).
    static let flow = """
        name: Bots
        nodes:
          - say: "Hi"
          - id: assistant
            bot: assistant
          - switch: input.bot.outcome
            cases:
              - { equals: handover, goto: human }
              - { equals: error, goto: fallback }
            default: bye
          - id: human
            handover: { inboxId: 1, acceptedMessage: "Queued." }
          - say: "Back: {{ input.handover.status }}"
          - goto: assistant
          - id: fallback
            say: "Fallback: {{ input.bot.reason }} {{ input.bot.detail }}"
          - goto: assistant
          - id: bye
            end: "Bye."
        """

    /// The model stand-in as the `assistant` bot.
    static func model(_ llm: OpenAIStandIn, apiKey: String? = "sk-test-key", stream: Bool = true, timeoutSeconds: Int = 10, retrySeconds: Int = 5) -> [String: BotSettings] {
        var settings = OpenAIBotSettings(baseURL: llm.baseURL, model: "gpt-test")
        settings.apiKey = apiKey.map(Secret.init)
        settings.stream = stream
        settings.temperature = 0.2
        settings.maxTokens = 200
        var bot = BotSettings(name: "assistant", kind: .openAI(settings))
        bot.systemPrompt = try? Template(parsing: "You help the users of {{ session.endpoint }}.")
        bot.timeoutSeconds = timeoutSeconds
        bot.retrySeconds = retrySeconds
        return ["assistant": bot]
    }

    /// The Rasa stand-in as the `assistant` bot, signing with `secret`.
    static func rasa(_ rasa: RasaStandIn, secret: String = "rasa-signing-secret") -> [String: BotSettings] {
        ["assistant": BotSettings(name: "assistant", kind: .webhook(WebhookBotSettings(url: rasa.webhookURL, secret: Secret(secret))))]
    }

    /// Runs `body` with a model stand-in (its key `apiKey`), Baton configured with `bots`, and the Chatwoot stand-in.
    static func withModel(
        apiKey: String? = "sk-test-key", flavor: OpenAIStandIn.Flavor = .openai, bots: @escaping (OpenAIStandIn) -> [String: BotSettings] = { model($0) },
        _ body: @escaping @Sendable (StandInHarness, OpenAIStandIn, any TestClientProtocol) async throws -> Void
    ) async throws {
        let llm = try await OpenAIStandIn.start(.init(apiKey: apiKey, flavor: flavor))
        do {
            try await HandoverEndToEndTests.withBaton(flow: flow, bots: bots(llm)) { chatwoot, client in try await body(chatwoot, llm, client) }
        } catch {
            await llm.shutdown()
            throw error
        }
        await llm.shutdown()
    }

    static func withRasa(_ body: @escaping @Sendable (StandInHarness, RasaStandIn, any TestClientProtocol) async throws -> Void) async throws {
        let bot = try await RasaStandIn.start()
        do {
            try await HandoverEndToEndTests.withBaton(flow: flow, bots: rasa(bot)) { chatwoot, client in try await body(chatwoot, bot, client) }
        } catch {
            await bot.shutdown()
            throw error
        }
        await bot.shutdown()
    }

    /// Posts `text` over REST (a new session when `session` is nil) and returns the session id.
    static func say(_ text: String, session: String? = nil, payload: String? = nil, client: any TestClientProtocol) async throws -> String {
        var body: JSONValue = ["text": .string(text)]
        if let session { body = body.setting(.string(session), at: ["sessionId"]) }
        if let payload { body = body.setting(.string(payload), at: ["payload"]) }
        let answer = try await client.postJSON(RESTChannelTests.messagesPath, body)
        guard case .string(let id)? = answer["sessionId"] else { throw ChatError.unexpected("no session: \(answer.jsonText)") }
        return id
    }

    /// The session's whole transcript as (sender, text).
    static func transcript(_ session: String, client: any TestClientProtocol) async throws -> [(sender: String, text: String)] {
        let page = try await client.getJSON("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=0&limit=500")
        return page["messages"].list.map { ($0["sender"]?.stringText ?? "", $0.text ?? "") }
    }

    // MARK: Language models

    @Test func aStreamedAnswerGrowsInTheWebchatAndIsStoredOnce() async throws {
        try await Self.withModel { _, llm, client in
            llm.enqueue(.slowText("Hello Ada, how can I help you today?", pieceDelayMilliseconds: 80))
            try await client.chat("t0k3n") { chat in
                let ready = try await chat.hello()
                guard case .string(let session)? = ready["session"] else { throw ChatError.unexpected("no session") }
                #expect(try await chat.messages(1).map(\.text) == ["Hi"])
                try await chat.say("I am Ada", clientID: "c1")
                _ = try await chat.storedAndAcknowledged("c1")
                var drafts: [String] = []
                var final: JSONValue?
                var typing = false
                while final == nil {
                    let frame = try await chat.frame(within: .seconds(10))
                    switch frame["type"] {
                    case "typing": typing = typing || frame["on"] == true
                    case "draft": if let text = frame.text { drafts.append(text) }
                    case "message": final = frame["message"]
                    default: throw ChatError.unexpected("unexpected frame \(frame.jsonText)")
                    }
                }
                #expect(typing, "the dots show while the model thinks")
                #expect(final?.text == "Hello Ada, how can I help you today?")
                #expect(final?["sender"] == "bot")
                #expect(drafts.count >= 2, "the text grows: \(drafts)")
                #expect(drafts.allSatisfy { "Hello Ada, how can I help you today?".hasPrefix($0) && !$0.isEmpty })
                #expect(drafts == drafts.sorted { $0.count < $1.count }, "each draft is longer than the one before")
                let bots = try await Self.transcript(session, client: client).filter { $0.sender == "bot" }.map(\.text)
                #expect(bots == ["Hi", "Hello Ada, how can I help you today?"], "stored once, drafts never")
            }
            let request = try #require(await llm.requests().last)
            let body = try JSONValue(jsonText: request.bodyText)
            #expect(request.header("authorization") == "Bearer sk-test-key")
            #expect(body["model"] == "gpt-test" && body["stream"] == true && body["stream_options"]?["include_usage"] == true)
            #expect(body["temperature"] == 0.2 && body["max_tokens"] == 200)
            #expect(body["messages"].list.map { $0["role"] } == ["system", "assistant", "user"])
            #expect(body["messages"].list.map(\.content) == ["You help the users of test.", "Hi", "I am Ada"])
            #expect(body["tools"].list.compactMap { $0["function"]?["name"]?.stringText } == ["handover", "end_conversation"])
        }
    }

    @Test func aHandoverToolCallReachesChatwootWithTheSummaryAsANote() async throws {
        try await Self.withModel(bots: { Self.model($0, stream: false) }) { chatwoot, llm, client in
            llm.enqueue(.textAndToolCall(text: "Let me get you a person.", name: "handover", arguments: #"{"reason":"refund","summary":"Ada wants a refund for order 7"}"#))
            let session = try await Self.say("I want my money back", client: client)
            _ = try await client.waitForText("Queued.", session: session)
            let texts = try await Self.transcript(session, client: client).map(\.text)
            #expect(texts.suffix(3) == ["I want my money back", "Let me get you a person.", "Queued."], "\(texts)")
            let conversation = try await chatwoot.waitForConversation(session: session)
            // The history follows the notes (one conversation's desk work runs in order).
            _ = try await chatwoot.waitForIncoming(conversation, including: ["I want my money back"])
            #expect(
                await Self.privateNotes(chatwoot, conversation) == ["The bot handed this conversation over.\nReason: refund\nSummary: Ada wants a refund for order 7"])
            #expect(await llm.requests().count == 1, "one turn, one request")
        }
    }

    @Test func aStreamCutHalfWayIsWithdrawnAndNothingOfItIsStored() async throws {
        try await Self.withModel { _, llm, client in
            llm.enqueue(.cutStream(afterPieces: 4, text: "This answer will break off somewhere in the middle of it"))
            try await client.chat("t0k3n") { chat in
                let ready = try await chat.hello()
                guard case .string(let session)? = ready["session"] else { throw ChatError.unexpected("no session") }
                _ = try await chat.messages(1)
                try await chat.say("Tell me a story", clientID: "c1")
                _ = try await chat.storedAndAcknowledged("c1")
                var withdrawn = false
                var messages: [JSONValue] = []
                while messages.count < 2 {
                    let frame = try await chat.frame(within: .seconds(10))
                    switch frame["type"] {
                    case "draft": if frame["withdrawn"] == true { withdrawn = true }
                    case "message": messages.append(frame["message"] ?? .null)
                    default: continue
                    }
                }
                #expect(withdrawn, "the partial text is taken back")
                #expect(messages.first?.text == "Sorry, our assistant can't answer right now.")
                #expect(messages.last?.text?.hasPrefix("Fallback: stream_cut ") == true, "\(messages)")
                let stored = try await Self.transcript(session, client: client).map(\.text)
                #expect(!stored.contains { $0.contains("break off") })
            }
        }
    }

    /// Each failure a model server can give becomes the node's `error` with its reason, and the user is told.
    @Test(arguments: [
        (ScriptedReply.status(401, body: #"{"error":{"message":"bad key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#, headers: [:]), "refused"),
        (.rateLimited(retryAfterSeconds: 30), "rate_limited"),
        (.malformed("<html>gateway</html>"), "malformed"),
        (.delay(seconds: 12, then: .text("too late")), "timeout"),
        (.empty, "empty"),
        (.errorEvent(afterPieces: 2, text: "half an answer and then"), "server_error"),
        (.status(404, body: #"{"error":{"message":"The model does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#, headers: [:]), "rejected"),
        // Redirects are refused: the key and the user's words do not follow one elsewhere.
        (.status(307, body: "", headers: ["Location": "http://127.0.0.1:9/v1/chat/completions"]), "rejected"),
    ])
    func aFailingModelEndsTheNodeWithItsReason(reply: ScriptedReply, reason: String) async throws {
        // A timeout a loaded machine (the whole suite at once) does not reach by accident: at 1 s, four of the eight
        // answers once took longer and ended as timeouts.
        try await Self.withModel(bots: { Self.model($0, timeoutSeconds: 4, retrySeconds: 2) }) { _, llm, client in
            llm.enqueue(reply)
            let session = try await Self.say("Hello?", client: client)
            // The notice and the flow's fallback are stored in one step.
            _ = try await client.waitForText("Sorry, our assistant can't answer right now.", session: session)
            let all = try await Self.transcript(session, client: client).map(\.text)
            let line = try #require(all.first { $0.hasPrefix("Fallback: ") })
            #expect(line.hasPrefix("Fallback: \(reason) "), "\(line)")
            #expect(!all.contains("too late") && !all.contains { $0.contains("half an answer") })
        }
    }

    @Test func serverErrorsAreRetriedUntilTheBudgetAndA429WaitsForItsRetryAfter() async throws {
        // A budget that a loaded machine (the whole suite at once) cannot spend on two retries' waits by accident.
        try await Self.withModel(bots: { Self.model($0, retrySeconds: 20) }) { _, llm, client in
            llm.enqueue(.rateLimited(retryAfterSeconds: 1))
            llm.enqueue(.serverError)
            llm.enqueue(.text("Worth the wait."))
            let sent = ContinuousClock.now
            let session = try await Self.say("Hello?", client: client)
            _ = try await client.waitForText("Worth the wait.", session: session)
            #expect(ContinuousClock.now - sent >= .seconds(1), "the Retry-After was waited for")
            #expect(await llm.requests().count == 3)
        }
        // Three seconds: the first retry waits half a second after the first answer, which a loaded machine can take
        // more than half of a one-second budget to get.
        try await Self.withModel(bots: { Self.model($0, retrySeconds: 3) }) { _, llm, client in
            for _ in 0..<40 { llm.enqueue(.serverError) }
            let session = try await Self.say("Hello?", client: client)
            _ = try await client.waitForText("Sorry, our assistant can't answer right now.", session: session, timeout: .seconds(15))
            let line = try #require(try await Self.transcript(session, client: client).map(\.text).first { $0.hasPrefix("Fallback:") })
            #expect(line.hasPrefix("Fallback: server_error the bot answered HTTP 500"))
            #expect(await llm.requests().count >= 2, "retried before giving up")
        }
    }

    @Test func theKeyNeverReachesTheFlowOrTheTranscript() async throws {
        // A server that refuses the key (the stand-in masks it, as OpenAI does).
        try await Self.withModel(apiKey: "sk-the-right-one", bots: { Self.model($0, apiKey: "sk-wrong-and-secret") }) { _, _, client in
            let session = try await Self.say("Hello?", client: client)
            _ = try await client.waitForText("Sorry, our assistant can't answer right now.", session: session)
            let all = try await Self.transcript(session, client: client).map(\.text)
            #expect(all.contains { $0.hasPrefix("Fallback: refused the bot answered HTTP 401") }, "\(all)")
            #expect(!all.contains { $0.contains("sk-wrong-and-secret") })
        }
        // A server (or proxy) that echoes the whole key in its error.
        try await Self.withModel(apiKey: nil, bots: { Self.model($0, apiKey: "sk-wrong-and-secret") }) { _, llm, client in
            llm.enqueue(.status(403, body: #"{"error":{"message":"Key sk-wrong-and-secret may not use this model","type":"invalid_request_error","param":null,"code":null}}"#, headers: [:]))
            let session = try await Self.say("Hello?", client: client)
            _ = try await client.waitForText("Sorry, our assistant can't answer right now.", session: session)
            let all = try await Self.transcript(session, client: client).map(\.text)
            #expect(all.contains("Fallback: refused the bot answered HTTP 403: Key <redacted> may not use this model"), "\(all)")
        }
    }

    /// Azure's dated API: the deployment in the path, `?api-version=`, the key in `api-key`.
    @Test func azureIsCalledAtItsDeploymentWithItsHeader() async throws {
        try await Self.withModel(apiKey: "azure-key", flavor: .azure, bots: { llm in
            var bots = Self.model(llm, apiKey: "azure-key")
            guard case .openAI(var settings)? = bots["assistant"]?.kind else { return bots }
            settings.baseURL = llm.baseURL + "/deployments/gpt-test"
            settings.azureAPIVersion = "2024-10-21"
            bots["assistant"]?.kind = .openAI(settings)
            return bots
        }) { _, llm, client in
            let session = try await Self.say("Hello Azure", client: client)
            _ = try await client.waitForText("You said: Hello Azure", session: session)
            let request = try #require(await llm.requests().last)
            #expect(request.path == "/openai/deployments/gpt-test/chat/completions")
            #expect(request.queryItem("api-version") == "2024-10-21")
            #expect(request.header("api-key") == "azure-key" && request.header("authorization") == nil)
        }
    }

    @Test func theModelsEndToolEndsTheNodeAndTheUsersNextWordsStartANewTurn() async throws {
        try await Self.withModel(flavor: .ollama, bots: { Self.model($0) }) { _, llm, client in
            let session = try await Self.say("Hello", client: client)
            _ = try await client.waitForText("You said: Hello", session: session)
            // The default assistant ends the conversation on "bye", with a tool call that Ollama streams whole.
            _ = try await Self.say("ok bye", session: session, client: client)
            let texts = try await client.waitForText("Bye.", session: session)
            #expect(texts.last == "Bye.")
            #expect(await llm.requests().count == 2)
        }
    }

    /// On a Chatwoot inbox the answers are posted to the contact's conversation; what the contact writes while the
    /// model answers is the next turn, asked once the answer before it is posted.
    @Test func onWhatsAppTheAnswersArePostedInTheConversationsOrder() async throws {
        let llm = try await OpenAIStandIn.start(.init(apiKey: "sk-test-key"))
        llm.enqueue(.delay(seconds: 1, then: .text("First answer.")))
        llm.enqueue(.text("Second answer."))
        let flow = "name: Channel bot\nnodes:\n  - id: assistant\n    bot: assistant\n  - end: Bye.\n"
        do {
            try await ChatwootChannelTests.withBaton(flow: flow, bots: Self.model(llm)) { chatwoot, inboxes, _ in
                let first = try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4917600000001", name: "Lena", "Where is my order?")
                _ = try await llm.waitForRequests(count: 1)
                try await chatwoot.contactWrites(inbox: inboxes.whatsapp, from: "4917600000001", name: "Lena", "It is A-7")
                let answers = try await chatwoot.waitForBotMessages(first.conversation, count: 2, timeout: .seconds(20)).map(\.content)
                #expect(answers == ["First answer.", "Second answer."])
                let second = try #require(await llm.requests().last.map { try JSONValue(jsonText: $0.bodyText) })
                #expect(second["messages"].list.suffix(3).map(\.content) == ["Where is my order?", "First answer.", "It is A-7"], "the second turn sees the first answer")
                #expect(await llm.requests().count == 2)
            }
        } catch {
            await llm.shutdown()
            throw error
        }
        await llm.shutdown()
    }

    // MARK: Webhook bots (Rasa)

    @Test func aRasaBotAnswersSignedTurnsAndItsButtonsComeBackAsPayloads() async throws {
        try await Self.withRasa { _, rasa, client in
            let session = try await Self.say("Hello", client: client)
            #expect(try await client.waitForText("Rasa heard: Hello", session: session).contains("Rasa heard: Hello"))
            rasa.enqueue(.messages([RasaMessage(text: "Did that help?", buttons: [RasaButton(title: "Yes", payload: "/affirm"), RasaButton(title: "No", payload: "/deny")])]))
            _ = try await Self.say("What now?", session: session, client: client)
            _ = try await client.waitForText("Did that help?", session: session)
            let page = try await client.getJSON("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=0&limit=50")
            let asked = try #require(page["messages"].list.last { $0.text == "Did that help?" })
            #expect(asked["quickReplies"].list.compactMap { $0["payload"]?.stringText } == ["/affirm", "/deny"])
            _ = try await Self.say("Yes", session: session, payload: "/affirm", client: client)
            _ = try await client.waitForText("Rasa heard: /affirm", session: session)

            let requests = await rasa.requests()
            #expect(requests.count == 3)
            let senders = try Set(requests.map { try JSONValue(jsonText: $0.bodyText)["sender"] })
            #expect(senders.count == 1, "one Rasa tracker per conversation")
            #expect(!senders.contains(.string(session)), "not the session id, the REST channel's credential")
            #expect(!requests.contains { $0.bodyText.contains(session) || ($0.header("x-baton-delivery") ?? "").contains(session) })
            for request in requests {
                let body = try JSONValue(jsonText: request.bodyText)
                let timestamp = try #require(request.header("x-baton-timestamp"))
                let code = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(request.bodyText)".utf8), using: SymmetricKey(data: Data("rasa-signing-secret".utf8)))
                #expect(request.header("x-baton-signature") == "sha256=" + code.map { String(format: "%02x", $0) }.joined())
                #expect(body["metadata"]?["baton"]?["node"] == "assistant")
            }
            #expect(try JSONValue(jsonText: requests[2].bodyText)["message"] == "/affirm")
            #expect(Set(requests.compactMap { $0.header("x-baton-delivery") }).count == 3, "one delivery id per turn")
        }
    }

    @Test func aRasaCustomHandoverOpensAChatwootConversationWithTheSummary() async throws {
        try await Self.withRasa { chatwoot, rasa, client in
            rasa.enqueue(.messages([.text("Connecting you."), RasaReplies.handover(note: "Customer since 2019", reason: "billing", summary: "Invoice 12 is wrong", team: 1)]))
            let session = try await Self.say("My invoice is wrong", client: client)
            let texts = try await client.waitForText("Queued.", session: session)
            #expect(texts.suffix(3) == ["My invoice is wrong", "Connecting you.", "Queued."])
            let conversation = try await chatwoot.waitForConversation(session: session)
            _ = try await chatwoot.waitForIncoming(conversation, including: ["My invoice is wrong"])
            #expect(
                await Self.privateNotes(chatwoot, conversation) == [
                    "Customer since 2019", "The bot handed this conversation over.\nReason: billing\nSummary: Invoice 12 is wrong",
                ], "the bot's own note, then why it handed over")
        }
    }

    @Test func silenceFromRasaIsTheEmptyOutcomeAndAnUnreachableRasaIsRetriedThenReported() async throws {
        try await Self.withRasa { _, rasa, client in
            rasa.enqueue(.messages([]))
            let session = try await Self.say("Hello", client: client)
            _ = try await client.waitForText("Sorry, our assistant can't answer right now.", session: session)
            #expect(try await Self.transcript(session, client: client).map(\.text).contains("Fallback: empty the bot answered nothing"))
            rasa.enqueue(.status(502, body: "Bad Gateway", headers: ["Content-Type": "text/plain"]))
            rasa.enqueue(.messages([.text("Back again.")]))
            _ = try await Self.say("Still there?", session: session, client: client)
            _ = try await client.waitForText("Back again.", session: session)
        }
    }

    static func privateNotes(_ chatwoot: StandInHarness, _ conversation: Int) async -> [String] {
        await chatwoot.messages(conversation).filter(\.isPrivate).compactMap(\.content)
    }
}

extension JSONValue {
    var stringText: String? { if case .string(let value) = self { value } else { nil } }
    var content: String? { if case .string(let value)? = self["content"] { value } else { nil } }
}
