import BatonCore
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes

/// An outside bot's callback URL on loopback: records every notification Baton posts (headers and raw body) and
/// answers with the statuses it is told to, then 200.
actor CallbackReceiver {
    struct Delivery: Sendable {
        var headers: [String: String]
        var body: String
        /// What the receiver answered.
        var status: Int

        var json: JSONValue { (try? JSONValue(jsonText: body)) ?? .null }
        var type: String? { json["type"]?.stringText }
        var taken: Bool { (200..<300).contains(status) }
    }

    private var deliveries: [Delivery] = []
    private var answers: [(status: Int, headers: [String: String])] = []
    private var subscribers: [AsyncStream<[Delivery]>.Continuation] = []

    /// The next `count` notifications are answered `status` (with `headers`).
    func fail(_ count: Int, status: Int, headers: [String: String] = [:]) {
        answers += Array(repeating: (status, headers), count: count)
    }

    /// From now on every notification is taken.
    func recover() { answers = [] }

    func record(_ headers: [String: String], body: String) -> (status: Int, headers: [String: String]) {
        let answer = answers.isEmpty ? (status: 200, headers: [:]) : answers.removeFirst()
        deliveries.append(Delivery(headers: headers, body: body, status: answer.status))
        for subscriber in subscribers { subscriber.yield(deliveries) }
        return answer
    }

    func all() -> [Delivery] { deliveries }

    private func subscribe() -> AsyncStream<[Delivery]> {
        let (stream, continuation) = AsyncStream.makeStream(of: [Delivery].self)
        continuation.yield(deliveries)
        subscribers.append(continuation)
        return stream
    }

    /// Waits until `probe` finds what it looks for in the deliveries so far.
    func waitUntil<T: Sendable>(_ what: String, timeout: Duration = .seconds(20), _ probe: @escaping @Sendable ([Delivery]) -> T?) async throws -> T {
        let stream = subscribe()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                for await deliveries in stream { if let value = probe(deliveries) { return value } }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            if let first = try await group.next(), let value = first { return value }
            throw ChatError.unexpected("the callback did not get \(what) within \(timeout); it got \(deliveries.map { "\($0.type ?? "?") \($0.status)" })")
        }
    }

    /// Waits until the receiver took (answered 2xx) `count` notifications; returns those, in arrival order.
    func waitForTaken(_ count: Int) async throws -> [Delivery] {
        try await waitUntil("\(count) notifications") { deliveries in
            let taken = deliveries.filter(\.taken)
            return taken.count >= count ? taken : nil
        }
    }

    /// Runs `body` with a receiver listening at the URL it is given (`path` on a loopback port).
    static func run(path: String = "/events", _ body: @escaping @Sendable (CallbackReceiver, String) async throws -> Void) async throws {
        let receiver = CallbackReceiver()
        let router = Router()
        router.post(RouterPath(path)) { request, context -> Response in
            let bytes = try await request.body.collect(upTo: 16 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let answer = await receiver.record(headers, body: String(buffer: bytes))
            var fields = HTTPFields()
            for (name, value) in answer.headers { fields[HTTPField.Name(name)!] = value }
            return Response(status: .init(code: answer.status), headers: fields)
        }
        try await Application(router: router).test(.live) { client in
            try await body(receiver, "http://127.0.0.1:\(client.port ?? 0)\(path)")
        }
    }

    /// Whether `delivery` carries Baton's signature under `secret`: HMAC-SHA256 of "<timestamp>.<body>".
    static func isSigned(_ delivery: Delivery, secret: String) -> Bool {
        guard let timestamp = delivery.headers["x-baton-timestamp"], let signature = delivery.headers["x-baton-signature"] else { return false }
        let code = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(delivery.body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return signature == "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }
}
