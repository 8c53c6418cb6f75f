import BatonCore
import Foundation
import Testing

@testable import BatonServer

/// `tracing.enabled`: the real `baton` exports its spans over OTLP/HTTP to a collector on loopback. A user's message
/// is one trace from the request through the outbox's job to the Chatwoot call (whose `traceparent` Chatwoot gets);
/// an agent's reply is one from the webhook through its checks, the store and the publish to the user's socket.
@Suite("Operations: tracing", .serialized)
struct TracingEndToEndTests {
    /// A span as OTLP/JSON has it.
    struct Span: Sendable {
        var traceID: String
        var spanID: String
        var parentID: String?
        var name: String
        /// OTLP's `SpanKind`: 2 server, 3 client, 5 consumer.
        var kind: Int
        var attributes: [String: String]
    }

    @Test func aUserMessageAndAnAgentReplyAreEachOneTraceToTheCollector() async throws {
        let chatwoot = try await StandInHarness.start()
        defer { Task { await chatwoot.shutdown() } }
        try await CallbackReceiver.run(path: "/v1/traces") { collector, url in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-tracing-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try HandoverEndToEndTests.flowText(support: chatwoot.supportInbox, vip: chatwoot.vipInbox)
                .write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
            let endpoint = String(url.dropLast("/v1/traces".count))
            let config = folder.appendingPathComponent("baton.yaml")
            try BatonProcess.configText(
                storage: "{ sqlite: { path: baton.sqlite } }", delivery: "{ requestTimeoutSeconds: 2 }", chatwoot: chatwoot, token: chatwoot.adminToken,
                topLevel: ["tracing: { enabled: true, endpoint: \"\(endpoint)\", protocol: http/json, serviceName: baton-test }"]
            ).write(to: config, atomically: true, encoding: .utf8)
            // Spans are sent in batches; a short delay keeps the test short (stopping sends the rest).
            let baton = try await BatonProcess.start(config: config, environment: ["OTEL_BSP_SCHEDULE_DELAY": "200"])
            defer { baton.kill() }
            await chatwoot.pointWebhooks(to: baton.baseURL + "/handover/chatwoot")

            let first = try JSONValue(jsonText: try await baton.post("/api/v1/endpoints/t0k3n/messages", json: #"{"text":"Ada"}"#).body)
            let session = try #require(first["sessionId"]?.stringValue)
            _ = try await baton.post("/api/v1/endpoints/t0k3n/messages", json: #"{"sessionId":"\#(session)","text":"agent"}"#)
            let conversation = try await chatwoot.waitForConversation(session: session)
            _ = try await chatwoot.waitForIncoming(conversation, including: ["Ada", "agent"])
            _ = try await baton.post("/api/v1/endpoints/t0k3n/messages", json: #"{"sessionId":"\#(session)","text":"traced message"}"#)
            _ = try await chatwoot.waitForIncoming(conversation, including: ["traced message"])

            // A webchat user in a handover of their own: the agent's reply reaches their socket.
            try await baton.chat { chat in
                let ready = try await chat.hello()
                let webchat = try #require(ready["session"]?.stringValue)
                for text in ["Grace", "agent"] { try await chat.say(text) }
                let theirs = try await chatwoot.waitForConversation(session: webchat)
                _ = try await chatwoot.waitForIncoming(theirs, including: ["Grace", "agent"])
                _ = try await chatwoot.reply(theirs, "traced reply")
                try await chat.until("the reply on the socket") { Chat.isMessage($0, from: "agent", "traced reply") }
            }
            await baton.stop()

            let spans = await collector.all().flatMap { Self.spans(in: $0.json) }
            #expect(spans.allSatisfy { !$0.traceID.isEmpty && !$0.spanID.isEmpty })
            // The message: request → step → outbox job → Chatwoot call, one trace.
            let requests = spans.filter { $0.kind == 2 && $0.name.contains("/messages") }
            #expect(requests.count >= 3, "\(spans.map(\.name))")
            let jobs = spans.filter { $0.name == "outbox post" && $0.kind == 5 }
            let traced = try #require(jobs.first { job in requests.contains { $0.traceID == job.traceID } }, "an outbox job in a request's trace: \(spans.map(\.name))")
            let request = try #require(requests.first { $0.traceID == traced.traceID })
            #expect(spans.contains { $0.name == "conversation step" && $0.traceID == request.traceID && $0.parentID == request.spanID })
            let call = try #require(spans.first { $0.kind == 3 && $0.parentID == traced.spanID }, "the Chatwoot call under the job")
            #expect(call.attributes["http.response.status_code"] == "200" || call.attributes.values.contains("200"), "\(call.attributes)")
            #expect(traced.attributes["baton.outbox.outcome"] == "done")
            // Chatwoot got the trace along.
            let sent = await chatwoot.traceparents(pathSuffix: "/conversations/\(conversation)/messages")
            #expect(sent.contains { $0.contains(Self.hex(request.traceID)) }, "traceparent headers: \(sent)")

            // The reply: webhook → verify → apply → the reply's store → publish (as it commits) → the user's socket, one trace.
            let send = try #require(spans.first { $0.name == "webchat send" && Self.chain(of: $0, in: spans).contains { $0.name == "conversation agent message" || $0.name == "chatwoot webhook apply" } }, "\(spans.map(\.name))")
            let chain = Self.chain(of: send, in: spans)
            #expect(chain.map(\.name) == ["hub publish", "conversation agent message", "chatwoot webhook apply", "/handover/chatwoot"], "\(chain.map(\.name))")
            let webhook = try #require(chain.last)
            #expect(webhook.kind == 2 && chain.allSatisfy { $0.traceID == send.traceID })
            for name in ["chatwoot webhook verify", "conversation agent message"] {
                #expect(spans.contains { $0.name == name && $0.traceID == webhook.traceID && Self.chain(of: $0, in: spans).last?.spanID == webhook.spanID }, "\(name) under the webhook's request")
            }
        }
    }

    /// The span's parent, its parent's, and so on to the root.
    static func chain(of span: Span, in spans: [Span]) -> [Span] {
        var chain: [Span] = []
        var parentID = span.parentID
        while let id = parentID, let parent = spans.first(where: { $0.spanID == id && $0.traceID == span.traceID }), chain.count < 20 {
            chain.append(parent)
            parentID = parent.parentID
        }
        return chain
    }

    /// The spans of one OTLP/JSON export request.
    static func spans(in export: JSONValue) -> [Span] {
        export["resourceSpans"].list.flatMap { $0["scopeSpans"].list }.flatMap { $0["spans"].list }.map { span in
            var attributes: [String: String] = [:]
            for attribute in span["attributes"].list {
                guard let key = attribute["key"]?.stringValue, case .object(let value)? = attribute["value"], let first = value.values.first else { continue }
                attributes[key] = first.stringValue ?? first.displayText
            }
            let parent = span["parentSpanId"]?.stringValue
            return Span(
                traceID: span["traceId"]?.stringValue ?? "", spanID: span["spanId"]?.stringValue ?? "", parentID: parent?.isEmpty == true ? nil : parent,
                name: span["name"]?.stringValue ?? "", kind: Int(span["kind"]?.int ?? 0), attributes: attributes)
        }
    }

    /// A trace id as `traceparent` writes it: OTLP/JSON has it as hex, protobuf's JSON mapping as base64.
    static func hex(_ id: String) -> String {
        if id.count == 32, id.allSatisfy(\.isHexDigit) { return id.lowercased() }
        guard let data = Data(base64Encoded: id) else { return id }
        return data.map { String(format: "%02x", $0) }.joined()
    }
}
