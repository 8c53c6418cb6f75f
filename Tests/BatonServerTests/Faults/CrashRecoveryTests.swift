import BatonCore
import Foundation
import Synchronization
import Testing

/// The Baton process is killed with SIGKILL while users and agents keep writing, and started again on the same
/// database: every user message the server acknowledged reaches Chatwoot once, in order; every agent reply
/// reaches the user once, in order (those whose webhooks hit the dead server through reconciliation).
@Suite("Faults: crash", .serialized)
struct CrashRecoveryTests {
    static let sessions = 6
    static let userMessages = 15
    static let agentReplies = 8

    @Test func sigkillUnderLoadLosesNothing() async throws {
        let chatwoot = try await StandInHarness.start()
        defer { Task { await chatwoot.shutdown() } }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-crash-\(UUID().uuidString)")
        let config = try Self.writeConfig(in: folder, chatwoot: chatwoot)
        let current = Box(try await BatonProcess.start(config: config))
        await chatwoot.pointWebhooks(to: current.value.withLock { $0.baseURL } + "/handover/chatwoot")
        // Clean-up only: how Baton stops is ShutdownTests' business.
        defer { current.value.withLock { $0.kill() } }

        // Users in handovers.
        var users: [(session: String, conversation: Int)] = []
        for _ in 0..<Self.sessions {
            let baton = current.value.withLock { $0 }
            let first = try JSONValue(jsonText: try await baton.post("/api/v1/endpoints/t0k3n/messages", json: #"{"text":"hi"}"#).body)
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session: \(first.jsonText)") }
            for text in ["Ada", "agent"] {
                _ = try await baton.post("/api/v1/endpoints/t0k3n/messages", json: #"{"sessionId":"\#(session)","text":"\#(text)"}"#)
            }
            users.append((session, try await chatwoot.waitForConversation(session: session)))
        }

        let allUsers = users
        // Load from both sides; the server dies once a third of the user messages were acknowledged.
        let acknowledged = Counter()
        let restarted = Latch()
        let killAt = Self.sessions * Self.userMessages / 3
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, user) in allUsers.enumerated() {
                group.addTask {
                    for line in 0..<Self.userMessages {
                        let body = #"{"sessionId":"\#(user.session)","text":"u\#(index) line \#(line)","clientMessageId":"u\#(index)-\#(line)"}"#
                        // A request the dead server did not answer is sent again (same clientMessageId) once it is back.
                        let deadline = ContinuousClock.now + .seconds(90)
                        while true {
                            if let answer = try? await current.value.withLock({ $0 }).post("/api/v1/endpoints/t0k3n/messages", json: body), answer.status == 200 {
                                break
                            }
                            try await restarted.wait()
                            guard ContinuousClock.now < deadline else { throw ChatError.timedOut(waitingFor: "baton to take u\(index) line \(line)") }
                        }
                        await acknowledged.increment()
                    }
                }
                group.addTask {
                    for reply in 0..<Self.agentReplies { try await chatwoot.reply(user.conversation, "agent \(index) reply \(reply)") }
                }
            }
            group.addTask {
                try await acknowledged.wait(for: killAt)
                current.value.withLock { $0.kill() }
                let next = try await BatonProcess.start(config: config)
                current.value.withLock { $0 = next }
                await chatwoot.pointWebhooks(to: next.baseURL + "/handover/chatwoot")
                await restarted.open()
            }
            try await group.waitForAll()
        }

        // Everything arrives: user lines in Chatwoot, agent replies in Baton's transcript.
        var total = Delivery(test: "sigkill-under-load")
        for (index, user) in users.enumerated() {
            let sent = (0..<Self.userMessages).map { "u\(index) line \($0)" }
            let incoming = try await chatwoot.waitForIncoming(user.conversation, including: sent)
            total = total + Delivery.compare(test: total.test, sent: sent, received: incoming.filter { $0.hasPrefix("u\(index) line") })
            let replies = (0..<Self.agentReplies).map { "agent \(index) reply \($0)" }
            let shown = try await Self.waitForAgentTexts(replies, session: user.session, baton: current.value.withLock { $0 })
            total = total + Delivery.compare(test: total.test, sent: replies, received: shown)
        }
        total.expectPerfect()
    }

    /// Long-polls the REST transcript until every reply is there; returns the live agent texts in order.
    static func waitForAgentTexts(_ wanted: [String], session: String, baton: BatonProcess) async throws -> [String] {
        let deadline = ContinuousClock.now + .seconds(60)
        var after: Int64 = 0
        while ContinuousClock.now < deadline {
            let page = try JSONValue(jsonText: try await baton.get("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=\(after)&limit=500&wait=5").body)
            after = page["messages"].list.compactMap { $0["id"]?.int }.max() ?? after
            let all = try JSONValue(jsonText: try await baton.get("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=0&limit=500").body)
            guard case .array(let messages)? = all["messages"] else { continue }
            let agent = messages.filter { $0["sender"] == "agent" && $0["retracted"] != .bool(true) }.compactMap(\.text)
            if Set(wanted).isSubset(of: Set(agent)) { return agent }
        }
        throw ChatError.timedOut(waitingFor: "agent replies in session \(session)")
    }

    static func writeConfig(in folder: URL, chatwoot: StandInHarness) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try HandoverEndToEndTests.flowText(support: chatwoot.supportInbox, vip: chatwoot.vipInbox)
            .write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        let config = BatonProcess.configText(
            storage: "{ sqlite: { path: baton.sqlite } }", delivery: "{ requestTimeoutSeconds: 2 }", chatwoot: chatwoot, token: chatwoot.adminToken)
        let url = folder.appendingPathComponent("baton.yaml")
        try config.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}

/// A lock around a value that closures can share.
final class Box<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
}

/// Counts, and lets a task wait until the count reaches a value. A waiting task that is cancelled stops waiting
/// with `CancellationError`, so a test whose task group failed ends instead of hanging.
actor Counter {
    private var value = 0
    private var waiters: [UUID: (target: Int, continuation: CheckedContinuation<Void, any Error>)] = [:]

    func increment() {
        value += 1
        let ready = waiters.filter { $0.value.target <= value }
        for (id, waiter) in ready {
            waiters[id] = nil
            waiter.continuation.resume()
        }
    }

    func wait(for target: Int) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if value >= target || Task.isCancelled {
                    continuation.resume(with: Task.isCancelled ? .failure(CancellationError()) : .success(()))
                } else {
                    waiters[id] = (target, continuation)
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    private func cancel(_ id: UUID) {
        waiters.removeValue(forKey: id)?.continuation.resume(throwing: CancellationError())
    }
}

/// Closed until opened once; waiting on an open latch returns at once, and a cancelled wait throws.
actor Latch {
    private var isOpen = false
    private var waiters: [UUID: CheckedContinuation<Void, any Error>] = [:]

    func open() {
        isOpen = true
        let all = waiters.values
        waiters.removeAll()
        all.forEach { $0.resume() }
    }

    func wait() async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if isOpen {
                    continuation.resume()
                } else if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    private func cancel(_ id: UUID) {
        waiters.removeValue(forKey: id)?.resume(throwing: CancellationError())
    }
}
