import BatonConfig
import BatonCore
import BatonStoreSQLite
import Foundation
import Logging
import Synchronization
import Testing
import Hummingbird
import HummingbirdTesting
import HTTPTypes

@testable import BatonServer

/// `storage.sqlite.backups`: a copy when the newest is due, the newest `keep` kept, the schedule read from the
/// copies' names (so it holds across restarts), nobody else's files touched.
@Suite("Operations: scheduled backups")
struct ScheduledBackupsTests {
    /// A clock set to a time, moved when the test says.
    final class SetClock: Sendable {
        private let time: Mutex<Date>
        init(_ time: Date) { self.time = Mutex(time) }
        func now() -> Date { time.withLock { $0 } }
        func move(minutes: Double) { time.withLock { $0 += minutes * 60 } }
    }

    static func database() async throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("baton-scheduled-\(UUID().uuidString)/baton.sqlite").path
        try await SQLiteSessionStore(path: path).migrate()
        return path
    }

    static func backups(_ database: String, folder: String, keep: Int, clock: SetClock, metrics: BatonMetrics = BatonMetrics()) -> ScheduledBackups {
        ScheduledBackups(
            database: database, settings: SQLiteBackupSettings(folder: folder, everyHours: 1, keep: keep), metrics: metrics,
            now: clock.now, logger: Logger(label: "test"))
    }

    @Test func aCopyIsWrittenWhenTheNewestIsDueAndTheNewestAreKept() async throws {
        let database = try await Self.database()
        let folder = (database as NSString).deletingLastPathComponent + "/backups"
        let start = Date(timeIntervalSince1970: 1_798_859_045)
        let clock = SetClock(start)
        let metrics = BatonMetrics()
        let backups = Self.backups(database, folder: folder, keep: 2, clock: clock, metrics: metrics)
        func copies() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("baton-") }.sorted() }

        #expect(await backups.backUpIfDue() == 3600, "the folder is made and the first copy written at once")
        #expect(try copies() == ["baton-20270102-030405.sqlite"])
        // Not Baton's copies, and a copy some process died writing (a day old) beside one being written now.
        try Data("notes".utf8).write(to: URL(fileURLWithPath: folder + "/baton-notes.sqlite"))
        for name in [".baton-old.partial", ".baton-fresh.partial"] { try Data().write(to: URL(fileURLWithPath: folder + "/" + name)) }
        try FileManager.default.setAttributes([.modificationDate: start.addingTimeInterval(-2 * 24 * 3600)], ofItemAtPath: folder + "/.baton-old.partial")
        try FileManager.default.setAttributes([.modificationDate: start.addingTimeInterval(3 * 3600)], ofItemAtPath: folder + "/.baton-fresh.partial")

        clock.move(minutes: 10)
        #expect(await backups.backUpIfDue() == 50 * 60, "not due: the next in 50 minutes")
        clock.move(minutes: 10)
        let restarted = Self.backups(database, folder: folder, keep: 2, clock: clock)
        #expect(await restarted.backUpIfDue() == 40 * 60, "a restart reads the schedule from the copies' names")
        #expect(try copies() == ["baton-20270102-030405.sqlite", "baton-notes.sqlite"])

        clock.move(minutes: 41)
        #expect(await backups.backUpIfDue() == 3600)
        clock.move(minutes: 60)
        #expect(await backups.backUpIfDue() == 3600)
        #expect(try copies() == ["baton-20270102-040505.sqlite", "baton-20270102-050505.sqlite", "baton-notes.sqlite"], "the oldest copy went")
        let hidden = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".") }
        #expect(hidden == [".baton-fresh.partial"], "only the abandoned copy went")
        let text = metrics.text()
        #expect(text.contains(#"baton_backups_total{outcome="written"} 3"#), "\(text)")
        #expect(text.contains("baton_backup_last_written_timestamp_seconds \(Int(start.timeIntervalSince1970) + 7260)"), "\(text)")
    }

    /// Two copies asked for at once (the schedule's and an operator's) are written one after the other, each whole,
    /// the second named for the same second with `-2`.
    @Test func copiesAskedForTogetherAreWrittenOneAfterTheOther() async throws {
        let database = try await Self.database()
        let folder = (database as NSString).deletingLastPathComponent + "/backups"
        let backups = Self.backups(database, folder: folder, keep: 5, clock: SetClock(Date(timeIntervalSince1970: 1_798_859_045)))
        async let first = backups.backUpNow()
        async let second = backups.backUpNow()
        let names = try await [first, second].map { ($0.path as NSString).lastPathComponent }.sorted()
        #expect(names == ["baton-20270102-030405-2.sqlite", "baton-20270102-030405.sqlite"])
    }

    /// A copy that fails is counted, logged and tried again within the hour; a clock set back waits one interval.
    @Test func aFailedCopyIsTriedAgainWithinTheHour() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-scheduled-\(UUID().uuidString)").path
        let clock = SetClock(Date(timeIntervalSince1970: 1_798_859_045))
        let metrics = BatonMetrics()
        let missing = ScheduledBackups(
            database: folder + "/missing.sqlite", settings: SQLiteBackupSettings(folder: folder, everyHours: 24, keep: 2), metrics: metrics,
            now: clock.now, logger: Logger(label: "test"))
        #expect(await missing.backUpIfDue() == 3600)
        #expect(metrics.text().contains(#"baton_backups_total{outcome="failed"} 1"#))
        #expect(!metrics.text().contains("baton_backup_last_written_timestamp_seconds"))

        let database = try await Self.database()
        let backups = Self.backups(database, folder: folder, keep: 2, clock: clock)
        #expect(await backups.backUpIfDue() == 3600)
        clock.move(minutes: -180)
        #expect(await backups.backUpIfDue() == 3600, "a copy from the future waits one interval, not the gap too")
    }
}

