import ChatwootStandIn
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// A tiny HTTP server on 127.0.0.1:0 that records webhook POSTs (what Baton's endpoint would receive).
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        let headers: [String: String]
        let body: [UInt8]
        var json: JSONValue { (try? JSONValue.parse(String(decoding: body, as: UTF8.self))) ?? .null }
        var event: String? { json["event"]?.stringValue }
    }

    /// What the receiver answers.
    struct Behaviour: Sendable {
        var status = 200
        var delay: Duration = .zero
    }

    actor Store {
        var received: [Received] = []
        var behaviour = Behaviour()
        private var waiters: [(Int, CheckedContinuation<Void, Never>)] = []

        func append(_ item: Received) -> Behaviour {
            received.append(item)
            let ready = waiters.filter { $0.0 <= received.count }
            waiters.removeAll { $0.0 <= received.count }
            for waiter in ready { waiter.1.resume() }
            return behaviour
        }

        func set(_ behaviour: Behaviour) { self.behaviour = behaviour }

        func waitForCount(_ count: Int) async {
            if received.count >= count { return }
            await withCheckedContinuation { waiters.append((count, $0)) }
        }
    }

    private let active: Store
    private let group: ServiceGroup
    private let task: Task<Void, Never>
    let url: String

    private init(store: Store, group: ServiceGroup, task: Task<Void, Never>, url: String) {
        self.active = store
        self.group = group
        self.task = task
        self.url = url
    }

    static func start() async throws -> WebhookReceiver {
        let store = Store()
        let router = Router()
        router.post("/hook") { request, context -> Response in
            let buffer = try await request.body.collect(upTo: 50 * 1024 * 1024)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let behaviour = await store.append(Received(headers: headers, body: Array(buffer.readableBytesView)))
            if behaviour.delay > .zero { try? await Task.sleep(for: behaviour.delay) }
            return Response(status: .init(code: behaviour.status))
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task { do { try await group.run() } catch {} }
        var port = 0
        for await value in ports {
            port = value
            break
        }
        return WebhookReceiver(store: store, group: group, task: task, url: "http://127.0.0.1:\(port)/hook")
    }

    func setBehaviour(status: Int = 200, delay: Duration = .zero) async { await active.set(Behaviour(status: status, delay: delay)) }

    /// Everything received so far.
    func received() async -> [Received] { await active.received }

    /// Waits until `count` webhooks have arrived (fails after `timeout`).
    @discardableResult
    func waitFor(count: Int, timeout: Duration = .seconds(5)) async throws -> [Received] {
        let store = active
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                await store.waitForCount(count)
                return true
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            let arrived = try await group.next() ?? false
            group.cancelAll()
            if !arrived {
                let got = await store.received.compactMap(\.event)
                throw ReceiverTimeout(description: "expected \(count) webhooks, got \(got.count): \(got)")
            }
        }
        return await store.received
    }

    /// Waits until a webhook with this event (and matching `filter`) has arrived.
    @discardableResult
    func waitFor(event: String, timeout: Duration = .seconds(5), where filter: @escaping @Sendable (Received) -> Bool = { _ in true }) async throws
        -> Received
    {
        var seen = 0
        let deadline = ContinuousClock.now + timeout
        while true {
            let all = await active.received
            if let hit = all.first(where: { $0.event == event && filter($0) }) { return hit }
            seen = all.count
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                throw ReceiverTimeout(description: "no \(event) webhook; got \(all.compactMap(\.event))")
            }
            _ = try? await waitFor(count: seen + 1, timeout: remaining)
        }
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        await task.value
    }
}

struct ReceiverTimeout: Error, CustomStringConvertible {
    let description: String
}
