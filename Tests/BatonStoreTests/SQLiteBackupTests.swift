import BatonCore
import Foundation
import GRDB
import Synchronization
import Testing

@testable import BatonStoreSQLite

/// `baton backup`'s copy of the SQLite database, taken while the store writes.
@Suite("SQLite backup")
struct SQLiteBackupTests {
    /// The copy is the database as one commit left it, with every write acknowledged before it began, and a store
    /// opens it as it is; the writes going on meanwhile all succeed.
    @Test func aCopyTakenWhileWritesGoOnHoldsEveryAcknowledgedWriteAndOpensAsAStore() async throws {
        let path = temporarySQLitePath("backup-source")
        let store = try SQLiteSessionStore(path: path)
        try await store.migrate()
        var sessions: [Session] = []
        for user in 0..<20 { sessions.append(try await newSession(store, user: "u\(user)")) }
        try await store.saveFile(StoredFile(id: "f1", sessionID: sessions[0].id, name: "a.png", mimeType: "image/png", bytes: Array(0...255), createdAt: epoch))
        let busy = sessions[1].id
        let acknowledged = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let enoughWritten = AsyncStream.makeStream(of: Void.self)
        let writes = Task {
            var written = 0
            while !stop.load(ordering: .relaxed) {
                written += 1
                _ = try await store.update(sessionID: busy, now: epoch) { [written] in $0.append(draft("m\(written)")) }
                acknowledged.store(written, ordering: .relaxed)
                if written == 50 { enoughWritten.continuation.yield() }
            }
            return written
        }
        for await _ in enoughWritten.stream { break }

        let before = acknowledged.load(ordering: .relaxed)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-backups-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let summary = try SQLiteBackup.write(database: path, to: folder + "/copy.sqlite")
        stop.store(true, ordering: .relaxed)
        let after = try await writes.value

        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["copy.sqlite"], "no partial copy, log or journal is left beside it")
        #expect(summary.sessions == 20 && summary.pageSize == SQLiteSessionStore.pageSize && summary.bytes > 0)
        #expect(summary.schema == SQLiteSessionStore.migrator.migrations.last)
        let copy = try SQLiteSessionStore(path: summary.path)
        try await copy.migrate()
        let texts = try await copy.messages(sessionID: busy, after: 0, limit: 10_000).map(\.content.text)
        #expect(texts.count >= before && texts.count <= after, "every write acknowledged before the copy began is in it")
        #expect(texts == (0..<texts.count).map { "m\($0 + 1)" }, "the copy is one commit's state: no write missing before its last")
        #expect(try await copy.file(id: "f1")?.bytes == Array(0...255))
        #expect(try await copy.session(id: sessions[19].id) != nil)
    }

    /// A backup never replaces a file, never creates the database it copies, and says why it wrote nothing.
    @Test func aBackupNeverReplacesAFileNorCreatesADatabase() async throws {
        let path = temporarySQLitePath("backup-refusals")
        let store = try SQLiteSessionStore(path: path)
        try await store.migrate()
        let folder = (path as NSString).deletingLastPathComponent
        let existing = folder + "/existing.sqlite"
        try Data("mine".utf8).write(to: URL(fileURLWithPath: existing))

        #expect(throws: SQLiteBackup.Failure.destinationExists(existing)) { try SQLiteBackup.write(database: path, to: existing) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: existing)) == Data("mine".utf8))
        let missing = folder + "/missing.sqlite"
        #expect(throws: SQLiteBackup.Failure.noDatabase(missing)) { try SQLiteBackup.write(database: missing, to: folder + "/copy.sqlite") }
        #expect(!FileManager.default.fileExists(atPath: missing))
        #expect(throws: SQLiteBackup.Failure.noFolder(folder + "/nowhere")) { try SQLiteBackup.write(database: path, to: folder + "/nowhere/copy.sqlite") }
        let other = folder + "/other.sqlite"
        try await DatabaseQueue(path: other).write { try $0.execute(sql: "CREATE TABLE notes (text TEXT)") }
        #expect(throws: SQLiteBackup.Failure.notBaton(other)) { try SQLiteBackup.write(database: other, to: folder + "/copy.sqlite") }
        #expect(!FileManager.default.fileExists(atPath: folder + "/copy.sqlite"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".partial") }.isEmpty)
    }

    /// Given a folder, the copy is named after the time in UTC, so copies sort as they were made (and their names
    /// give the time back); it keeps the database's page size and is no more readable than the database.
    @Test func aCopyInAFolderIsNamedAfterTheTimeAndKeepsThePagesAndPermissions() async throws {
        let path = temporarySQLitePath("backup-folder")
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            // A database made before new ones got 2 KB pages.
            let older = try DatabaseQueue(path: path)
            try await older.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL") }
            try SQLiteSessionStore.migrator.migrate(older)
            try older.close()
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-backups-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // 2027-01-02 03:04:05 UTC: each part padded to its width.
        let summary = try SQLiteBackup.write(database: path, to: folder, now: Date(timeIntervalSince1970: 1_798_859_045))
        #expect(summary.path == folder + "/baton-20270102-030405.sqlite")
        #expect(summary.pageSize == 4_096 && summary.sessions == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: summary.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o640)
        let made = try SQLiteBackup.write(database: path, to: folder + "/made/", now: Date(timeIntervalSince1970: 1_798_859_046))
        #expect(made.path == folder + "/made/baton-20270102-030406.sqlite", "a path ending in / is a folder, made when missing")
        let again = try SQLiteBackup.write(database: path, to: folder + "/made/", now: Date(timeIntervalSince1970: 1_798_859_046))
        #expect(again.path == folder + "/made/baton-20270102-030406-2.sqlite", "a second copy within the second")
        #expect(SQLiteBackup.time(ofCopyNamed: "baton-20270102-030406.sqlite") == Date(timeIntervalSince1970: 1_798_859_046))
        #expect(SQLiteBackup.time(ofCopyNamed: "baton-20270102-030406-2.sqlite") == Date(timeIntervalSince1970: 1_798_859_046))
        for name in [
            "baton-20271302-030406.sqlite", "baton-2027010-2030406.sqlite", "baton-20270102-030406.sqlite-wal", "notes.sqlite", "baton-20270102-030406-1.sqlite",
        ] {
            #expect(SQLiteBackup.time(ofCopyNamed: name) == nil, "\(name) is not a copy's name")
        }
    }
}
