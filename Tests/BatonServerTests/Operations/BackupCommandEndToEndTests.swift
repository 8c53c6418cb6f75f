import BatonCore
import Foundation
import Testing

@testable import BatonServer

/// `baton backup` with the real executable, against a Baton serving: the copy is a database another Baton serves
/// the same conversations from.
@Suite("Operations: backup command", .serialized)
struct BackupCommandEndToEndTests {
    static func config(in folder: URL, database: String, port: Int, storage: String = "", log: String = "warning") throws -> URL {
        let config = folder.appendingPathComponent("baton-\(port).yaml")
        try BatonProcess.restConfigText(
            server: "{ host: 127.0.0.1, port: \(port) }", storage: "{ sqlite: { path: \(database)\(storage) } }", topLevel: ["log: { level: \(log) }"]
        ).write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    /// A folder with a flow that answers each message with "You said …".
    static func folderWithEchoFlow() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("backups"), withIntermediateDirectories: true)
        try """
            nodes:
              - id: ask
                question: { text: "Say something.", store: said }
              - say: "You said {{ context.said }}."
              - goto: ask
            """.write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        return folder
    }

    /// Says `text` in `session` (a new one when `nil`); returns the session.
    @discardableResult
    static func say(_ text: String, in session: String?, to baton: BatonProcess) async throws -> String {
        let json = session.map { #"{"sessionId":"\#($0)","text":"\#(text)"}"# } ?? #"{"text":"\#(text)"}"#
        let answer = try await baton.post("/api/v1/endpoints/t0k3n/messages", json: json)
        guard answer.status == 200, let id = try JSONValue(jsonText: answer.body)["sessionId"]?.stringValue else { throw ChatError.unexpected(answer.body) }
        return id
    }

    @Test func aCopyTakenWhileBatonServesIsADatabaseAnotherBatonServesTheSameConversationsFrom() async throws {
        let folder = try Self.folderWithEchoFlow()
        let servingConfig = try Self.config(in: folder, database: "baton.sqlite", port: LoopbackPort.free())
        let serving = try await BatonProcess.start(config: servingConfig)
        defer { serving.kill() }
        let session = try await Self.say("hello", in: nil, to: serving)
        for text in ["one", "two", "three"] { try await Self.say(text, in: session, to: serving) }
        let path = "/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=0"
        let kept = try await serving.get(path).body
        #expect(kept.contains("You said three."), "\(kept)")

        let taken = try await SetupCommandEndToEndTests.baton(["backup", "--config", servingConfig.path, "--to", folder.appendingPathComponent("backups").path])
        #expect(taken.status == 0, "\(taken.output)")
        #expect(taken.output.contains("1 session(s)"), "\(taken.output)")
        let copies = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("backups").path)
        let copy = try #require(copies.first, "\(copies)")
        #expect(copies.count == 1 && copy.hasPrefix("baton-") && copy.hasSuffix(".sqlite") && taken.output.contains(copy))
        await serving.stop()

        let restored = try await BatonProcess.start(config: Self.config(in: folder, database: "backups/\(copy)", port: LoopbackPort.free()))
        defer { restored.kill() }
        #expect(try await restored.get(path).body == kept, "the same messages, ids and times")
        let next = try JSONValue(jsonText: try await restored.post("/api/v1/endpoints/t0k3n/messages", json: #"{"sessionId":"\#(session)","text":"four"}"#).body)
        #expect(next["messages"].list.compactMap(\.text) == ["four", "You said four.", "Say something."], "the conversation goes on where it was")
    }

    /// `baton restore` refuses while Baton serves the database, and once it is stopped puts the copy back: the
    /// restarted Baton serves the conversation as the copy had it, and the database it replaced is kept.
    @Test func aRestoreWaitsForBatonToStopAndBatonThenServesTheCopy() async throws {
        let folder = try Self.folderWithEchoFlow()
        let config = try Self.config(in: folder, database: "baton.sqlite", port: LoopbackPort.free())
        let serving = try await BatonProcess.start(config: config)
        defer { serving.kill() }
        let session = try await Self.say("hello", in: nil, to: serving)
        try await Self.say("one", in: session, to: serving)
        let copy = folder.appendingPathComponent("backups/copy.sqlite").path
        let taken = try await SetupCommandEndToEndTests.baton(["backup", "--config", config.path, "--to", copy])
        #expect(taken.status == 0, "\(taken.output)")
        try await Self.say("two", in: session, to: serving)

        let refused = try await SetupCommandEndToEndTests.baton(["restore", "--config", config.path, "--from", copy])
        #expect(refused.status == 1 && refused.output.contains("stop every Baton using it first"), "\(refused.output)")
        await serving.stop()
        let restored = try await SetupCommandEndToEndTests.baton(["restore", "--config", config.path, "--from", copy])
        #expect(restored.status == 0 && restored.output.contains("1 session(s)") && restored.output.contains("before-restore-"), "\(restored.output)")

        let restarted = try await BatonProcess.start(config: config)
        defer { restarted.kill() }
        let texts = try JSONValue(jsonText: try await restarted.get("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=0").body)["messages"].list.compactMap(\.text)
        #expect(texts.contains("You said one.") && !texts.contains("You said two."), "\(texts)")
        try await Self.say("three", in: session, to: restarted)
    }

    /// `storage.sqlite.backups`: a Baton that starts with no copy in the folder writes one at once, which holds what
    /// it had stored.
    @Test func aBatonWithScheduledBackupsWritesTheFirstCopyAtStart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-scheduled-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "nodes: [ { say: \"Hi\" } ]".write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        let config = try Self.config(
            in: folder, database: "baton.sqlite", port: LoopbackPort.free(), storage: ", backups: { folder: copies, everyHours: 24, keep: 3 }", log: "info")
        let baton = try await BatonProcess.start(config: config)
        defer { baton.kill() }
        let written = try #require(await baton.waitForLine { $0.contains("database backed up") }, "\(baton.errorLines)")
        let copies = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("copies").path)
        #expect(copies.count == 1 && copies[0].hasPrefix("baton-") && written.contains(copies[0]), "\(copies) \(written)")
    }

    /// PostgreSQL has its own tools: the command names them, connects to nothing and prints no password.
    @Test func aPostgreSQLConfigIsPointedToItsOwnTools() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-backup-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "nodes: [ { say: \"Hi\" } ]".write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        let config = folder.appendingPathComponent("baton.yaml")
        try """
            storage: { postgres: { url: "postgres://baton:s3cret-word@127.0.0.1:1/baton" } }
            endpoints:
              test: { name: Test, flow: flow.yaml }
            """.write(to: config, atomically: true, encoding: .utf8)
        let refused = try await SetupCommandEndToEndTests.baton(["backup", "--config", config.path, "--to", folder.path])
        #expect(refused.status == 1)
        #expect(refused.output.contains("pg_dump") && !refused.output.contains("s3cret-word"), "\(refused.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["baton.yaml", "flow.yaml"])
    }
}
