import BatonCore
import Foundation
import ProcessSpawning
import Testing

@testable import BatonServer

/// A running `baton` reads its flows again on SIGHUP and on `POST /admin/reload`: the real executable, its config
/// file edited under it, REST conversations before and after.
@Suite(.timeLimit(.minutes(2)))
struct ConfigurationReloadEndToEndTests {
    static let adminToken = "reload-admin-token-0123456789"

    /// A folder with `baton.yaml` (REST, an admin token, logs at `info`, SQLite there unless `storage` says
    /// otherwise, and the top-level lines `extra`) and a flow that asks a name and greets with `greeting`.
    static func folder(greeting: String, storage: String? = nil, extra: [String] = []) throws -> (folder: URL, config: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try flow(greeting: greeting).write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        let config = folder.appendingPathComponent("baton.yaml")
        try configText(port: LoopbackPort.free(), storage: storage, extra: extra).write(to: config, atomically: true, encoding: .utf8)
        return (folder, config)
    }

    static func configText(port: Int, storage: String? = nil, extra: [String] = []) -> String {
        let topLevel = ["log: { level: info }", "admin: { token: \(adminToken) }"] + extra
        let server = "{ host: 127.0.0.1, port: \(port) }"
        return storage.map { BatonProcess.restConfigText(server: server, storage: $0, topLevel: topLevel) }
            ?? BatonProcess.restConfigText(server: server, topLevel: topLevel)
    }

    static func flow(greeting: String) -> String {
        """
        nodes:
          - id: ask
            question: { text: "Your name?", store: name }
          - say: "\(greeting), {{ context.name }}."
          - goto: ask
        """
    }

