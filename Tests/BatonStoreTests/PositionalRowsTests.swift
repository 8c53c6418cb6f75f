import BatonCore
import Foundation
import GRDB
import Testing

@testable import BatonStoreSQLite

/// Rows read by position straight from SQLite (`Columns`, `DecodingCursor`): what each column reads as, and that a
/// read leaves its statement holding nothing open, found, not found, or failed.
@Suite("SQLite rows read by position")
struct PositionalRowsTests {
    @Test func columnsReadAsTheirTypesAndANullOnlyAsAnOptional() throws {
        let queue = try DatabaseQueue()
        try queue.read { db in
            let statement = try db.makeStatement(sql: "SELECT ?, ?, NULL, ?")
            let read = try statement.first(["text", 42, 2.5]) { row in
                (try row[0] as String, try row[1] as Int64, try row[2] as String?, try row[3] as Double, try row[1] as Int64?)
            }
            let row = try #require(read)
            #expect(row.0 == "text" && row.1 == 42 && row.2 == nil && row.3 == 2.5 && row.4 == 42)
            #expect(throws: DatabaseError.self) { try statement.first(["text", 42, 2.5]) { row in try row[2] as String } }
            #expect(try statement.all(["a", 1, 0.5]) { row in try row[0] as String } == ["a"])
        }
    }

    /// A pool's reader keeps its statements between reads: one left on a row would keep its read open, and a
    /// checkpoint could not copy what was written after it. After every kind of read, one copies the whole log.
    @Test func aReadLeavesNothingOpenThatHoldsACheckpointBack() async throws {
        let store = try await GroupCommitTests.sqliteStore()
        let session = try await newSession(store)
        _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("one", clientID: "c1")) }
        _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("two", clientID: "c2")) }

        #expect(try await store.session(id: session.id)?.lastMessageID == 2)
        #expect(try await store.session(id: SessionID(rawValue: "missing")) == nil)
        #expect(try await store.message(sessionID: session.id, clientMessageID: "c2")?.content.text == "two")
        #expect(try await store.message(sessionID: session.id, clientMessageID: "missing") == nil)
        #expect(try await store.messages(sessionID: session.id, after: 0, limit: 1).count == 1)
        #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).count == 2)
        // A read whose decoding fails: the same cached statement, on a reader of the pool.
        await #expect(throws: DatabaseError.self) {
            try await store.writer.read { db in
                try db.cachedStatement(sql: SQLiteSessionStore.selectSession).first([session.id.rawValue]) { row in try row[8] as Double }
            }
        }

        for round in 0..<3 { _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("after \(round)")) } }
        let copied = try await store.writer.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        #expect(copied.walFrameCount > 0)
        #expect(copied.checkpointedFrameCount == copied.walFrameCount, "a read held the checkpoint back: \(copied)")
    }
}
