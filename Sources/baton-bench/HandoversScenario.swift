import AsyncHTTPClient
import ChatwootStandIn
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// What Baton adds for a bot that owns its conversations and needs only the handover (the handovers API). Its turns
/// with its users never pass through Baton; while an agent has a user, the user's messages the bot posts reach
/// Chatwoot through Baton, and the agent's replies come back to the bot's callback. One handover, turn after turn:
/// a user message posted to Baton, timed to the stand-in's receipt of Baton's call, beside the same message posted
/// to the stand-in's API by the bot itself (a conversation Baton does not know); then an agent's reply through the
/// stand-in, timed to its `handover.agent_message` notification at the callback.
struct HandoversScenario {
    struct Figures: Codable, Sendable {
        var turns = 0
        var userToChatwoot = Latencies()
        var directToChatwoot = Latencies()
        var agentToCallback = Latencies()
    }

    let rig: BatonRig
    let callback: CallbackReceiver
    let client: HTTPClient
    let turns: Int

    static let userID = "bench-outside-bot-user"

    func run() async throws -> Figures {
        var figures = Figures()
        let session = try await open()
        let conversation = try await rig.conversation(of: session)
        try await ChatwootCallsScenario(rig: rig, client: client).waitForOutboxIdle()

        for turn in 0..<turns {
            let marker = "outside:\(turn);"
            let sent = Instant.now
            try await post(["sender": "user", "text": marker, "clientMessageId": "outside-\(turn)"], to: "/handovers/\(session)/messages")
            figures.userToChatwoot.add(try await rig.standIn.post(to: "/messages", saying: marker).receivedAt.nanoseconds(since: sent))
        }

        // The bot's own conversation, in an inbox whose webhooks go nowhere: what posting to Chatwoot costs it alone.
        let own = await rig.standIn.createInbox(account: rig.seed.account.id, name: "Outside bot")
        let direct = try await rig.standIn.startConversation(inbox: own.id, contactName: "Outside bot user")
        for turn in 0..<turns {
            let marker = "direct:\(turn);"
            let sent = Instant.now
            try await postToChatwoot(marker, conversation: direct.displayId)
            figures.directToChatwoot.add(try await rig.standIn.post(to: "/messages", saying: marker).receivedAt.nanoseconds(since: sent))
        }

        let stopwatch = Stopwatch()
        callback.measure(with: stopwatch)
        for turn in 0..<turns {
            stopwatch.sent(turn)
            _ = try await rig.standIn.agent(rig.seed.agent.id).reply(rig.ref(conversation), "\(CallbackReceiver.marker)\(turn);")
            guard await stopwatch.waitForArrivals(turn + 1, timeout: .seconds(10)) else { throw BenchError("agent reply \(turn) did not reach the callback") }
        }
        figures.agentToCallback = stopwatch.latencies()
        figures.turns = turns
        return figures
    }

    /// Opens the user's handover (a transcript of one exchange); its session id.
    func open() async throws -> String {
        let body: [String: Any] = [
            "userId": Self.userID, "inboxId": rig.seed.inbox.id,
            "transcript": [["id": "m-1", "sender": "user", "text": "I need a person"], ["id": "m-2", "sender": "bot", "text": "Let me find someone."]],
        ]
        let answer = try await post(body, to: "/handovers")
        guard let session = answer["sessionId"] as? String else { throw BenchError("no sessionId in the handover's answer: \(answer)") }
        return session
    }

    /// POSTs `body` to the endpoint's `path` with the REST channel's key; the answer's JSON.
    @discardableResult
    func post(_ body: [String: Any], to path: String) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: rig.baseURLs[0] + "/api/v1/endpoints/\(BatonRig.endpoint)" + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(BatonRig.handoversKey)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        let response = try await client.execute(request, timeout: .seconds(10))
        let answer = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(response.status.code) else { throw BenchError("\(path) answered \(response.status): \(String(buffer: answer))") }
        return (try JSONSerialization.jsonObject(with: Data(buffer: answer)) as? [String: Any]) ?? [:]
    }

    /// A message posted to the stand-in's API as the bot would post it, with an administrator's token.
    func postToChatwoot(_ text: String, conversation: Int) async throws {
        let path = "/api/v1/accounts/\(rig.seed.account.id)/conversations/\(conversation)/messages"
        var request = HTTPClientRequest(url: rig.standIn.baseURL.appendingPathComponent(path).absoluteString)
        request.method = .POST
        request.headers.add(name: "api_access_token", value: rig.seed.administrator.accessToken)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: ["content": text, "message_type": "incoming"])))
        let response = try await client.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw BenchError("Chatwoot's stand-in answered \(response.status) to \(path)") }
    }
}

/// An outside bot's callback server: answers every notification 200 and hands the number after `marker` in each to
/// the stopwatch it measures with, as the notification arrives.
final class CallbackReceiver: Sendable {
    static let marker = "agent-to-bot:"

    let url: String
    private let group: ServiceGroup
    private let server: Task<Void, any Error>
    private let measuring: Measuring

    private init(url: String, group: ServiceGroup, server: Task<Void, any Error>, measuring: Measuring) {
        self.url = url
        self.group = group
        self.server = server
        self.measuring = measuring
    }

    /// Listens on a free loopback port; returns once it does.
    static func start() async throws -> CallbackReceiver {
        let measuring = Measuring()
        let router = Router()
        router.post("callback") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            if let number = number(after: marker, in: String(buffer: body)) { measuring.stopwatch?.arrived(number) }
            return .ok
        }
        var logger = Logger(label: "bench-callback")
        logger.logLevel = .warning
        let (ports, bound) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in bound.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let server = Task {
            defer { bound.finish() }
            try await group.run()
        }
        for await port in ports where port > 0 {
            return CallbackReceiver(url: "http://127.0.0.1:\(port)/callback", group: group, server: server, measuring: measuring)
        }
        throw BenchError("the callback server stopped before it was listening: \(String(describing: await server.result))")
    }

    func measure(with stopwatch: Stopwatch) { measuring.set(stopwatch) }

    /// Stops listening once open requests have ended.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await server.result
    }

    /// The stopwatch the route hands arrivals to.
    private final class Measuring: Sendable {
        private let current = Mutex<Stopwatch?>(nil)
        var stopwatch: Stopwatch? { current.withLock { $0 } }
        func set(_ stopwatch: Stopwatch) { current.withLock { $0 = stopwatch } }
    }
}
