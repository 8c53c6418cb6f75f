import ChatwootStandIn
import Foundation
import Synchronization

/// Baton as users run it: the release binary in its own process(es), with a Chatwoot stand-in in this process
/// and webchat users whose conversations were handed over through the real flow.
final class BatonRig: Sendable {
    enum Storage: Sendable {
        case sqlite
        case postgres(url: String)
    }

    let standIn: ChatwootStandIn
    let seed: DefaultSeed
    let secret: String
    let folder: URL
    let instances: [ChildProcess]
    /// `http://127.0.0.1:PORT` of each instance.
    let baseURLs: [String]
    /// The WhatsApp inbox the endpoint answers as a Chatwoot channel, when the rig has one.
    let channelInbox: Int?
    static let adminToken = "bench-admin-token-0123456789abcdef"
    static let endpoint = "bench"

    private init(
        standIn: ChatwootStandIn, seed: DefaultSeed, secret: String, folder: URL, instances: [ChildProcess], baseURLs: [String], channelInbox: Int?
    ) {
        self.channelInbox = channelInbox
        self.standIn = standIn
        self.seed = seed
        self.secret = secret
        self.folder = folder
        self.instances = instances
        self.baseURLs = baseURLs
    }

    /// Starts the stand-in and `count` Baton processes on one store; the stand-in's webhooks go to the first.
    /// - Parameter checkSpec: whether the stand-in checks every request against Chatwoot's swagger (costs CPU).
    /// - Parameter bots: where the flow's bot nodes' bots listen (the bot scenarios' stand-ins).
    /// - Parameter chatwootChannel: whether the endpoint also answers a WhatsApp inbox as a Chatwoot channel.
    static func start(
        _ settings: BenchSettings, storage: Storage, count: Int = 1, checkSpec: Bool = false, bots: BotAddresses = BotAddresses(), chatwootChannel: Bool = false
    ) async throws -> BatonRig {
        let standIn = try ChatwootStandIn(configuration: .init(checkSpec: checkSpec, messagesPerMinuteLimit: 1_000_000))
        try await standIn.start()
        let secret = "bench-secret-\(UUID().uuidString)"
        let seed = await standIn.seedDefaults(webhookURL: nil, secret: secret)
        let channelInbox = chatwootChannel ? await standIn.createInbox(account: seed.account.id, name: "Bench WhatsApp", channel: .whatsapp).id : nil
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try flow(inbox: seed.inbox.id).write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        let config = folder.appendingPathComponent("baton.yaml")
        try configuration(storage: storage, standIn: standIn, seed: seed, secret: secret, bots: bots, channelInbox: channelInbox).write(to: config, atomically: true, encoding: .utf8)
        var instances: [ChildProcess] = []
        var urls: [String] = []
        for _ in 0..<count {
            let process = try await ChildProcess.start(settings.baton, arguments: ["serve", "--config", config.path], environment: eventLoops(instances: count)) {
                $0.contains("/api/v1/endpoints/")
            }
            instances.append(process)
            urls.append(try baseURL(in: process.readyLine))
        }
        await standIn.setWebhookURL(urls[0] + "/handover/chatwoot", inbox: seed.inbox.id)
        return BatonRig(standIn: standIn, seed: seed, secret: secret, folder: folder, instances: instances, baseURLs: urls, channelInbox: channelInbox)
    }

    /// Several instances on one machine each take their share of its cores' event loops (`server.eventLoops`), as
    /// README.md asks of operators who run them so; one instance keeps SwiftNIO's default, one per core.
    static func eventLoops(instances count: Int) -> [String: String] {
        count > 1 ? ["BATON_SERVER_EVENT_LOOPS": String(max(1, ProcessInfo.processInfo.activeProcessorCount / count))] : [:]
    }

    /// Where the bench's bots listen: the model server of the flow's `assistant` node (OpenAI-compatible), the
    /// webhook bot of its `rasa` node (Rasa's REST channel), and the callback of a bot that uses the handovers API
    /// (with it, the REST channel takes `handoversKey`); nil where no scenario starts one.
    struct BotAddresses: Sendable {
        var model: String?
        var webhook: String?
        var callback: String?
    }

    /// The REST channel's API key, which the handovers API asks for, when the rig has a callback.
    static let handoversKey = "bench-handovers-key-0123456789abcdef"

    /// "  REST API (Bench): http://127.0.0.1:PORT/api/v1/endpoints/bench/messages" → "http://127.0.0.1:PORT".
    static func baseURL(in line: String) throws -> String {
        guard let start = line.range(of: "http://"), let end = line.range(of: "/api/v1/") else { throw BenchError("no URL in '\(line)'") }
        return String(line[start.lowerBound..<end.lowerBound])
    }

    func stop() async {
        instances.forEach { $0.stop() }
        await standIn.shutdown()
        try? FileManager.default.removeItem(at: folder)
    }

    func socketURL(instance: Int = 0) -> String {
        baseURLs[instance].replacingOccurrences(of: "http://", with: "ws://") + "/webchat/\(Self.endpoint)/socket"
    }

    var webhookURL: String { baseURLs[0] + "/handover/chatwoot" }

    /// Every instance's webhook URL.
    var webhookURLs: [String] { baseURLs.map { $0 + "/handover/chatwoot" } }

    func ref(_ conversation: Int) -> ConversationRef { ConversationRef(accountId: seed.account.id, displayId: conversation) }

    // MARK: Users

    /// A webchat user whose conversation an agent has.
    struct User: Sendable {
        let socket: BenchSocket
        let session: String
        let conversation: Int
    }