/// `baton doctor` with `storage.sqlite.backups`: a line for the copies, failed with its fix when there is none yet or
/// the newest is late.
@Suite("Operations: doctor on backups")
struct DoctorBackupsTests {
    @Test func theDoctorSaysWhenTheNewestCopyIsMissingOrLate() async throws {
        let database = try await ScheduledBackupsTests.database()
        let folder = (database as NSString).deletingLastPathComponent + "/copies"
        let copied = Date(timeIntervalSince1970: 1_798_859_045)
        let clock = ScheduledBackupsTests.SetClock(copied)
        var configuration = try TestBaton.configuration(databasePath: database)
        let settings = SQLiteBackupSettings(folder: folder, everyHours: 24, keep: 7)
        configuration.storage.sqliteBackups = settings
        let doctor = BatonDoctor(configuration: configuration, store: try SQLiteSessionStore(path: database), now: clock.now, logger: TestBaton.logger)

        #expect(doctor.backups(settings).status == .failed && doctor.backups(settings).detail.contains("no folder"))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let none = doctor.backups(settings)
        #expect(none.status == .failed && none.detail.contains("no copy yet") && none.fix?.contains("could not be backed up") == true, "\(none)")

        _ = try SQLiteBackup.write(database: database, to: folder, now: copied)
        clock.move(minutes: 3 * 60)
        #expect(doctor.backups(settings) == CheckLine(.ok, "backups", "1 copy in \(folder), the newest 3 hours old"))
        #expect(await doctor.run().contains { $0.subject == "backups" && $0.status == .ok }, "the doctor's run has the line")
        clock.move(minutes: 46 * 60)
        let late = doctor.backups(settings)
        #expect(late.status == .failed && late.detail.contains("49 hours old, and one is due every 24 hours"), "\(late)")
    }
}

/// The admin page's backups: `GET /admin/overview` says what there is, `POST /admin/backups` writes a copy now.
@Suite("Operations: backups on the admin page")
struct AdminBackupsTests {
    static let admin: HTTPFields = [.authorization: "Bearer \(TestBaton.adminToken)"]

    static func app(backups: SQLiteBackupSettings?) async throws -> some ApplicationProtocol {
        var configuration = try TestBaton.configuration(databasePath: TestBaton.databasePath())
        configuration.storage.sqliteBackups = backups
        var dependencies = try AppDependencies.live(configuration)
        dependencies.outboxPollInterval = TestBaton.quietOutbox
        return try await buildApplication(configuration: configuration, dependencies: dependencies, logger: TestBaton.logger)
    }

    @Test func withoutAFolderThePageSaysHowToSetOneUpAndWritesNothing() async throws {
        try await Self.app(backups: nil).test(.live) { client in
            let overview = try await client.getJSON("/admin/overview", headers: Self.admin)
            #expect(overview["backups"] == .object(["scheduled": false, "copies": 0]))
            let refused = try await client.execute(uri: "/admin/backups", method: .post, headers: Self.admin)
            #expect(refused.status == .conflict && String(buffer: refused.body).contains("backups_not_configured"))
            #expect(try await client.execute(uri: "/admin/backups", method: .post, headers: [:]).status == .unauthorized)
        }
    }

    @Test func aCopyWrittenOnRequestIsTheNewestOnThePage() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-admin-backups-\(UUID().uuidString)").path
        try await Self.app(backups: SQLiteBackupSettings(folder: folder, everyHours: 24, keep: 3)).test(.live) { client in
            let written = try await client.execute(uri: "/admin/backups", method: .post, headers: Self.admin)
            #expect(written.status == .created, "\(String(buffer: written.body))")
            let copy = try JSONValue(jsonText: String(buffer: written.body))
            let name = try #require(copy["name"]?.stringValue)
            #expect(FileManager.default.fileExists(atPath: folder + "/" + name) && copy["sessions"] == 0 && (copy["bytes"]?.int ?? 0) > 0)
            let backups = try await client.getJSON("/admin/overview", headers: Self.admin)["backups"]
            #expect(backups?["scheduled"] == true && backups?["folder"] == .string(folder) && backups?["keep"] == 3 && backups?["everyHours"] == 24)
            #expect(backups?["newest"]?["name"] == .string(name), "the copy just written is the newest (the one at start, if written yet, is older)")
            #expect(backups?["lastFailure"] == nil)
        }
    }
}
