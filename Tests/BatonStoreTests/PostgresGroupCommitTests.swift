import BatonCore
import Foundation
import PostgresNIO
import Synchronization
import Testing

@testable import BatonStorePostgres

/// PostgreSQL's writes that arrive together share a transaction (`PostgresGroupCommit`), with the sessions' rows
/// locked first in the order of their ids; a write that throws is undone alone.
@Suite("PostgreSQL group commit", .enabled(if: !PostgresTestServer.isSkipped))
struct PostgresGroupCommitTests {
    /// A store on a fresh schema whose writes go one shared transaction at a time, and the schema.
    /// Its connections go by the schema's name in `pg_stat_activity`.
    static func store(writeTransactions: Int = 1) async throws -> (store: PostgresSessionStore, schema: String) {
        let schema = try await PostgresTestServer.freshSchema()
        let client = try PostgresTestServer.start(search: schema, applicationName: schema)
        let store = PostgresSessionStore(client: client, logger: PostgresTestServer.logger, writeTransactions: writeTransactions)
        try await store.migrate()
        return (store, schema)
    }

    /// Holds `session`'s row lock from a connection outside the store until `release` is called, so a write of that
    /// session waits in its transaction and what is submitted meanwhile queues for the next one.
    final class RowLock: Sendable {
        private let gate = AsyncStream<Void>.makeStream()
        private let held: Task<Void, any Error>
        /// The server process of the connection that holds it.
        let pid: Int32

        init(_ session: SessionID, schema: String) async throws {
            let client = try PostgresTestServer.start(search: schema)
            let locked = AsyncStream<Int32>.makeStream()
            let gate = self.gate.stream
            held = Task {
                try await client.withTransaction(logger: PostgresTestServer.logger) { connection in
                    try await connection.query("SELECT 1 FROM sessions WHERE id = \(session.rawValue) FOR UPDATE", logger: PostgresTestServer.logger)
                    let pid = try await connection.query("SELECT pg_backend_pid()", logger: PostgresTestServer.logger).collect()[0].decode(Int32.self)
                    locked.continuation.yield(pid)
                    for await _ in gate { break }
                }
            }
            var lockedBy = locked.stream.makeAsyncIterator()
            pid = try #require(await lockedBy.next())
        }

        /// Ends, on the server, the connections that wait for this lock, once one does: what a restart or a failover
        /// does to a transaction in flight.
        func terminateWaiters() async throws {
            let admin = try PostgresTestServer.admin.get()
            var ended = 0
            while ended == 0 {
                let rows = try await admin.query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE \(pid) = ANY(pg_blocking_pids(pid))"
                ).collect()
                ended = rows.count
            }
        }

