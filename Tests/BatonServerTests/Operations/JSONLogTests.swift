import BatonConfig
import BatonCore
@testable import BatonServer
import Foundation
import Logging
import Synchronization
import Testing

/// `log.format: json`: every line the process writes is one JSON object with the fields collectors index, the
/// start banner included; no secret of the config appears at any level, no message body at `info` or above.
@Suite("Operations: JSON logs")
struct JSONLogTests {
    @Test func aWholeHandoverLogsParsableLinesWithIdsAndNoSecretsOrBodies() async throws {
        let chatwoot = try await StandInHarness.start()
        defer { Task { await chatwoot.shutdown() } }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-json-log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try HandoverEndToEndTests.flowText(support: chatwoot.supportInbox, vip: chatwoot.vipInbox)
            .write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        let restKey = "rest-key-\(UUID().uuidString)"
        let adminToken = "admin-token-\(UUID().uuidString)"
        let config = BatonProcess.configText(
            storage: "{ sqlite: { path: baton.sqlite } }", delivery: "{ requestTimeoutSeconds: 2 }", chatwoot: chatwoot, token: chatwoot.adminToken,
            channels: "{ webchat: { enabled: true }, rest: { enabled: true, apiKey: \(restKey) } }",
            // Debug: the secrets must not show even there.
            log: "{ level: debug, format: json }", topLevel: ["admin: { token: \(adminToken) }"])
        let configURL = folder.appendingPathComponent("baton.yaml")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        let baton = try await BatonProcess.start(config: configURL)
        defer { baton.kill() }
        await chatwoot.pointWebhooks(to: baton.baseURL + "/handover/chatwoot")

        let userBody = "user-body-\(UUID().uuidString)"
        let agentBody = "agent-body-\(UUID().uuidString)"
        let first = try JSONValue(jsonText: try await baton.post("/api/v1/endpoints/t0k3n/messages", json: #"{"text":"hi"}"#).body)
        let session = try #require(first["sessionId"]?.stringValue)
        for text in ["Ada", "agent", userBody] {
            _ = try await baton.post("/api/v1/endpoints/t0k3n/messages", json: #"{"sessionId":"\#(session)","text":"\#(text)"}"#)
        }
        let conversation = try await chatwoot.waitForConversation(session: session)
        _ = try await chatwoot.waitForIncoming(conversation, including: [userBody])
        _ = try await chatwoot.reply(conversation, agentBody)
        _ = try await CrashRecoveryTests.waitForAgentTexts([agentBody], session: session, baton: baton)
        // A forged webhook: refused, and logged with the request's id.
        let forged = try await baton.post("/handover/chatwoot", json: #"{"event":"message_created","account":{"id":1}}"#)
        #expect(forged.status == 401)
        await baton.stop()

        let lines = baton.outputLines
        let records = try lines.map { line in
            let value = try JSONValue(jsonText: line)
            guard case .object(let members) = value else { throw ChatError.unexpected("not an object: \(line)") }
            return members
        }
        #expect(baton.errorLines.isEmpty, "nothing on standard error: \(baton.errorLines)")
        for record in records {
            #expect(record["time"]?.stringValue.flatMap(RFC3339.date) != nil, "an RFC 3339 time: \(record)")
            #expect(record["level"]?.stringValue.map(LogSettings.levels.contains) == true)
            #expect(record["message"]?.stringValue?.isEmpty == false)
        }
        // The banner, as fields.
        #expect(records.contains { $0["message"] == "REST API" && $0["endpoint"] == "test" && $0["url"]?.stringValue?.hasPrefix(baton.baseURL) == true })
        // The ids an operator follows a handover by.
        #expect(records.contains { $0["message"] == "session opened" && $0["session"]?.stringValue == session && $0["endpoint"] == "test" })
        #expect(records.contains {
            $0["message"] == "handover opened" && $0["session"]?.stringValue == session && $0["conversation"]?.stringValue == String(conversation) && $0["endpoint"] == "test"
        })
        let refusal = records.first { $0["message"] == "refused a Chatwoot webhook" }
        #expect(refusal?["level"] == "warning")
        #expect(refusal?["request_id"]?.stringValue?.isEmpty == false, "the refusal names its request")
        #expect(refusal?["hb.request.id"] == nil, "one name for the request id")

        for secret in [restKey, adminToken, chatwoot.adminToken, chatwoot.secret] {
            #expect(!lines.contains { $0.contains(secret) }, "a secret was logged")
        }
        let atInfoOrAbove = zip(lines, records).filter { $0.1["level"].flatMap { $0.stringValue }.map { !["trace", "debug"].contains($0) } ?? true }
        for body in [userBody, agentBody] {
            #expect(!atInfoOrAbove.contains { $0.0.contains(body) }, "a message body was logged at info or above")
        }
    }

    /// The handler alone: escaping, nested metadata, the request scope, and a statement's field winning over the
    /// logger's.
    @Test func linesAreValidJSONWhateverTheTextHolds() throws {
        let written = Mutex<[String]>([])
        var logger = Logger.baton(LogSettings(level: "debug", format: .json), label: "test", jsonOutput: JSONLogOutput { line in written.withLock { $0.append(line) } })
        logger[metadataKey: "endpoint"] = "from-logger"
        RequestScope.$id.withValue("r-42") {
            logger.info("quote \" backslash \\ newline \n tab \t bell \u{07} separator \u{2028} é 😀", metadata: [
                "endpoint": "support", "nested": ["list": ["a", "b"], "n": "1"],
            ])
        }
        logger.debug("outside a request")
        let lines = written.withLock { $0 }
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.hasSuffix("}\n") && $0.filter { $0 == "\n" }.count == 1 }, "one line each")
        let first = try JSONValue(jsonText: lines[0])
        #expect(first["message"]?.stringValue == "quote \" backslash \\ newline \n tab \t bell \u{07} separator \u{2028} é 😀")
        #expect(first["request_id"] == "r-42")
        #expect(first["endpoint"] == "support")
        #expect(first["nested"]?["list"] == .array(["a", "b"]))
        #expect(first["logger"] == "test")
        #expect(try JSONValue(jsonText: lines[1])["request_id"] == nil)
    }

    @Test func configReadsTheFormatAndRefusesAnUnknownOne() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-log-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "nodes:\n  - say: hi\n".write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        func load(_ log: String) throws -> BatonConfiguration {
            let url = folder.appendingPathComponent("baton.yaml")
            try "log: \(log)\nendpoints:\n  e: { name: E, urlToken: e, flow: flow.yaml }\n".write(to: url, atomically: true, encoding: .utf8)
            return try ConfigLoader(environment: [:]).load(path: url.path).0
        }
        #expect(try load("{ format: json }").log.format == .json)
        #expect(try load("{ level: debug }").log.format == .text)
        #expect(throws: (any Error).self) { try load("{ format: xml }") }
    }
}
