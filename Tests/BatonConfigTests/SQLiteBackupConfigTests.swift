import BatonCore
import Foundation
import Testing

@testable import BatonConfig

/// `storage.sqlite.backups`: copies of the SQLite database on a schedule.
@Suite final class SQLiteBackupConfigTests {
    let files: FixtureDirectory

    init() throws { files = try FixtureDirectory() }
    deinit { files.remove() }

    func load(_ storage: String, environment: [String: String] = [:]) throws -> BatonConfiguration {
        try files.loadStorage(storage, environment: environment)
    }

    func failure(_ storage: String, environment: [String: String] = [:]) -> [Diagnostic] {
        failureDiagnostics { try self.files.loadStorage(storage, environment: environment) }
    }

    @Test func theFolderIsReadBesideTheConfigWithADailyCopyAndAWeekKept() throws {
        let backups = try load("storage:\n  sqlite:\n    backups: { folder: backups }\n").storage.sqliteBackups
        #expect(backups == SQLiteBackupSettings(folder: files.path("backups"), everyHours: 24, keep: 7))
        let set = try load("storage:\n  sqlite:\n    backups: { folder: /var/backups/baton, everyHours: 6, keep: 28 }\n").storage.sqliteBackups
        #expect(set == SQLiteBackupSettings(folder: "/var/backups/baton", everyHours: 6, keep: 28))
        let fromEnvironment = try load("", environment: ["BATON_STORAGE_SQLITE_BACKUPS_FOLDER": "/srv/copies"]).storage.sqliteBackups
        #expect(fromEnvironment?.folder == "/srv/copies")
        #expect(try load("storage:\n  sqlite:\n    path: a.sqlite\n").storage.sqliteBackups == nil)
    }

    @Test func aFolderIsRequiredAndTheScheduleBounded() {
        expectDiagnostic(
            failure("storage:\n  sqlite:\n    backups: { keep: 3 }\n"), file: files.path("baton.yaml"), line: 3, path: "storage.sqlite.backups",
            message: "missing required key 'folder'")
        expectDiagnostic(
            failure("storage:\n  sqlite:\n    backups: { folder: b, everyHours: 0 }\n"), file: files.path("baton.yaml"), line: 3,
            path: "storage.sqlite.backups.everyHours", message: "must be between 1 and 8760")
        expectDiagnostic(
            failure("storage:\n  sqlite:\n    backups: { folder: b, keep: 0 }\n"), file: files.path("baton.yaml"), line: 3,
            path: "storage.sqlite.backups.keep", message: "must be between 1 and 10000")
    }

    /// The environment may choose PostgreSQL for a file that names SQLite; its copies would then be of nothing.
    @Test func backupsWithPostgreSQLAreAnError() {
        expectDiagnostic(
            failure("storage:\n  sqlite:\n    backups: { folder: b }\n", environment: ["BATON_STORAGE_POSTGRES_URL": PostgresStorageConfigTests.url]),
            file: files.path("baton.yaml"), line: 3, path: "storage.sqlite.backups", message: "PostgreSQL's own tools (pg_dump)")
    }
}