        func release() async throws {
            gate.continuation.yield()
            try await held.value
        }
    }

    /// Starts `write` and returns once the group commit took it into a transaction.
    static func start<T: Sendable>(on store: PostgresSessionStore, _ write: @escaping @Sendable () async throws -> T) async -> Task<T, any Error> {
        let before = store.commits.taken
        let task = Task { try await write() }
        await until { store.commits.taken > before }
        return task
    }

    /// Starts `write` and returns once it waits in the queue, so writes started one after another queue in that order.
    static func queue<T: Sendable>(on store: PostgresSessionStore, _ write: @escaping @Sendable () async throws -> T) async -> Task<T, any Error> {
        let before = store.commits.waiting
        let task = Task { try await write() }
        await until { store.commits.waiting > before }
        return task
    }

    /// Yields until `condition` holds, or until the test is cancelled (its time limit), which then fails on what it
    /// expects instead of spinning for good.
    static func until(_ condition: () -> Bool) async {
        while !condition(), !Task.isCancelled { await Task.yield() }
    }

    @Test func writesThatArriveTogetherShareACommitAndEachGetsItsOwnAnswer() async throws {
        let (store, schema) = try await Self.store()
        let held = try await newSession(store, user: "held")
        var sessions: [Session] = []
        for user in 0..<64 { sessions.append(try await newSession(store, user: "u\(user)")) }
        let before = store.commits.committed

        let lock = try await RowLock(held.id, schema: schema)
        // In a transaction of its own, waiting for the row lock; the 64 after it queue meanwhile.
        let first = await Self.start(on: store) { try await store.update(sessionID: held.id, now: epoch) { $0.append(draft("held")) }.messages }
        var writes: [Task<[Message], any Error>] = []
        for (index, session) in sessions.enumerated() {
            writes.append(await Self.queue(on: store) { try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("message \(index)")) }.messages })
        }
        try await lock.release()
        #expect(try await first.value.map(\.content.text) == ["held"])
        for (index, write) in writes.enumerated() {
            let stored = try await write.value
            #expect(stored.map(\.content.text) == ["message \(index)"] && stored.map(\.sessionID) == [sessions[index].id])
        }
        let after = store.commits.committed
        #expect(after.writes - before.writes == 65)
        // The held write alone, then 64 in two transactions of 32, each saving its 32 in one statement; each of the
        // two begun by the one before's COMMIT AND CHAIN, since writes waited.
        #expect(after.commits - before.commits == 3, "65 writes in \(after.commits - before.commits) commits")
        #expect(after.saveStatements - before.saveStatements == 3, "65 saves in \(after.saveStatements - before.saveStatements) statements")
        #expect(after.chained - before.chained == 2, "\(after.chained - before.chained) transactions chained")
        #expect(try await Self.transactionsLeftOpen(schema: schema) == 0)
        for (index, session) in sessions.enumerated() {
            #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).map(\.content.text) == ["message \(index)"])
        }
    }

    @Test func aWriteThatFailsInTheDatabaseIsRolledBackAloneAndTheOthersInItsTransactionStay() async throws {
        let (store, schema) = try await Self.store()
        let held = try await newSession(store, user: "held")
        let session = try await newSession(store)
        let lock = try await RowLock(held.id, schema: schema)
        let gate = await Self.start(on: store) { try await store.update(sessionID: held.id, now: epoch) { _ in } }
        // In one transaction, in this order: the middle one stores a message, then repeats the first's client message
        // id, which the database refuses (a unique index); the ones around it keep theirs, and the last one's id
        // follows the first's as if the middle one had never run.
        let first = await Self.queue(on: store) { try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("first", clientID: "c1")) }.messages }
        let refused = await Self.queue(on: store) {
            try await store.update(sessionID: session.id, now: epoch) { update in
                update.append(draft("stored, then undone"))
                update.append(draft("again", clientID: "c1"))
            }
        }
        let last = await Self.queue(on: store) { try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("last")) }.messages }
        let before = store.commits.committed
        try await lock.release()
        _ = try await gate.value
        #expect(try await first.value.map(\.id) == [1])
        await #expect(throws: SessionStoreError.duplicateClientMessage(session.id, "c1")) { try await refused.value }
        #expect(try await last.value.map(\.id) == [2])
        let after = store.commits.committed
        #expect(after.commits - before.commits == 2, "the held write's, then one for the three")
        #expect(after.reruns - before.reruns == 1, "the three ran without savepoints, then the two without the refused one")
        let kept = try await store.messages(sessionID: session.id, after: 0, limit: 10)
        #expect(kept.map(\.content.text) == ["first", "last"], "nothing of the refused write")
        #expect(try await store.session(id: session.id)?.lastMessageID == 2)
    }

    /// Writes of other sessions share one statement of saves: one of them that repeats an id fails that statement
    /// without saying whose it was, so the batch runs again with a statement per save, then without the refused one.
    @Test func aRepeatedIdInASharedSaveFailsOnlyItsWrite() async throws {
        let (store, schema) = try await Self.store()
        let held = try await newSession(store, user: "held")
        let sessions = [try await newSession(store, user: "a"), try await newSession(store, user: "b"), try await newSession(store, user: "c")]
        _ = try await store.update(sessionID: sessions[1].id, now: epoch) { $0.append(draft("earlier", clientID: "c1")) }
        let lock = try await RowLock(held.id, schema: schema)
        let gate = await Self.start(on: store) { try await store.update(sessionID: held.id, now: epoch) { _ in } }
        var writes: [Task<[Message], any Error>] = []
        for (index, session) in sessions.enumerated() {
            let clientID = index == 1 ? "c1" : "c\(index)"
            writes.append(await Self.queue(on: store) { try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("again \(index)", clientID: clientID)) }.messages })
        }
        let before = store.commits.committed
        try await lock.release()
        _ = try await gate.value
        #expect(try await writes[0].value.map(\.content.text) == ["again 0"])
        await #expect(throws: SessionStoreError.duplicateClientMessage(sessions[1].id, "c1")) { try await writes[1].value }
        #expect(try await writes[2].value.map(\.content.text) == ["again 2"])
        let after = store.commits.committed
        #expect(after.commits - before.commits == 2 && after.writes - before.writes == 3, "the held write's, then the two others in one")
        #expect(after.reruns - before.reruns == 2, "shared, then a statement each, then without the refused write")
        #expect(try await store.messages(sessionID: sessions[1].id, after: 0, limit: 10).map(\.content.text) == ["earlier"])
        #expect(try await store.session(id: sessions[1].id)?.lastMessageID == 1, "nothing of the refused write")
        for index in [0, 2] {
            #expect(try await store.messages(sessionID: sessions[index].id, after: 0, limit: 10).map(\.content.text) == ["again \(index)"])
        }
    }

    /// The saves of a transaction go as columns of arrays, `NULL`s among them: each session's messages, jobs (in
    /// their step's order, with its trace) and row come back as written, whatever the others' held.
    @Test func aSharedSaveKeepsEachSessionsColumnsNullsAndJobOrder() async throws {
        let (store, schema) = try await Self.store()
        let held = try await newSession(store, user: "held")
        let (a, b, c) = (try await newSession(store, user: "a"), try await newSession(store, user: "b"), try await newSession(store, user: "c"))
        let reply = MessageDraft(
            sender: .agent, content: MessageContent(text: "from the desk"), createdAt: epoch, agentName: "Ana", externalID: "m7", externalOrder: 7)
        let lock = try await RowLock(held.id, schema: schema)
        let gate = await Self.start(on: store) { try await store.update(sessionID: held.id, now: epoch) { _ in } }
        let writes = [
            await Self.queue(on: store) {
                try await store.update(sessionID: a.id, now: epoch) { update in
                    update.append(draft("plain"))
                    update.enqueue(.post(messageID: 1, handover: 1))
                    update.enqueue(.note("second", handover: 1))
                    update.rateBucket = RateBucket(tokens: 2.5, at: epoch)
                }.messages
            },
            await Self.queue(on: store) {
                try await store.update(sessionID: b.id, now: epoch) { update in
                    update.append(reply)
                    update.enqueue(.reply(messageID: 1))
                    update.trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
                }.messages
            },
            await Self.queue(on: store) {
                try await store.update(sessionID: c.id, now: epoch) { $0.rateBucket = RateBucket(tokens: 0.5, at: epoch) }.messages
            },
        ]
        let before = store.commits.committed
        try await lock.release()
        _ = try await gate.value
        for write in writes { _ = try await write.value }
        let after = store.commits.committed
        #expect(after.commits - before.commits == 2 && after.saveStatements - before.saveStatements == 2, "the held write's, then the three in one")

        let plain = try #require(try await store.messages(sessionID: a.id, after: 0, limit: 10).first)
        #expect(plain.content.text == "plain" && plain.clientMessageID == nil && plain.agentName == nil && plain.externalOrder == nil)
        let stored = try #require(try await store.messages(sessionID: b.id, after: 0, limit: 10).first)
        #expect(stored.agentName == "Ana" && stored.externalID == "m7" && stored.externalOrder == 7 && stored.createdAt == epoch)
        #expect(try await store.messages(sessionID: c.id, after: 0, limit: 10).isEmpty)
        let jobs = try await store.outbox(dead: false, limit: 10)
        #expect(jobs.filter { $0.sessionID == a.id }.map(\.job) == [.post(messageID: 1, handover: 1), .note("second", handover: 1)])
        #expect(jobs.filter { $0.sessionID == a.id }.allSatisfy { $0.trace == nil })
        #expect(jobs.filter { $0.sessionID == b.id }.map(\.trace) == ["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"])
        let expected = [(a, Int64(1), RateBucket(tokens: 2.5, at: epoch)), (b, 1, nil), (c, 0, RateBucket(tokens: 0.5, at: epoch))]
        for (session, lastID, bucket) in expected {
            #expect(try await store.session(id: session.id)?.lastMessageID == lastID)
            _ = try await store.update(sessionID: session.id, now: epoch) { #expect($0.rateBucket == bucket) }
        }
    }

    /// Agent replies are saved on the guess that they came in order. In a shared statement, the one that came late
    /// writes nothing there and is then placed before the later reply it found, while the others stay saved; a
    /// second reply of its session in the same batch comes after both, reading the session as they left it.
    @Test func aLateReplyInASharedSaveIsPlacedAfterTheStatementAndItsSessionsNextWriteSeesIt() async throws {
        let (store, schema) = try await Self.store()
        @Sendable func reply(_ text: String, _ order: Int64) -> MessageDraft {
            MessageDraft(sender: .agent, content: MessageContent(text: text), createdAt: epoch, externalID: "m\(order)", externalOrder: order)
        }
        let held = try await newSession(store, user: "held")
        let late = try await newSession(store, user: "late")
        let other = try await newSession(store, user: "other")
        _ = try await store.update(sessionID: late.id, now: epoch) { $0.append(reply("third", 30)) }
        let lock = try await RowLock(held.id, schema: schema)
        let gate = await Self.start(on: store) { try await store.update(sessionID: held.id, now: epoch) { _ in } }
        let second = await Self.queue(on: store) { try await store.update(sessionID: late.id, now: epoch) { $0.append(reply("second", 20)) }.messages }
        let elsewhere = await Self.queue(on: store) { try await store.update(sessionID: other.id, now: epoch) { $0.append(reply("elsewhere", 10)) }.messages }
        let fourth = await Self.queue(on: store) { try await store.update(sessionID: late.id, now: epoch) { $0.append(reply("fourth", 40)) }.messages }
        let before = store.commits.committed
        try await lock.release()
        _ = try await gate.value
        // "second" went in as message 2, then "third" moved behind it as message 3; "fourth" follows as 4.
        #expect(try await second.value.map(\.content.text) == ["second", "third"])
        #expect(try await elsewhere.value.map(\.id) == [1])
        #expect(try await fourth.value.map(\.id) == [4])
        let after = store.commits.committed
        #expect(after.commits - before.commits == 2 && after.reruns == before.reruns, "the held write's, then the three in one, run once")
        #expect(after.saveStatements - before.saveStatements == 4, "the held one; second and elsewhere; third moved; fourth")
        let stored = try await store.messages(sessionID: late.id, after: 0, limit: 10).filter { !$0.retracted }
        #expect(stored.map(\.content.text) == ["second", "third", "fourth"])
        #expect(try await store.session(id: late.id)?.lastMessageID == 4)
    }

    /// A transaction leaves a write whose session another of the store's transactions holds: taken, it would wait
    /// for that one's row lock with every write beside it, and could run before its session's earlier write.
    @Test(.timeLimit(.minutes(1)))
    func aWriteWaitsForItsSessionsRunningTransactionWithoutHoldingUpOthers() async throws {
        let (store, schema) = try await Self.store(writeTransactions: 2)
        let held = try await newSession(store, user: "held")
        let other = try await newSession(store, user: "other")
        let lock = try await RowLock(held.id, schema: schema)
        let first = await Self.start(on: store) { try await store.update(sessionID: held.id, now: epoch) { $0.append(draft("first")) }.messages }
        let second = await Self.queue(on: store) { try await store.update(sessionID: held.id, now: epoch) { $0.append(draft("second")) }.messages }
        // Committed while the held session's row is still locked: the second transaction did not take its later write.
        let unrelated = try await store.update(sessionID: other.id, now: epoch) { $0.append(draft("unrelated")) }.messages
        #expect(unrelated.map(\.content.text) == ["unrelated"])
        #expect(store.commits.waiting == 1, "the held session's later write waits for its transaction")
        try await lock.release()
        #expect(try await first.value.map(\.id) == [1])
        #expect(try await second.value.map(\.id) == [2])
        #expect(try await store.messages(sessionID: held.id, after: 0, limit: 10).map(\.content.text) == ["first", "second"])
    }

    /// See `expectCancelledCallersToStopWaiting`; the write in a transaction commits once its lock is released.
    @Test(.timeLimit(.minutes(1)))
    func aCancelledCallerStopsWaitingAtOnceAndAQueuedWriteNeverRuns() async throws {
        let (store, schema) = try await Self.store()
        let held = try await newSession(store, user: "held")
        let session = try await newSession(store)
        let lock = try await RowLock(held.id, schema: schema)
        let first = await Self.start(on: store) { try await store.update(sessionID: held.id, now: epoch) { $0.append(draft("held")) }.messages }
        try await expectCancelledCallersToStopWaiting(
            store: store, session: session, waiting: { store.commits.waiting }, queue: { await Self.queue(on: store, $0) }, held: first,
            release: { try await lock.release() })
        #expect(try await store.messages(sessionID: held.id, after: 0, limit: 10).map(\.content.text) == ["held"])
    }

    /// Two instances' shared transactions each take the same two sessions, submitted in opposite orders. Locked one
    /// by one as submitted, each would hold one row and wait for the other's (a deadlock PostgreSQL ends after a
    /// second by failing one); locked together in id order, one waits for the other and neither runs again.
    @Test func transactionsTakingTheSameSessionsInOppositeOrdersDoNotDeadlock() async throws {
        let (one, schema) = try await Self.store()
        let other = PostgresSessionStore(client: try PostgresTestServer.start(search: schema), logger: PostgresTestServer.logger, writeTransactions: 1)
        let a = try await newSession(one, user: "a")
        let b = try await newSession(one, user: "b")
        let gates = (try await newSession(one, user: "gate one"), try await newSession(one, user: "gate other"))
        for round in 0..<10 {
            let locks = (try await RowLock(gates.0.id, schema: schema), try await RowLock(gates.1.id, schema: schema))
            let held = [
                await Self.start(on: one) { try await one.update(sessionID: gates.0.id, now: epoch) { _ in } },
                await Self.start(on: other) { try await other.update(sessionID: gates.1.id, now: epoch) { _ in } },
            ]
            let writes = [
                await Self.queue(on: one) { try await one.update(sessionID: a.id, now: epoch) { $0.append(draft("one \(round)")) }.messages },
                await Self.queue(on: one) { try await one.update(sessionID: b.id, now: epoch) { $0.append(draft("one \(round)")) }.messages },
                await Self.queue(on: other) { try await other.update(sessionID: b.id, now: epoch) { $0.append(draft("other \(round)")) }.messages },
                await Self.queue(on: other) { try await other.update(sessionID: a.id, now: epoch) { $0.append(draft("other \(round)")) }.messages },
            ]
            async let released: Void = locks.0.release()
            try await locks.1.release()
            try await released
            for write in held { _ = try await write.value }
            for write in writes { #expect(try await write.value.count == 1) }
        }
        #expect(one.commits.committed.retries == 0 && other.commits.committed.retries == 0, "no transaction ran into a deadlock")
        for session in [a, b] {
            let texts = try await one.messages(sessionID: session.id, after: 0, limit: 100).map(\.content.text)
            #expect(texts.count == 20 && Set(texts).count == 20)
        }
    }

    /// A transaction stuck for longer than a second (here on a lock someone holds) holds up only the writes of its
    /// sessions: a write submitted then starts another transaction, which takes the writes that waited.
    @Test(.timeLimit(.minutes(1)))
    func aStuckTransactionHoldsUpOnlyTheWritesOfItsSessions() async throws {
        let schema = try await PostgresTestServer.freshSchema()
        let clock = TestClock()
        let store = PostgresSessionStore(client: try PostgresTestServer.start(search: schema), logger: PostgresTestServer.logger, clock: { clock.now })
        try await store.migrate()
        let stuck = try await newSession(store, user: "stuck")
        let other = try await newSession(store, user: "other")
        let lock = try await RowLock(stuck.id, schema: schema)
        let held = await Self.start(on: store) { try await store.update(sessionID: stuck.id, now: epoch) { $0.append(draft("held")) }.messages }
        let waited = await Self.queue(on: store) { try await store.update(sessionID: other.id, now: epoch) { $0.append(draft("waited")) }.messages }
        let behind = await Self.queue(on: store) { try await store.update(sessionID: stuck.id, now: epoch) { $0.append(draft("behind")) }.messages }

        clock.advance(by: .seconds(2))
        let later = Task { try await store.update(sessionID: other.id, now: epoch) { $0.append(draft("later")) }.messages }
        #expect(try await waited.value.map(\.content.text) == ["waited"], "taken by the transaction the later write started")
        #expect(try await later.value.map(\.content.text) == ["later"])
        #expect(store.commits.waiting == 1, "the stuck session's next write still waits behind it")

        try await lock.release()
        #expect(try await held.value.map(\.content.text) == ["held"])
        #expect(try await behind.value.map(\.content.text) == ["behind"])
        let texts = try await store.messages(sessionID: stuck.id, after: 0, limit: 10).map(\.content.text)
        #expect(texts == ["held", "behind"], "in order")
    }

    /// A transaction whose connection closed under its writes and that never answers (PostgresNIO 1.33 can leave a
    /// statement sent on a closing connection unanswered) is given up a second after the close. Its `COMMIT` was never
    /// sent, so it committed nothing: it runs again on another connection, and the session's next write follows it.
    @Test(.timeLimit(.minutes(1)))
    func aTransactionWhoseConnectionClosedAndNeverAnswersIsGivenUpAndRunsAgain() async throws {
        let (store, _) = try await Self.store()
        let cut = try await newSession(store, user: "cut")
        let never = AsyncStream<Void>.makeStream()
        let runs = Mutex(0)
        let lost = await Self.start(on: store) {
            try await store.commits.write(session: cut.id) { connection, _ -> WriteProgress<Int> in
                let run = runs.withLock { $0 += 1; return $0 }
                if run == 1 {
                    try await connection.close()
                    for await _ in never.stream {}
                }
                return .done(run)
            }
        }
        let behind = await Self.queue(on: store) { try await store.update(sessionID: cut.id, now: epoch) { $0.append(draft("behind")) }.messages }

        #expect(try await lost.value == 2, "given up, then run again and committed")
        #expect(try await behind.value.map(\.content.text) == ["behind"], "the session's next write went on")
        #expect(store.watch.waiting == 0, "nothing waits for the closed connection")
        #expect(store.commits.committed.retries >= 1)

        // The given-up run returns at last; it changes nothing.
        never.continuation.finish()
        let after = try await store.update(sessionID: cut.id, now: epoch) { $0.append(draft("after")) }.messages
        #expect(after.map(\.content.text) == ["after"])
        #expect(try await store.messages(sessionID: cut.id, after: 0, limit: 10).map(\.content.text) == ["behind", "after"])
    }

    /// The server ends the connection of a transaction waiting for a row lock (`pg_terminate_backend`, as a restart or
    /// a failover would). Its `COMMIT` was never sent, so it committed nothing: it runs again on another connection,
    /// though the pool may hand out the cut one once more before it notices, and a statement on that one may never be
    /// answered. Its write lands once, in order, and the writes after it go through.
    @Test(.timeLimit(.minutes(1)))
    func aTransactionCutBeforeItsCommitRunsAgainOnAnotherConnection() async throws {
        let (store, schema) = try await Self.store()
        let session = try await newSession(store, user: "cut")
        let other = try await newSession(store, user: "other")
        let lock = try await RowLock(session.id, schema: schema)
        let retriesBefore = store.commits.committed.retries
        let cut = await Self.start(on: store) { try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("cut")) }.messages }
        try await lock.terminateWaiters()
        let next = Task { try await store.update(sessionID: other.id, now: epoch) { $0.append(draft("next")) }.messages }
        await Self.until { store.commits.committed.retries > retriesBefore }
        try await lock.release()

        #expect(try await cut.value.map(\.content.text) == ["cut"], "run again, and committed once")
        #expect(try await next.value.map(\.content.text) == ["next"])
        let after = try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("after")) }.messages
        #expect(after.map(\.content.text) == ["after"])
        #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).map(\.content.text) == ["cut", "after"])
    }

    /// Batches that come back to back run on one connection, each transaction begun by the one before's `COMMIT AND
    /// CHAIN`. The server ends that connection while such a transaction waits for a row lock: it committed nothing,
    /// so it runs again on another connection and lands once; the transaction before it stays committed, and no
    /// connection is left in a transaction.
    @Test(.timeLimit(.minutes(1)))
    func aChainedTransactionCutBeforeItsCommitRunsAgainOnAnotherConnection() async throws {
        let (store, schema) = try await Self.store()
        let held = try await newSession(store, user: "held")
        let session = try await newSession(store, user: "cut")
        let gate = try await RowLock(held.id, schema: schema)
        let lock = try await RowLock(session.id, schema: schema)
        let before = store.commits.committed
        let first = await Self.start(on: store) { try await store.update(sessionID: held.id, now: epoch) { $0.append(draft("first")) }.messages }
        let cut = await Self.queue(on: store) { try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("cut")) }.messages }
        try await gate.release()
        #expect(try await first.value.map(\.content.text) == ["first"])
        #expect(store.commits.committed.chained - before.chained == 1, "the first transaction chained the next")
        // The chained transaction waits for `lock` now; the server ends its connection.
        try await lock.terminateWaiters()
        await Self.until { store.commits.committed.retries > before.retries }
        try await lock.release()

        #expect(try await cut.value.map(\.content.text) == ["cut"], "run again, and committed once")
        let after = try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("after")) }.messages
        #expect(after.map(\.content.text) == ["after"])
        #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).map(\.content.text) == ["cut", "after"])
        #expect(try await store.messages(sessionID: held.id, after: 0, limit: 10).map(\.content.text) == ["first"])
        #expect(try await Self.transactionsLeftOpen(schema: schema) == 0)
    }

    /// The store's connections (named after `schema`) that sit in a transaction with no statement running: a chain
    /// left open would go back to the pool as a transaction already begun, for whoever leases it next.
    static func transactionsLeftOpen(schema: String) async throws -> Int {
        let admin = try PostgresTestServer.admin.get()
        let rows = try await admin.query(
            "SELECT count(*)::int FROM pg_stat_activity WHERE application_name = \(schema) AND state = 'idle in transaction'"
        ).collect()
        return try rows[0].decode(Int.self)
    }

    /// A clock that moves only when told.
    final class TestClock: Sendable {
        private let instant = Mutex(ContinuousClock.now)
        var now: ContinuousClock.Instant { instant.withLock { $0 } }
        func advance(by duration: Duration) { instant.withLock { $0 += duration } }
    }
}
