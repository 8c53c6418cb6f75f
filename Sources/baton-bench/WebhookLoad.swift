import AsyncHTTPClient
import ChatwootStandIn
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// An agent reply exactly as the stand-in delivered it to Baton, with its message id and text made into
/// placeholders, so the load can send thousands of distinct replies that Chatwoot's serializer would have written.
struct AgentReplyTemplate: Sendable {
    let conversation: Int
    private let text: String

    static let idToken = "777000777000777"
    static let contentToken = "@@bench-content@@"

    /// From the body of a `message_created` webhook for an outgoing (agent) message.
    init(webhookBody: [UInt8]) throws {
        guard var payload = try JSONSerialization.jsonObject(with: Data(webhookBody)) as? [String: Any],
            let conversation = (payload["conversation"] as? [String: Any])?["id"] as? Int, let originalID = payload["id"] as? Int
        else { throw BenchError("not a message webhook: \(String(decoding: webhookBody, as: UTF8.self).prefix(200))") }
        payload["id"] = Int(Self.idToken)!
        payload["content"] = Self.contentToken
        // Chatwoot repeats the message inside `conversation.messages`; keep the copy consistent.
        if var inner = payload["conversation"] as? [String: Any], var messages = inner["messages"] as? [[String: Any]] {
            for index in messages.indices where messages[index]["id"] as? Int == originalID {
                messages[index]["id"] = Int(Self.idToken)!
                messages[index]["content"] = Self.contentToken
            }
            inner["messages"] = messages
            payload["conversation"] = inner
        }
        self.conversation = conversation
        self.text = String(decoding: try JSONSerialization.data(withJSONObject: payload), as: UTF8.self)
    }

    func body(messageID: Int, content: String) -> [UInt8] {
        Array(text.replacingOccurrences(of: Self.idToken, with: String(messageID)).replacingOccurrences(of: Self.contentToken, with: content).utf8)
    }
}

/// Sends agent-reply webhooks at a fixed rate (open loop: a slow answer does not slow the sending) or as fast as
/// a fixed number of senders can (closed loop), signed as Chatwoot signs them.
struct WebhookLoad: Sendable {
    let client: HTTPClient
    /// Where webhooks go (several instances behind a load balancer): see `url(_:)`.
    let urls: [String]
    let secret: String
    let templates: [AgentReplyTemplate]

    init(client: HTTPClient, urls: [String], secret: String, templates: [AgentReplyTemplate]) {
        self.client = client
        self.urls = urls
        self.secret = secret
        self.templates = templates
    }

    init(client: HTTPClient, url: String, secret: String, templates: [AgentReplyTemplate]) {
        self.init(client: client, urls: [url], secret: secret, templates: templates)
    }
    /// Chatwoot message ids; far above the stand-in's own so they never collide.
    static let firstMessageID = 50_000_000

    static func marker(_ number: Int) -> String { "bench:\(number);" }

    func request(_ number: Int, template: AgentReplyTemplate) -> HTTPClientRequest {
        let body = template.body(messageID: Self.firstMessageID + number, content: Self.marker(number))
        let timestamp = String(Int(Date().timeIntervalSince1970))
        var request = HTTPClientRequest(url: url(number))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Chatwoot-Delivery", value: UUID().uuidString)
        request.headers.add(name: "X-Chatwoot-Timestamp", value: timestamp)
        request.headers.add(name: "X-Chatwoot-Signature", value: WebhookSigner.signature(secret: secret, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }

    /// The instance webhook `number` goes to: spread evenly, and as a load balancer does, with no regard to the
    /// conversation. Taking turns (`number % urls.count`) would not do: the open loops go round the conversations
    /// in the same turn, so with two instances and an even number of users every webhook of a phase would reach
    /// its user's own instance, or every one the other.
    func url(_ number: Int) -> String {
        urls[Int((UInt64(number) &* 0x9E37_79B9_7F4A_7C15) >> 40) % urls.count]
    }

    /// One webhook; returns the status, or nil when no answer came.
    func send(_ number: Int, template: AgentReplyTemplate) async -> Int? {
        guard let response = try? await client.execute(request(number, template: template), timeout: .seconds(10)) else { return nil }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }

    struct Outcome: Sendable {
        var sent = 0
        var refused = 0
        var acknowledgements = Latencies()
        var elapsed: Duration = .zero
    }

    /// `rate` webhooks a second for `seconds`, round-robin over the conversations; numbered from `first`.
    func openLoop(rate: Int, seconds: Int, first: Int, stopwatch: Stopwatch) async -> Outcome {
        let outcome = Locked(Outcome())
        let start = ContinuousClock.now
        await atFixedRate(rate, total: rate * seconds) { index in
            await timedSend(first + index, template: templates[index % templates.count], stopwatch: stopwatch, into: outcome)
        }
        return outcome.withLock { outcome in
            outcome.elapsed = ContinuousClock.now - start
            return outcome
        }
    }

    /// Sends one webhook, stamping its start on the stopwatch and its answer in `outcome`.
    func timedSend(_ number: Int, template: AgentReplyTemplate, stopwatch: Stopwatch, into outcome: Locked<Outcome>) async {
        let begin = Stopwatch.now()
        stopwatch.sent(number, at: begin)
        let status = await send(number, template: template)
        let took = Stopwatch.now() - begin
        outcome.withLock { outcome in
            outcome.sent += 1
            if status == 200 { outcome.acknowledgements.add(took) } else { outcome.refused += 1 }
        }
    }

    /// `senders` loops, each sending its next webhook once the previous one was answered, for `seconds`. Each
    /// sender has its own conversations, so every conversation's replies go out one after another, in order.
    func closedLoop(senders: Int, seconds: Int, first: Int, stopwatch: Stopwatch) async -> Outcome {
        let counter = Locked(first)
        let outcome = Locked(Outcome())
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .seconds(seconds)
        await withDiscardingTaskGroup { group in
            for sender in 0..<senders {
                let own = templates.indices.filter { $0 % senders == sender }.map { templates[$0] }
                guard !own.isEmpty else { continue }
                group.addTask {
                    var turn = 0
                    while clock.now < deadline {
                        let number = counter.withLock { value in
                            defer { value += 1 }
                            return value
                        }
                        await timedSend(number, template: own[turn % own.count], stopwatch: stopwatch, into: outcome)
                        turn += 1
                    }
                }
            }
        }
        return outcome.withLock { outcome in
            outcome.elapsed = clock.now - start
            return outcome
        }
    }
}

/// A value behind a lock that escaping closures can share.
final class Locked<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result { value.withLock { body(&$0) } }
}