    /// Opens `count` webchat users, the n-th on `instances[n % instances.count]`, hands each over ("agent") and waits
    /// for their conversations. Every text frame they receive later goes to `onText`.
    func handedOverUsers(_ count: Int, instances: [Int] = [0], onText: @escaping @Sendable (String) -> Void) async throws -> [User] {
        var users: [User] = []
        for batch in stride(from: 0, to: count, by: 25) {
            try await withThrowingTaskGroup(of: User.self) { group in
                for number in batch..<min(count, batch + 25) {
                    let url = self.socketURL(instance: instances[number % instances.count])
                    group.addTask {
                        let socket = try await BenchSocket.open(url: url, hello: #"{"type":"hello"}"#, onText: onText)
                        guard let session = socket.session else { throw BenchError("no session in ready") }
                        try await socket.send(#"{"type":"message","text":"agent","clientMessageId":"\#(UUID().uuidString)"}"#)
                        return User(socket: socket, session: session, conversation: try await self.conversation(of: session))
                    }
                }
                for try await user in group { users.append(user) }
            }
        }
        return users
    }

    /// The Chatwoot conversation Baton opened for a session.
    func conversation(of session: String, timeout: Duration = .seconds(30)) async throws -> Int {
        let account = seed.account.id
        return try await standIn.waitUntil(timeout: timeout, "a conversation for \(session)") { snapshot in
            snapshot.conversations(account: account).first { $0.customAttributes["baton_session"]?.stringValue == session }?.displayId
        }
    }

    /// Has the agent answer once in each conversation and returns the webhooks the stand-in delivered for those
    /// answers, as templates for the load.
    func agentReplyTemplates(_ users: [User]) async throws -> [AgentReplyTemplate] {
        var ids: [Int: Int] = [:]
        for user in users {
            ids[user.conversation] = try await standIn.agent(seed.agent.id).reply(ref(user.conversation), "warm-up").id
        }
        let wanted = Set(ids.values)
        let deliveries = try await standIn.waitForDeliveries(count: wanted.count, event: "message_created", timeout: .seconds(30)) { delivery in
            delivery.messageId.map(wanted.contains) ?? false
        }
        guard deliveries.allSatisfy({ $0.statusCode == 200 }) else {
            throw BenchError("Baton refused a warm-up webhook: \(deliveries.map { "\($0.statusCode.map(String.init) ?? "-") \($0.error ?? "")" })")
        }
        return try users.map { user in
            guard let delivery = deliveries.first(where: { $0.messageId == ids[user.conversation] }) else { throw BenchError("no webhook for \(user.conversation)") }
            return try AgentReplyTemplate(webhookBody: delivery.body)
        }
    }

    // MARK: Files

    /// The bench flow: a bot that echoes, and hands over when the user says "agent".
    static func flow(inbox: Int) -> String {
        """
        name: Bench
        intents:
          - { name: human, keywords: [agent], goto: handover }
          - { name: checked, keywords: [queue], goto: checked-handover }
          - { name: ask, keywords: [assistant], goto: assistant }
          - { name: rasa, keywords: [rasa], goto: rasa }
        nodes:
          - id: loop
            question: { text: "Say something", store: last }
          - say: "You said {{ context.last }}"
          - goto: loop
          - id: handover
            handover:
              inboxId: \(inbox)
              acceptedMessage: "An agent will be with you shortly."
          - goto: loop
          - id: checked-handover
            handover:
              inboxId: \(inbox)
              acceptedMessage: "An agent will be with you shortly."
              whenUnavailable: handover
              announcePosition: true
          - goto: loop
          - id: assistant
            bot: assistant
          - goto: loop
          - id: rasa
            bot: rasa
          - goto: loop
        """
    }

    /// The REST channel: with a callback, the handovers API's key and that callback.
    static func rest(callback: String?) -> String {
        guard let callback else { return "{ enabled: true }" }
        return #"{ enabled: true, apiKey: \#(handoversKey), callback: { url: "\#(callback)", secret: bench-callback-secret-0123456789 } }"#
    }

    static func configuration(
        storage: Storage, standIn: ChatwootStandIn, seed: DefaultSeed, secret: String, bots: BotAddresses = BotAddresses(), channelInbox: Int? = nil
    ) -> String {
        let store: String
        switch storage {
        case .sqlite: store = "{ sqlite: { path: baton.sqlite } }"
        case .postgres(let url): store = "{ postgres: { url: \"\(url)\", maxConnections: 10 } }"
        }
        return """
            server: { host: 127.0.0.1, port: 0 }
            storage: \(store)
            log: { level: error }
            admin: { token: \(adminToken) }
            limits: { messagesPerMinute: 100000 }
            bots:
              assistant:
                # Without the bot scenario's stand-ins nothing listens there; no other scenario asks them.
                openai: { baseURL: "\(bots.model ?? "http://127.0.0.1:9/v1")", model: bench }
              rasa:
                webhook: { url: "\(bots.webhook ?? "http://127.0.0.1:9/webhooks/rest/webhook")" }
            endpoints:
              \(endpoint):
                name: Bench
                urlToken: \(endpoint)
                flow: flow.yaml
                channels: { webchat: { enabled: true }, rest: \(rest(callback: bots.callback))\(channelInbox.map { ", chatwoot: { inboxes: [\($0)] }" } ?? "") }
                handover:
                  provider: chatwoot
                  chatwoot:
                    baseURL: \(standIn.baseURL.absoluteString)
                    accountId: \(seed.account.id)
                    apiAccessToken: \(seed.administrator.accessToken)
                    agentBotName: Bench bot
                    webhookSecret: \(secret)
            """
    }
}
