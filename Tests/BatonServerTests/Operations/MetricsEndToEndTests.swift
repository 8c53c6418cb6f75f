import BatonCore
@testable import BatonServer
import Foundation
import Testing

/// `/metrics` of the real `baton` process (where swift-metrics is bootstrapped) after handovers: what an operator
/// asks of it (how many opened and how they ended, how long users waited for an agent, how far behind the outbox is,
/// which routes are called and how they answer) is there, with the values that happened.
@Suite("Operations: metrics")
struct MetricsEndToEndTests {
    @Test func aScrapeAfterHandoversCountsThemTheirWaitsAndTheRequests() async throws {
        let chatwoot = try await StandInHarness.start()
        defer { Task { await chatwoot.shutdown() } }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-metrics-\(UUID().uuidString)")
        let baton = try await BatonProcess.start(config: try CrashRecoveryTests.writeConfig(in: folder, chatwoot: chatwoot))
        defer { baton.kill() }
        await chatwoot.pointWebhooks(to: baton.baseURL + "/handover/chatwoot")

        // One handover an agent answers and resolves, one the user cancels.
        var posts = 0
        func say(_ text: String, session: String?) async throws -> String {
            posts += 1
            let body = session.map { #"{"sessionId":"\#($0)","text":"\#(text)"}"# } ?? #"{"text":"\#(text)"}"#
            let answer = try JSONValue(jsonText: try await baton.post("/api/v1/endpoints/t0k3n/messages", json: body).body)
            return try #require(answer["sessionId"]?.stringValue)
        }
        var sessions: [String] = []
        for _ in 0..<2 {
            // The first message answers "Your name?".
            let session = try await say("Ada", session: nil)
            _ = try await say("agent", session: session)
            sessions.append(session)
        }
        let answered = try await chatwoot.waitForConversation(session: sessions[0])
        // The history is in before the agent acts (a user message into a resolved conversation reopens it).
        _ = try await chatwoot.waitForIncoming(answered, including: ["Ada", "agent"])
        _ = try await chatwoot.reply(answered, "Hello, I am here")
        _ = try await CrashRecoveryTests.waitForAgentTexts(["Hello, I am here"], session: sessions[0], baton: baton)
        try await chatwoot.resolve(answered)
        try await Self.waitForText("Welcome back, Ada!", session: sessions[0], baton: baton)
        _ = try await say("cancel", session: sessions[1])
        try await Self.waitForText("Handover ended: cancelled user", session: sessions[1], baton: baton)

        let scrape = try await baton.get("/metrics")
        #expect(scrape.status == 200)
        let metrics = scrape.body
        let inbox = chatwoot.supportInbox
        #expect(Self.value(#"baton_handovers_total{endpoint="test",inbox="\#(inbox)",event="opened"}"#, in: metrics) == 2)
        #expect(Self.value(#"baton_handovers_total{endpoint="test",inbox="\#(inbox)",event="completed"}"#, in: metrics) == 1)
        #expect(Self.value(#"baton_handovers_total{endpoint="test",inbox="\#(inbox)",event="cancelled"}"#, in: metrics) == 1)
        #expect(Self.value(#"baton_handover_first_reply_seconds_count{endpoint="test"}"#, in: metrics) == 1)
        #expect(Self.value(#"baton_handover_duration_seconds_count{endpoint="test"}"#, in: metrics) == 2)
        #expect(Self.value("baton_outbox_dead", in: metrics) == 0)
        #expect(Self.value("baton_outbox_oldest_pending_seconds", in: metrics) != nil)
        // Hummingbird's request metrics, through swift-metrics, under the route's pattern (never a user's token).
        let route = #"route="/api/v1/endpoints/{urlToken}/messages",method="POST",status="200""#
        #expect(Self.value("baton_http_requests_total{\(route)}", in: metrics) == Double(posts))
        #expect(Self.value("baton_http_request_duration_seconds_count{\(route)}", in: metrics) == Double(posts))
        #expect(!metrics.contains("t0k3n"), "routes are patterns, not URLs")
    }

    /// `ops/grafana/baton.json` queries only metrics Baton exports (a renamed metric would leave a panel empty).
    @Test func theGrafanaDashboardReadsOnlyMetricsBatonExports() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../..").standardized
        let dashboard = try JSONValue(jsonText: String(contentsOf: root.appendingPathComponent("ops/grafana/baton.json"), encoding: .utf8))
        let source = try String(contentsOf: root.appendingPathComponent("Sources/BatonServer/Operations/BatonMetrics.swift"), encoding: .utf8)
        let exported = Set(Self.metricNames(in: source))
        let panels = dashboard["panels"].list
        let queries = panels.flatMap { $0["targets"].list.compactMap { $0["expr"]?.stringValue } }
        #expect(queries.count >= 15)
        let queried = Set(queries.flatMap(Self.metricNames))
        #expect(queried.contains("baton_handovers_total") && queried.contains("baton_http_requests_total"))
        for name in queried {
            let base = ["_bucket", "_count", "_sum"].reduce(name) { $0.hasSuffix($1) ? String($0.dropLast($1.count)) : $0 }
            #expect(exported.contains(base), "the dashboard reads \(name), which Baton does not export")
        }
    }

    /// The `baton_…` names in a text.
    static func metricNames(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let start = rest.range(of: "baton_") {
            let name = rest[start.lowerBound...].prefix { $0.isLowercase || $0 == "_" || $0.isNumber }
            names.append(String(name))
            rest = rest[name.endIndex...]
        }
        return names
    }

    /// The value of the sample named exactly `series` (name and labels as exposed), if there is one.
    static func value(_ series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// Long-polls the session's transcript until a message with `text` is there.
    static func waitForText(_ text: String, session: String, baton: BatonProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        var after: Int64 = 0
        while ContinuousClock.now < deadline {
            let page = try JSONValue(jsonText: try await baton.get("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=\(after)&limit=500&wait=5").body)
            if page["messages"].list.contains(where: { $0.text == text }) { return }
            after = page["messages"].list.compactMap { $0["id"]?.int }.max() ?? after
        }
        throw ChatError.timedOut(waitingFor: "'\(text)' in session \(session)")
    }
}
