import BatonCore
import Foundation
import GRDB
import Testing

@testable import BatonStoreSQLite

/// SQLite's write-ahead log is copied back into the database and started over while writes keep coming
/// (`WALCheckpointer`), instead of growing by everything written for as long as the load lasts.
@Suite("SQLite write-ahead log")
struct WALCheckpointTests {
    @Test func theLogStartsOverWhileWritesFollowOneAnotherWithoutAPause() async throws {
        let store = try await GroupCommitTests.sqliteStore()
        var sessions: [Session] = []
        for user in 0..<32 { sessions.append(try await newSession(store, user: "u\(user)")) }
        // A page of text per message, so each write adds at least a page to the log: 32 writers, one after another
        // with no pause, twelve checkpoints' worth of writes in all, which a log that never started over would all hold.
        let text = String(repeating: "x", count: SQLiteSessionStore.pageSize - 100)
        let rounds = 12 * WALCheckpointer.writesPerCheckpoint / sessions.count
        try await withThrowingTaskGroup(of: Void.self) { group in
            for session in sessions {
                group.addTask {
                    for round in 0..<rounds {
                        _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("\(round) \(text)")) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let written = sessions.count * rounds
        let observed = store.checkpointer.observed
        #expect(observed.writerCatchUps > 0, "the writer copied a background checkpoint's leftovers")
        // Between two starts the log holds what was written since the last: a few checkpoints' worth of writes.
        #expect(observed.longestLog < written / 3, "the log grew to \(observed.longestLog) frames for \(written) writes")
        let logSize = try #require(try FileManager.default.attributesOfItem(atPath: store.writer.path + "-wal")[.size] as? Int)
        #expect(logSize < written / 3 * SQLiteSessionStore.pageSize, "the log's file is \(logSize) bytes")
        for session in sessions.prefix(2) {
            #expect(try await store.messages(sessionID: session.id, after: 0, limit: 1_000).count == rounds)
        }
    }

    /// A new database gets the store's page size; a file an earlier Baton made with SQLite's default 4 KB pages keeps
    /// them, and every read and write works on it as before.
    @Test func aNewDatabaseHasTheStoresPagesAndAnOlderFileKeepsItsOwn() async throws {
        // A message far longer than a page, which SQLite stores on in overflow pages, reads back whole.
        let long = String(repeating: "long message ", count: 1_000)
        func writeAndRead(_ store: SQLiteSessionStore) async throws -> Int? {
            let session = try await newSession(store, user: "u")
            _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("hello")); $0.append(draft(long)) }
            #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).map(\.content.text) == ["hello", long])
            return try await store.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") }
        }
        #expect(try await writeAndRead(GroupCommitTests.sqliteStore()) == SQLiteSessionStore.pageSize)

        let path = temporarySQLitePath("pages")
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let older = try DatabaseQueue(path: path)
            try await older.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL")
            }
            try SQLiteSessionStore.migrator.migrate(older)
            try older.close()
        }
        let store = try SQLiteSessionStore(path: path)
        try await store.migrate()
        #expect(try await writeAndRead(store) == 4_096)
    }

    /// `storage.sqlite.syncEachCommit`: SQLite flushes the log at each commit (`synchronous = FULL`, 2) only when
    /// asked; by default at each checkpoint (`NORMAL`, 1), which a crash of the process survives and a power cut may not.
    @Test(arguments: [(false, 1), (true, 2)])
    func eachCommitIsFlushedToTheDiskOnlyWhenAsked(syncsEachCommit: Bool, synchronous: Int) async throws {
        let path = temporarySQLitePath("sync")
        let store = try SQLiteSessionStore(path: path, syncsEachCommit: syncsEachCommit)
        try await store.migrate()
        let session = try await newSession(store, user: "u")
        _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("hello")) }
        #expect(try await store.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == synchronous)
    }
}
