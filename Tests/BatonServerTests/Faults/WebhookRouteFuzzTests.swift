import BatonCore
import BatonServer
import BatonTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOFoundationCompat
import Testing

/// Thousands of mutated and random webhook bodies, forged and stale signatures, through the real route of a
/// server with a session in a handover: each gets an answer below 500, nothing crashes, and the server still
/// relays a genuine webhook afterwards.
@Suite("Faults: webhook fuzz")
struct WebhookRouteFuzzTests {
    static let iterations = 3_000

    static let oddValues: [JSONValue] = [
        .null, true, 0, -1, 1.5, 1e300, 9_007_199_254_740_993, "", "1187", "outgoing", "message_updated", "user", "javascript:alert(1)",
        "<script>alert(1)</script>", "🙂\u{0}\u{202E}", [], [1, "a", nil], [:], ["type": "user"], ["deleted": true], ["id": 1187],
    ]

    enum Mutation: CaseIterable { case flipBytes, truncate, junk, replaceValue, nestValue, forgedSignature, staleTimestamp, unsigned }

    @Test func mutatedForgedAndStaleWebhooksAreAllAnsweredWithoutACrash() async throws {
        let (app, provider, _) = try await TestBaton.appWithFakeDesk(now: ChatwootWebhookRouteTests.fixedNow)
        let samples = try FileManager.default.contentsOfDirectory(atPath: ChatwootWebhookRouteTests.samples.path).filter { $0.hasSuffix(".json") && !$0.contains("headers") }
            .sorted().map { try Data(contentsOf: ChatwootWebhookRouteTests.samples.appendingPathComponent($0)) }
        try await app.test(.router) { client in
            var generator = SeededGenerator(state: 0xBA70_2026)
            let session = try await ChatwootWebhookRouteTests.sessionInHandover(client, provider: provider)
            var statuses: [Int: Int] = [:]
            for _ in 0..<Self.iterations {
                let sample = samples.randomElement(using: &generator)!
                let mutation = Mutation.allCases.randomElement(using: &generator)!
                let response = try await Self.send(sample, mutation, client, &generator)
                statuses[Int(response.status.code), default: 0] += 1
                #expect(response.status.code < 500, "\(mutation) → \(response.status): \(String(buffer: response.body))")
            }
            // The server still works: a genuine reply reaches the user.
            let before = try await client.getJSON("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=0&limit=1")["lastId"]?.int ?? 0
            var genuine = try JSONValue(jsonText: String(decoding: try ChatwootWebhookRouteTests.sample("01-"), as: UTF8.self))
            genuine = genuine.setting(.number(2_000_000_000), at: ["id"]).setting("after the fuzz", at: ["content"])
            let answer = try await ChatwootWebhookRouteTests.deliver(Data(genuine.jsonText.utf8), client)
            #expect(answer.status == .ok)
            // Fuzzed ids can be larger than the genuine one, so earlier replies may be moved behind it: what counts is
            // that it arrived, once.
            let after = try await ChatwootWebhookRouteTests.messages(client, session: session, after: Int(before))
            #expect(after.filter { $0["retracted"] != .bool(true) && $0.text == "after the fuzz" }.count == 1)
            var figures = Delivery(test: "webhook-fuzz")
            figures.badInputs = Self.iterations
            figures.record()
            #expect(statuses.keys.allSatisfy { $0 < 500 }, "\(statuses)")
        }
    }

    static func send(_ sample: Data, _ mutation: Mutation, _ client: some TestClientProtocol, _ generator: inout SeededGenerator) async throws -> TestResponse {
        var body = [UInt8](sample)
        var signed = true
        var timestamp = ChatwootWebhookRouteTests.signedAt
        var forged = false
        switch mutation {
        case .flipBytes:
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                body[Int.random(in: 0..<body.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
        case .truncate:
            body = Array(body.prefix(Int.random(in: 0..<body.count, using: &generator)))
        case .junk:
            let junk = (0..<Int.random(in: 1...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            body.insert(contentsOf: junk, at: Int.random(in: 0...body.count, using: &generator))
        case .replaceValue, .nestValue:
            // Keys sorted: a dictionary's order changes from run to run, and the seed must replay the same run.
            guard case .object(var object) = try JSONValue(jsonText: String(decoding: body, as: UTF8.self)),
                let key = object.keys.sorted().randomElement(using: &generator)
            else { break }
            let odd = oddValues.randomElement(using: &generator)!
            if mutation == .replaceValue {
                object[key] = odd
            } else if case .object(var inner)? = object[key], let innerKey = inner.keys.sorted().randomElement(using: &generator) {
                inner[innerKey] = odd
                object[key] = .object(inner)
            } else {
                object[key] = .array(Array(repeating: odd, count: 50))
            }
            body = Array(JSONValue.object(object).jsonText.utf8)
        case .forgedSignature:
            forged = true
        case .staleTimestamp:
            timestamp -= 6 * 60
        case .unsigned:
            signed = false
        }
        var headers: HTTPFields = [.contentType: "application/json", HTTPField.Name("X-Chatwoot-Delivery")!: UUID().uuidString]
        if signed {
            let secret = forged ? "not-the-secret-\(UInt32.random(in: 0...UInt32.max, using: &generator))" : ChatwootWebhookRouteTests.secret
            headers[HTTPField.Name("X-Chatwoot-Timestamp")!] = String(timestamp)
            headers[HTTPField.Name("X-Chatwoot-Signature")!] = WebhookSignature(secret: secret).sign(body: Data(body), timestamp: timestamp)
        }
        let response = try await client.execute(uri: "/handover/chatwoot", method: .post, headers: headers, body: ByteBuffer(bytes: body))
        if forged || mutation == .staleTimestamp || !signed { #expect(response.status == .unauthorized, "\(mutation) must be refused") }
        return response
    }
}
