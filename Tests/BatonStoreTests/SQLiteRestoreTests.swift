import BatonCore
import Foundation
import GRDB
import Testing

@testable import BatonStoreSQLite

/// `baton restore`: a copy put in the database's place, only when nothing has the database open, the database it
/// replaces kept beside it.
@Suite("SQLite restore")
struct SQLiteRestoreTests {
    /// A database with one session, and a copy of it taken before a second session was written.
    static func databaseAndEarlierCopy() async throws -> (database: String, copy: String, first: SessionID, second: SessionID) {
        let database = temporarySQLitePath("restore")
        let folder = (database as NSString).deletingLastPathComponent
        let store = try SQLiteSessionStore(path: database)
        try await store.migrate()
        let first = try await newSession(store, user: "before")
        _ = try await store.update(sessionID: first.id, now: epoch) { $0.append(draft("kept")) }
        let copy = try SQLiteBackup.write(database: database, to: folder + "/copy.sqlite").path
        let second = try await newSession(store, user: "after")
        return (database, copy, first.id, second.id)
    }

    @Test func aCopyReplacesTheDatabaseWhichIsKeptBesideItWithItsLog() async throws {
        let (database, copy, first, second) = try await Self.databaseAndEarlierCopy()
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: database)

        let restored = try SQLiteRestore.restore(copy, as: database, now: Date(timeIntervalSince1970: 1_798_859_045))

        #expect(restored.keptAs == database + ".before-restore-20270102-030405")
        #expect(restored.copy.sessions == 1 && restored.copy.schema == SQLiteSessionStore.migrator.migrations.last)
        #expect(!FileManager.default.fileExists(atPath: database + "-wal") && !FileManager.default.fileExists(atPath: database + "-shm"))
        let mode = try FileManager.default.attributesOfItem(atPath: database)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o640, "the database's own permissions")
        let store = try SQLiteSessionStore(path: database)
        try await store.migrate()
        #expect(try await store.messages(sessionID: first, after: 0, limit: 10).map(\.content.text) == ["kept"])
        #expect(try await store.session(id: second) == nil, "what was written after the copy is not in it")
        let kept = try SQLiteSessionStore(path: try #require(restored.keptAs))
        #expect(try await kept.session(id: second) != nil, "the replaced database, with what its log held")
    }

    /// Baton still running on the database (here: a store with it open) makes the restore refuse and change nothing.
    @Test func aDatabaseInUseIsLeftAlone() async throws {
        let database = temporarySQLitePath("restore-in-use")
        let folder = (database as NSString).deletingLastPathComponent
        let store = try SQLiteSessionStore(path: database)
        try await store.migrate()
        let session = try await newSession(store)
        let copy = try SQLiteBackup.write(database: database, to: folder + "/copy.sqlite").path
        _ = try await newSession(store, user: "u2")

        #expect(throws: SQLiteRestore.Failure.inUse(database)) { try SQLiteRestore.restore(copy, as: database) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains("before-restore") || $0.contains("restoring") }.isEmpty)
        #expect(try await store.session(endpointID: "e1", userID: "u2") != nil, "the database and its writer go on")
        #expect(try await store.session(id: session.id) != nil)
    }

    /// A damaged database, what a restore is often for, is replaced too, and kept aside as it was.
    @Test func aDamagedDatabaseIsReplacedAndKept() async throws {
        let (database, copy, first, _) = try await Self.databaseAndEarlierCopy()
        let damage = Data(repeating: 0x5A, count: 4_096)
        try damage.write(to: URL(fileURLWithPath: database))
        for log in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + log) }

        let restored = try SQLiteRestore.restore(copy, as: database)

        #expect(try Data(contentsOf: URL(fileURLWithPath: try #require(restored.keptAs))) == damage)
        let store = try SQLiteSessionStore(path: database)
        try await store.migrate()
        #expect(try await store.session(id: first) != nil)
    }

    /// A copy that is not a whole database of Baton's is refused before anything is touched.
    @Test func aCopyThatIsNotBatonsOrIsDamagedIsRefusedFirst() async throws {
        let (database, _, _, _) = try await Self.databaseAndEarlierCopy()
        let folder = (database as NSString).deletingLastPathComponent
        let notes = folder + "/notes.sqlite"
        try await DatabaseQueue(path: notes).write { try $0.execute(sql: "CREATE TABLE notes (text TEXT)") }
        let garbage = folder + "/garbage.sqlite"
        try Data(repeating: 7, count: 8_192).write(to: URL(fileURLWithPath: garbage))
        let before = try Data(contentsOf: URL(fileURLWithPath: database))

        #expect(throws: SQLiteBackup.Failure.notBaton(notes)) { try SQLiteRestore.restore(notes, as: database) }
        #expect(throws: (any Error).self) { try SQLiteRestore.restore(garbage, as: database) }
        #expect(throws: SQLiteBackup.Failure.noDatabase(folder + "/missing.sqlite")) { try SQLiteRestore.restore(folder + "/missing.sqlite", as: database) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains("before-restore") }.isEmpty)
    }
}
