import BatonCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `baton_chatwoot_webhooks_total{outcome}` counts what each delivery did: Chatwoot sends an agent's reply again
/// (a retry pressed in the dashboard, an account webhook on the same URL), and those copies are duplicates, not
/// applications.
@Suite("Chatwoot webhook metrics")
struct WebhookMetricsTests {
    static func count(_ outcome: String, in metrics: String) -> Int {
        let prefix = #"baton_chatwoot_webhooks_total{outcome="\#(outcome)"} "#
        return metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
    }

    @Test func repeatedRepliesAndDeletionsCountAsDuplicatesAndEchoesAsIgnored() async throws {
        let (app, provider, _) = try await TestBaton.appWithFakeDesk(now: ChatwootWebhookRouteTests.fixedNow)
        try await app.test(.router) { client in
            let session = try await ChatwootWebhookRouteTests.sessionInHandover(client, provider: provider)
            let reply = try ChatwootWebhookRouteTests.sample("01-")
            // Each copy has a delivery id of its own, as Chatwoot's separate deliveries do.
            for _ in 1...3 { #expect(try await ChatwootWebhookRouteTests.deliver(reply, client).status == .ok) }
            var deleted = try JSONValue(jsonText: String(decoding: reply, as: UTF8.self))
            deleted = deleted.setting("message_updated", at: ["event"]).setting(true, at: ["content_attributes", "deleted"])
            for _ in 1...2 { #expect(try await ChatwootWebhookRouteTests.deliver(Data(deleted.jsonText.utf8), client).status == .ok) }
            #expect(try await ChatwootWebhookRouteTests.deliver(try ChatwootWebhookRouteTests.sample("08-"), client).status == .ok)

            #expect(try await ChatwootWebhookRouteTests.messages(client, session: session, after: 6).count == 1, "one reply stored")
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(Self.count("applied", in: metrics) == 2, "the first reply and the first deletion")
            #expect(Self.count("duplicate", in: metrics) == 3, "two copies of the reply, one of the deletion")
            #expect(Self.count("ignored", in: metrics) == 1, "the private note")
            // What a scraper shows beside the counter.
            #expect(metrics.contains("# HELP baton_chatwoot_webhooks_total Chatwoot webhook deliveries that passed authentication"))
            #expect(metrics.contains("# TYPE baton_chatwoot_webhooks_total counter"))
        }
    }
}
