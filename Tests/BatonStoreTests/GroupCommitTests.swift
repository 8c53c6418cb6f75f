import BatonCore
import Dispatch
import Foundation
import GRDB
import Testing

@testable import BatonStoreSQLite

/// SQLite's writes that arrive together share a transaction (`GroupCommit`), each in a savepoint of its own.
@Suite("SQLite group commit")
struct GroupCommitTests {
    struct Refused: Error {}

    static func sqliteStore() async throws -> SQLiteSessionStore {
        try #require(try await StoreKind.sqlite.make().store as? SQLiteSessionStore)
    }

    /// Holds the store's writer with a write that waits for the returned semaphore (on the writer's own queue, never
    /// the cooperative pool), so what is submitted meanwhile queues for the next transaction. Signal, then await.
    static func holdWriter(_ store: SQLiteSessionStore) async -> (gate: DispatchSemaphore, held: Task<Void, any Error>) {
        let gate = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        let held = Task { try await store.write { _ in entered.signal(); gate.wait() } }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                entered.wait()
                continuation.resume()
            }
        }
        return (gate, held)
    }

    /// Starts `write` and returns once it waits in the queue, so writes started one after another queue in that order.
    static func queue<T: Sendable>(on store: SQLiteSessionStore, _ write: @escaping @Sendable () async throws -> T) async -> Task<T, any Error> {
        let before = store.commits.waiting
        let task = Task { try await write() }
        while store.commits.waiting == before { await Task.yield() }
        return task
    }

    @Test func writesThatArriveTogetherShareACommitAndEachGetsItsOwnAnswer() async throws {
        let store = try await Self.sqliteStore()
        var sessions: [Session] = []
        for user in 0..<100 { sessions.append(try await newSession(store, user: "u\(user)")) }
        let before = store.commits.committed

        let (gate, held) = await Self.holdWriter(store)
        var writes: [Task<[Message], any Error>] = []
        for (index, session) in sessions.enumerated() {
            writes.append(await Self.queue(on: store) { try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("message \(index)")) }.messages })
        }
        gate.signal()
        try await held.value
        for (index, write) in writes.enumerated() {
            let stored = try await write.value
            #expect(stored.map(\.content.text) == ["message \(index)"] && stored.map(\.sessionID) == [sessions[index].id])
        }
        let after = store.commits.committed
        #expect(after.writes - before.writes == 101)
        // The held write alone, then 100 in batches of at most 64.
        #expect(after.commits - before.commits == 3, "101 writes in \(after.commits - before.commits) commits")
        for (index, session) in sessions.enumerated() {
            #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).map(\.content.text) == ["message \(index)"])
        }
    }

    @Test func aWriteThatThrowsIsRolledBackAloneAndTheOthersInItsTransactionStay() async throws {
        let store = try await Self.sqliteStore()
        let session = try await newSession(store)
        let (gate, held) = await Self.holdWriter(store)
        // In one transaction, in this order: one refuses before it writes; one stores a message, then repeats the
        // first's client message id, which the database refuses (a unique index); the ones around them keep theirs, and
        // the last one's id follows the first's as if the middle ones had never run.
        let first = await Self.queue(on: store) { try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("first", clientID: "c1")) }.messages }
        let refused = await Self.queue(on: store) {
            try await store.update(sessionID: session.id, now: epoch) { update in
                update.append(draft("refused"))
                throw Refused()
            }
        }
        let repeated = await Self.queue(on: store) {
            try await store.update(sessionID: session.id, now: epoch) { update in
                update.append(draft("stored, then undone"))
                update.append(draft("again", clientID: "c1"))
            }
        }
        let last = await Self.queue(on: store) { try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("last")) }.messages }
        let before = store.commits.committed
        gate.signal()
        try await held.value
        #expect(try await first.value.map(\.id) == [1])
        await #expect(throws: Refused.self) { try await refused.value }
        await #expect(throws: SessionStoreError.duplicateClientMessage(session.id, "c1")) { try await repeated.value }
        #expect(try await last.value.map(\.id) == [2])
        let after = store.commits.committed
        #expect(after.commits - before.commits == 2, "the held write's, then one for the four")
        // Without savepoints until the first refusal; then again without it, each in a savepoint.
        #expect(after.reruns - before.reruns == 1, "the batch ran twice, not once per refusal")
        let kept = try await store.messages(sessionID: session.id, after: 0, limit: 10)
        #expect(kept.map(\.content.text) == ["first", "last"], "nothing of the refused write")
        #expect(try await store.session(id: session.id)?.lastMessageID == 2)
    }

    /// SQLite rolls a transaction back by itself on some errors (a full disk, an I/O error: here a write ends it by
    /// hand): the writes after it in the batch must not each commit alone. None of the batch is stored, every caller
    /// is told, and the next batch writes as usual.
    @Test func aTransactionRolledBackUnderABatchStoresNothingOfItAndFailsItsWrites() async throws {
        let store = try await Self.sqliteStore()
        let session = try await newSession(store)
        let (gate, held) = await Self.holdWriter(store)
        let before = await Self.queue(on: store) { try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("before")) }.messages }
        let ending = await Self.queue(on: store) { try await store.write { db in try db.execute(sql: "ROLLBACK") } }
        let after = await Self.queue(on: store) { try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("after")) }.messages }
        gate.signal()
        try await held.value
        for write in [before, after] {
            await #expect(throws: DatabaseError.self) { try await write.value }
        }
        await #expect(throws: DatabaseError.self) { try await ending.value }
        #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).isEmpty)
        #expect(try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("next")) }.messages.map(\.id) == [1])
    }

    /// A write whose error made SQLite roll the transaction back (here: it ends it, then throws) keeps its own error;
    /// the others of its batch run again in a new transaction, as after any write that throws.
    @Test func aWriteThatFailsAfterItsTransactionIsGoneKeepsItsErrorAndTheOthersRunAgain() async throws {
        let store = try await Self.sqliteStore()
        let session = try await newSession(store)
        let (gate, held) = await Self.holdWriter(store)
        let before = await Self.queue(on: store) { try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("before")) }.messages }
        let failing = await Self.queue(on: store) {
            try await store.write { db in
                try db.execute(sql: "ROLLBACK")
                throw Refused()
            }
        }
        let after = await Self.queue(on: store) { try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("after")) }.messages }
        gate.signal()
        try await held.value
        await #expect(throws: Refused.self) { try await failing.value }
        #expect(try await before.value.map(\.id) == [1])
        #expect(try await after.value.map(\.id) == [2])
        #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).map(\.content.text) == ["before", "after"])
    }

    /// A write whose caller is cancelled while it is in its transaction still commits, and what it stored is still
    /// handed over (`committed`): the hub publishes it, so the session's sockets get it though the request that
    /// wrote it is gone.
    @Test(.timeLimit(.minutes(1)))
    func aWriteWhoseCallerWasCancelledInItsTransactionIsStillHandedOverAsItCommits() async throws {
        let store = try await Self.sqliteStore()
        let session = try await newSession(store)
        let (gate, entered) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let (handed, handing) = AsyncStream.makeStream(of: [String].self)
        let write = Task {
            try await store.update(sessionID: session.id, now: epoch, committed: { handing.yield($0.messages.map(\.content.text)) }) { update in
                // On the writer's own queue, in the transaction: the caller is cancelled meanwhile.
                entered.signal()
                gate.wait()
                update.append(draft("stored"))
            }
        }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                entered.wait()
                continuation.resume()
            }
        }
        write.cancel()
        await #expect(throws: CancellationError.self) { try await write.value }
        gate.signal()
        var texts = handed.makeAsyncIterator()
        #expect(await texts.next() == ["stored"])
        #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).map(\.content.text) == ["stored"])
    }

    /// See `expectCancelledCallersToStopWaiting`.
    @Test(.timeLimit(.minutes(1)))
    func aCancelledCallerStopsWaitingAtOnceAndAQueuedWriteNeverRuns() async throws {
        let store = try await Self.sqliteStore()
        let session = try await newSession(store)
        let (gate, held) = await Self.holdWriter(store)
        try await expectCancelledCallersToStopWaiting(
            store: store, session: session, waiting: { store.commits.waiting }, queue: { await Self.queue(on: store, $0) }, held: held,
            release: { gate.signal() })
    }
}
