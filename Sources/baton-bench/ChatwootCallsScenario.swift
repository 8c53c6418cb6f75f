import AsyncHTTPClient
import ChatwootStandIn
import Foundation
import NIOCore
import NIOHTTP1
import NIOFoundationCompat
import Synchronization

/// What Baton asks of Chatwoot: user messages timed from the socket to the stand-in's receipt, and the calls a
/// handover and a relayed message cost.
struct ChatwootCallsScenario {
    let rig: BatonRig
    let client: HTTPClient

    struct Figures: Sendable, Codable {
        /// At 250 msg/s, below what one machine of Baton, the stand-in and the clients sustain together.
        var userToChatwoot250 = Latencies()
        var userToChatwoot = Latencies()
        var userMessagesSent = 0
        var userMessagesReceived = 0
        /// User messages that reached Chatwoot more than once.
        var userMessagesDuplicated = 0
        /// Chatwoot calls while users sent messages, per message sent.
        var callsPerUserMessage: Double = 0
        /// Those calls by endpoint.
        var userMessageCalls: [String: Int] = [:]
        /// Chatwoot calls while agents replied, per reply.
        var callsPerAgentReply: Double = 0
        /// History turns → the calls opening that handover took, by endpoint.
        var handoverCalls: [Int: [String: Int]] = [:]
        /// A handover whose node checks availability and announces the queue position: the first, then a second one
        /// while the availability answer is cached, by endpoint.
        var checkedHandoverCalls: [[String: Int]] = []
    }

    /// Users send `rate` messages a second for `seconds` over their sockets; the stand-in's own receipt time of
    /// each (it runs in this process, on the same clock) minus the moment it was written to the socket.
    func userMessages(
        _ users: [BatonRig.User], rate: Int, seconds: Int
    ) async throws -> (latencies: Latencies, sent: Int, received: Int, duplicated: Int, calls: [String: Int]) {
        await rig.standIn.clearRecords()
        let total = rate * seconds
        let sentAt = SentTimes(count: total)
        let unsent = Locked(0)
        // Each phase its own marker and client ids: a later phase must neither count an earlier one's messages nor
        // have its own deduplicated as resends of them.
        let marker = "user\(rate):"
        await atFixedRate(rate, total: total) { number in
            sentAt.record(number)
            do {
                try await users[number % users.count].socket.send(#"{"type":"message","text":"\#(marker)\#(number);","clientMessageId":"u\#(rate)-\#(number)"}"#)
            } catch {
                unsent.withLock { $0 += 1 }
            }
        }
        if unsent.withLock({ $0 }) > 0 { throw BenchError("\(unsent.withLock { $0 }) user messages could not be written to their sockets") }
        // Counted as they arrive: a snapshot of the stand-in's state per request would cost the load generator more
        // than Baton spends on the message.
        let isPost: @Sendable (RecordedRequest) -> Bool = { $0.method == "POST" && $0.path.hasSuffix("/messages") && $0.bodyText.contains(marker) }
        _ = try await rig.standIn.waitForRequests(count: total, timeout: .seconds(60), where: isPost)
        let received = await rig.standIn.requests()
        var latencies = Latencies()
        var arrived = Set<Int>()
        var duplicated = 0
        for request in received where isPost(request) {
            guard let number = number(after: marker, in: request.bodyText), let sent = sentAt.time(number) else { continue }
            guard arrived.insert(number).inserted else {
                duplicated += 1
                continue
            }
            latencies.add(request.receivedAt.nanoseconds(since: sent))
        }
        var calls: [String: Int] = [:]
        for request in received { calls["\(request.method) \(Self.pattern(request.path))", default: 0] += 1 }
        return (latencies, total, arrived.count, duplicated, calls)
    }

    /// Agent replies through the stand-in (as an agent in Chatwoot's UI): Baton should need no call for them.
    func agentReplies(_ users: [BatonRig.User], count: Int, desk: ArrivalDesk) async throws -> Int {
        await rig.standIn.clearRecords()
        let stopwatch = Stopwatch()
        desk.measure(with: stopwatch)
        for number in 0..<count {
            let user = users[number % users.count]
            stopwatch.sent(number)
            _ = try await rig.standIn.agent(rig.seed.agent.id).reply(rig.ref(user.conversation), WebhookLoad.marker(number))
        }
        guard await stopwatch.waitForArrivals(count, timeout: .seconds(30)) else { throw BenchError("agent replies did not all reach the sockets") }
        try await waitForOutboxIdle()
        return await rig.standIn.requests().count
    }

    /// The calls Baton makes to open a handover after `turns` exchanges with the bot, by method and path.
    func handoverCalls(turns: Int, keyword: String = "agent") async throws -> [String: Int] {
        let desk = ArrivalDesk()
        let socket = try await BenchSocket.open(url: rig.socketURL(), hello: #"{"type":"hello"}"#) { desk.receive($0) }
        defer { Task { await socket.close() } }
        guard let session = socket.session else { throw BenchError("no session") }
        for turn in 0..<turns {
            // The bot's answer echoes the marker; waiting for it keeps each turn whole.
            let stopwatch = Stopwatch()
            desk.measure(with: stopwatch)
            try await socket.send(#"{"type":"message","text":"bench:\#(turn);","clientMessageId":"t\#(turn)-\#(session)"}"#)
            guard await stopwatch.waitForArrivals(1, timeout: .seconds(10)) else { throw BenchError("the bot did not answer turn \(turn)") }
        }
        try await waitForOutboxIdle()
        await rig.standIn.clearRecords()
        try await socket.send(#"{"type":"message","text":"\#(keyword)","clientMessageId":"a-\#(session)"}"#)
        _ = try await rig.conversation(of: session)
        try await waitForOutboxIdle()
        var calls: [String: Int] = [:]
        for request in await rig.standIn.requests() {
            calls["\(request.method) \(Self.pattern(request.path))", default: 0] += 1
        }
        return calls
    }

    /// `/api/v1/accounts/1/conversations/7/messages` → `/api/v1/accounts/{id}/conversations/{id}/messages`.
    static func pattern(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { $0.allSatisfy(\.isNumber) && !$0.isEmpty ? "{id}" : String($0) }.joined(separator: "/")
    }

    /// Waits until Baton has no Chatwoot work pending (its admin API), polling: Baton has no event for it.
    func waitForOutboxIdle(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        for base in rig.baseURLs {
            while true {
                var request = HTTPClientRequest(url: base + "/admin/outbox?state=pending")
                request.headers.add(name: "Authorization", value: "Bearer \(BatonRig.adminToken)")
                let response = try await client.execute(request, timeout: .seconds(10))
                let body = try await response.body.collect(upTo: 1 << 22)
                let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
                if json?["pending"] as? Int == 0 { break }
                guard ContinuousClock.now < deadline else { throw BenchError("Baton's outbox did not empty: \(String(buffer: body).prefix(300))") }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }
}

/// Send times on the stand-in's clock (`Instant`: the wall clock it stamps its requests with).
final class SentTimes: Sendable {
    private let times: Mutex<[Instant?]>

    init(count: Int) { times = Mutex(Array(repeating: nil, count: count)) }

    func record(_ number: Int) {
        let now = Instant.now
        times.withLock { $0[number] = now }
    }

    func time(_ number: Int) -> Instant? { times.withLock { number < $0.count ? $0[number] : nil } }
}