    /// The texts of the answer to `text` said in `session` (a new one when `nil`), and the session.
    static func say(_ text: String, in session: String?, to baton: BatonProcess) async throws -> (texts: [String], session: String) {
        let json = session.map { #"{"sessionId":"\#($0)","text":"\#(text)"}"# } ?? #"{"text":"\#(text)"}"#
        let answer = try await baton.post("/api/v1/endpoints/t0k3n/messages", json: json)
        let body = try JSONValue(jsonText: answer.body)
        guard answer.status == 200, let id = body["sessionId"]?.stringValue else { throw ChatError.unexpected(answer.body) }
        return (body["messages"].list.compactMap(\.text), id)
    }

    func reload(_ baton: BatonProcess, token: String = Self.adminToken) async throws -> (status: Int, body: JSONValue) {
        let answer = try await baton.post("/admin/reload", json: "{}", headers: [("Authorization", "Bearer \(token)")])
        return (answer.status, try JSONValue(jsonText: answer.body))
    }

    @Test func aHangUpPutsTheEditedFlowInPlaceAndAWaitingConversationGoesOnInIt() async throws {
        let (folder, config) = try Self.folder(greeting: "Hello")
        let baton = try await BatonProcess.start(config: config)
        defer { baton.kill() }
        let waiting = try await Self.say("hi", in: nil, to: baton).session
        #expect(try await Self.say("Ada", in: waiting, to: baton).texts == ["Ada", "Hello, Ada.", "Your name?"])

        try Self.flow(greeting: "Welcome back").write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        baton.process.send(SIGHUP)
        let reloaded = try #require(await baton.waitForLine { $0.contains("configuration reloaded") }, "\(baton.errorLines.suffix(5))")
        #expect(reloaded.contains("test"), "\(reloaded)")

        // Waiting at `ask`, which the new flow still has: the answer goes on into the new greeting.
        #expect(try await Self.say("Grace", in: waiting, to: baton).texts == ["Grace", "Welcome back, Grace.", "Your name?"])
        let fresh = try await Self.say("hi", in: nil, to: baton).session
        #expect(try await Self.say("Alan", in: fresh, to: baton).texts == ["Alan", "Welcome back, Alan.", "Your name?"])
        #expect(baton.process.isRunning)
    }

    /// `--watch`: each save is taken without a signal, once the file is written whole; a save with an error is
    /// refused, and the next good save taken.
    @Test func withWatchEachSavedFlowIsTakenWithoutASignal() async throws {
        let (folder, config) = try Self.folder(greeting: "Hello")
        let baton = try await BatonProcess.start(config: config, arguments: ["--watch"])
        defer { baton.kill() }
        let session = try await Self.say("hi", in: nil, to: baton).session

        let file = folder.appendingPathComponent("flow.yaml")
        try Self.flow(greeting: "Broken").replacingOccurrences(of: "goto: ask", with: "goto: asq").write(to: file, atomically: true, encoding: .utf8)
        let refused = try #require(await baton.waitForLine { $0.contains("configuration not reloaded") }, "\(baton.errorLines.suffix(5))")
        #expect(refused.contains("asked=file change") && refused.contains("asq"), "\(refused)")
        try Self.flow(greeting: "Saved").write(to: file, atomically: true, encoding: .utf8)
        let taken = try #require(await baton.waitForLine { $0.contains("configuration reloaded") }, "\(baton.errorLines.suffix(5))")
        #expect(taken.contains("asked=file change") && taken.contains("reloaded=test"), "\(taken)")
        #expect(try await Self.say("Ada", in: session, to: baton).texts == ["Ada", "Saved, Ada.", "Your name?"])
    }

    /// A file with an error changes nothing: Baton says why (file and line) and serves on with the flow it had. The
    /// admin route answers the same with the diagnostics, then puts the mended flow in place and names what only a
    /// restart applies.
    @Test func aConfigWithAnErrorChangesNothingAndTheAdminRouteSaysWhy() async throws {
        let (folder, config) = try Self.folder(greeting: "Hello")
        let baton = try await BatonProcess.start(config: config)
        defer { baton.kill() }
        let session = try await Self.say("hi", in: nil, to: baton).session

        let broken = Self.flow(greeting: "Broken").replacingOccurrences(of: "goto: ask", with: "goto: asq")
        try broken.write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        baton.process.send(SIGHUP)
        let refused = try #require(await baton.waitForLine { $0.contains("configuration not reloaded") }, "\(baton.errorLines.suffix(5))")
        #expect(refused.contains("flow.yaml:5") && refused.contains("asq"), "\(refused)")
        #expect(try await Self.say("Ada", in: session, to: baton).texts == ["Ada", "Hello, Ada.", "Your name?"])

        let invalid = try await reload(baton)
        #expect(invalid.status == 422)
        #expect(invalid.body["error"]?["code"]?.stringValue == "config_invalid")
        #expect((invalid.body["error"]?["diagnostics"]).list.contains { $0.stringValue?.contains("unknown node 'asq'") == true }, "\(invalid.body)")
        #expect(try await reload(baton, token: "not-the-admin-token-at-all").status == 401)

        try Self.flow(greeting: "Mended").write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        try Self.configText(port: LoopbackPort.free()).write(to: config, atomically: true, encoding: .utf8)
        let applied = try await reload(baton)
        #expect(applied.status == 200)
        #expect(applied.body["reloaded"].list.compactMap(\.stringValue) == ["test"], "\(applied.body)")
        #expect(applied.body["restartNeeded"].list.compactMap(\.stringValue) == ["server"], "a new port takes a restart: \(applied.body)")
        #expect(try await Self.say("Grace", in: session, to: baton).texts == ["Grace", "Mended, Grace.", "Your name?"])

        let again = try await reload(baton)
        #expect(again.body["reloaded"].list.isEmpty && again.body["unchanged"].list.compactMap(\.stringValue) == ["test"], "\(again.body)")
        let metrics = try await baton.get("/metrics").body
        #expect(metrics.contains(#"baton_config_reloads_total{outcome="invalid"} 2"#) && metrics.contains(#"baton_config_reloads_total{outcome="applied"} 2"#), "\(metrics)")
    }
}
