import BatonCore
import Foundation
import PostgresNIO
import ProcessSpawning
import Testing

@testable import BatonServer

/// `POST /admin/reload` on one of two `baton` processes sharing a PostgreSQL database: the request reaches the other
/// through the hub's relay, each reads its own config again, and the answer says what each did, including an
/// instance whose config has an error and one that is frozen and cannot answer.
@Suite(.timeLimit(.minutes(2)), .enabled(if: !ScratchDatabase.isSkipped, "BATON_TEST_SKIP_POSTGRES=1"))
struct ReloadEverywhereEndToEndTests {
    typealias Reload = ConfigurationReloadEndToEndTests

    /// A process of its own folder (config and flow), on `database`.
    static func start(on database: ScratchDatabase, greeting: String) async throws -> (baton: BatonProcess, folder: URL) {
        let storage = #"{ postgres: { url: "\#(database.url)", maxConnections: 4 } }"#
        let (folder, config) = try Reload.folder(greeting: greeting, storage: storage)
        return (try await BatonProcess.start(config: config), folder)
    }

    /// Returns once `count` instances listen on `database`: one asked to reload before another listens would not
    /// be asked.
    static func waitForListeners(_ count: Int, on database: ScratchDatabase) async throws {
        let admin = try ScratchDatabase.server.get().admin
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let rows = try await admin.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = \(database.name) AND application_name LIKE 'baton hub listener %'")
            for try await listening in rows.decode(Int.self) where listening >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("\(count) instances did not listen within 20 s")
    }

    static func write(_ flow: String, in folder: URL) throws {
        try flow.write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
    }

    @Test func theAdminRouteReloadsEveryInstanceOnTheDatabaseAndSaysWhatEachDid() async throws {
        let database = try await ScratchDatabase.create()
        let (a, folderA) = try await Self.start(on: database, greeting: "Hello")
        let (b, folderB) = try await Self.start(on: database, greeting: "Hello")
        defer {
            a.kill()
            b.kill()
        }
        try await Self.waitForListeners(2, on: database)
        let onB = try await Reload.say("hi", in: nil, to: b).session

        // The admin page's list: each instance by its machine and process, this one first.
        let overview = try JSONValue(
            jsonText: try await a.get("/admin/overview", headers: [("Authorization", "Bearer \(Reload.adminToken)")]).body)
        let listed = overview["instances"].list
        #expect(listed.map { $0["pid"]?.intValue } == [Int(a.process.processIdentifier), Int(b.process.processIdentifier)], "\(overview)")
        #expect(listed.allSatisfy { $0["host"]?.stringValue == ProcessInfo.processInfo.hostName && $0["address"]?.stringValue == "127.0.0.1" })
        #expect(listed.first?["here"] == .bool(true) && listed.allSatisfy { $0["listeningSince"]?.stringValue != nil }, "\(overview)")

        // Both files edited; the request reaches A alone, as a load balancer would send it.
        try Self.write(Reload.flow(greeting: "Welcome back"), in: folderA)
        try Self.write(Reload.flow(greeting: "Welcome back"), in: folderB)
        let applied = try await Reload().reload(a)
        #expect(applied.status == 200, "\(applied.body)")
        #expect(applied.body["reloaded"].list.compactMap(\.stringValue) == ["test"], "\(applied.body)")
        let instances = applied.body["instances"].list
        #expect(instances.map { $0["status"]?.stringValue } == ["reloaded", "reloaded"], "\(applied.body)")
        #expect(instances.map { $0["reloaded"].list.compactMap(\.stringValue) } == [["test"], ["test"]], "\(applied.body)")
        #expect(instances.first?["here"] == .bool(true) && instances.last?["here"] == nil, "this instance first: \(applied.body)")
        let pids = Set(instances.compactMap { $0["pid"]?.intValue })
        #expect(pids == [Int(a.process.processIdentifier), Int(b.process.processIdentifier)], "\(applied.body)")
        #expect(try await Reload.say("Ada", in: onB, to: b).texts == ["Ada", "Welcome back, Ada.", "Your name?"], "B runs its new flow")
        #expect(await b.waitForLine { $0.contains("configuration reloaded") && $0.contains("through another instance") } != nil)

        // B's file has an error: A reloads, B keeps its flow, and the answer is a 422 with B's diagnostics.
        try Self.write(Reload.flow(greeting: "Again"), in: folderA)
        try Self.write(Reload.flow(greeting: "Broken").replacingOccurrences(of: "goto: ask", with: "goto: asq"), in: folderB)
        let refused = try await Reload().reload(a)
        #expect(refused.status == 422, "\(refused.body)")
        #expect(refused.body["error"]?["message"]?.stringValue == "the config has errors on 1 other instance; the running flows stay there")
        let diagnostic = (refused.body["error"]?["diagnostics"]).list.first?.stringValue ?? ""
        #expect(diagnostic.contains(", pid \(b.process.processIdentifier): ") && diagnostic.contains("unknown node 'asq'"), "\(refused.body)")
        #expect(refused.body["instances"].list.map { $0["status"]?.stringValue } == ["reloaded", "refused"], "\(refused.body)")
        #expect(try await Reload.say("Grace", in: onB, to: b).texts == ["Grace", "Welcome back, Grace.", "Your name?"], "B's flow stays")

        // B frozen: it still listens as far as PostgreSQL knows, and does not answer; A answers without it in time.
        b.pause()
        defer { b.resume() }
        let started = ContinuousClock.now
        let alone = try await Reload().reload(a)
        #expect(alone.status == 200, "\(alone.body)")
        #expect(alone.body["instances"].list.map { $0["status"]?.stringValue } == ["reloaded", "no_answer"], "\(alone.body)")
        let silent = alone.body["instances"].list.last
        #expect(silent?["address"]?.stringValue == "127.0.0.1" && silent?["pid"]?.intValue == Int(b.process.processIdentifier), "\(alone.body)")
        #expect(ContinuousClock.now - started < .seconds(9))
        await database.drop()
    }
}
