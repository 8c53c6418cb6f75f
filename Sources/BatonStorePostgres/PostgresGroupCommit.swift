import BatonCore
import Logging
import PostgresNIO
import Synchronization

/// Writes that arrive while the store's transactions are busy go together in the next one: one `BEGIN`, one lock
/// statement and one `COMMIT` (one flush of the write-ahead log, which a durable server waits for) for all of them,
/// instead of one each. Their saves (a step's messages, jobs and session row, the last statement of nearly every
/// write) go in one statement too (``PendingSave``): a transaction of 16 writes is 4 round trips instead of 19.
/// While batches come back to back, their transactions run on one connection, each committed with `COMMIT AND
/// CHAIN` when writes wait for the next, which then needs no `BEGIN`: 3 round trips (``chain(from:drain:)``).
/// A write that saves its session again later in the batch, or reads it, comes after that statement: the batch's
/// waiting saves are written first whenever a write of one of their sessions is next.
///
/// Nothing changes in what a caller is told or when: each is answered only after the transaction holding its write
/// committed; a caller cancelled meanwhile is told `CancellationError` at once and acknowledges nothing (see
/// `WriteAnswer`). A write that throws is undone alone and its caller gets its own error; a commit that fails fails
/// every write in it. Writes run without savepoints (one round trip each fewer), since nearly all succeed: when one
/// throws, its error is kept for its caller, the transaction is rolled back whole, and the others run again in a
/// new one, each in a savepoint of its own (`ROLLBACK TO SAVEPOINT` undoes one that throws then). A statement of
/// several writes' saves that throws cannot tell whose save it was: the batch runs again first with each save in a
/// statement of its own, which can. So a batch runs at most three times for its failing writes.
///
/// Locks: a transaction first locks the session rows of all its writes in one statement, in the order of their ids,
/// so transactions of any instance that each hold several sessions' rows wait for each other in one order and never
/// deadlock; the write that comes first for a session gets that statement's row instead of reading it again.
/// Should PostgreSQL still report a deadlock or a serialization failure, the whole transaction runs again (nothing
/// of it was answered), at most ``attempts`` times.
///
/// Up to `batchesAtOnce` transactions run at once, each on a pooled connection: an idle store writes at once, as
/// before; writes queue only while that many are in flight. When every running transaction has run for longer than
/// `stallAfter`, a write submitted then starts another, up to `stalledBatchesAtOnce`, so that one stuck transaction
/// (on a lock someone holds, or on a connection that stopped answering) holds up only the writes of its sessions.
/// A transaction does not take a write whose session a running one holds (nor the later writes of that session):
/// in it, that write would wait for the other's row lock and hold up every write with it, and it could lock the row
/// first and run before the earlier write of its session. It waits in the queue for the next transaction instead.
///
/// A connection the server closed (a restart, a failover, `pg_terminate_backend`) must not hold its sessions for
/// good: PostgresNIO 1.33 may hand it out once more before it notices, and a statement sent on it then may be
/// neither answered nor failed. A transaction leases a connection that is not closed, and is given up when its
/// connection closed and it did not end within a second (``ClosedConnectionWatch``). A transaction cut before its
/// `COMMIT` was sent (its `BEGIN`, one of its statements or its `ROLLBACK` failed on the cut, or went unanswered)
/// committed nothing: the server rolled it back, and it runs again on another connection, so a restart costs its
/// writes nothing but time. One cut after its `COMMIT` was sent fails its writes with ``ConnectionLost``: whether
/// the commit landed is not known, so their callers send them again, deduplicated as always.
final class PostgresGroupCommit: Sendable {
    /// The most writes in one transaction: each that writes takes one of the 64 subtransaction ids PostgreSQL
    /// keeps per transaction in shared memory (beyond that, every snapshot of every session grows costly).
    static let maxBatch = 32
    /// How often a transaction is run in all when it ended in a deadlock or a serialization failure, or committed
    /// nothing because the server cut its connection before its `COMMIT` was sent.
    static let attempts = 3

    /// A submitted write.
    struct Entry: QueuedWrite, Sendable {
        /// Tells it apart in the queue, so that a caller that is cancelled while it waits can take it out.
        let id: Int
        /// The session whose row it locks.
        let session: SessionID?
        /// The outbox job whose session's row it locks (a completion, whose trigger locks that row).
        let job: Int64?
        /// Runs the write (given its session's row when it is the first write of that session in the transaction)
        /// until it is done, with how to answer its caller once committed, or has a save to make.
        let run: @Sendable (PostgresConnection, PostgresRandomAccessRow?) async throws -> WriteProgress<@Sendable () -> Void>
        let fail: @Sendable (any Error) -> Void

        /// Whether a transaction may take it while the `busy` sessions are another's: not when one of them is its own.
        func mayRun(beside busy: Set<SessionID>) -> Bool {
            session.map { !busy.contains($0) } ?? true
        }
    }

    /// The queue, and the transactions that run.
    private struct Pending {
        var queue: [Entry] = []
        var running = 0
        var taken = 0
        /// The sessions of the running transactions' writes.
        var busy: Set<SessionID> = []
        /// When each running drain began its current transaction, by drain.
        var transactionStarts: [Int: ContinuousClock.Instant] = [:]
        var lastDrain = 0
    }

    let client: PostgresClient
    let logger: Logger
    let watch: ClosedConnectionWatch
    /// Asked by each save statement for the notifications of the messages it stores.
    let announcer: TransactionAnnouncerSlot
    private let batchesAtOnce: Int
    private let stalledBatchesAtOnce: Int
    private let stallAfter: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let pending = Mutex(Pending())
    private let lastID = Atomic<Int>(0)
    let counts = Mutex<Counts>(Counts())

    /// - Parameters:
    ///   - batchesAtOnce: how many transactions run at once.
    ///   - stalledBatchesAtOnce: how many may run once one has run for longer than `stallAfter` (one that waits for
    ///     a lock someone holds, or for a connection that stopped answering): a write submitted then starts another,
    ///     with the writes of the other sessions, instead of waiting behind it.
    ///   - announcer: what each save statement asks for the notifications of the messages it stores.
    ///   - now: the clock that times transactions (a test's own).
    init(
        client: PostgresClient, logger: Logger, watch: ClosedConnectionWatch, batchesAtOnce: Int, stalledBatchesAtOnce: Int = 4, stallAfter: Duration = .seconds(1),
        announcer: TransactionAnnouncerSlot = TransactionAnnouncerSlot(), now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.client = client
        self.announcer = announcer
        self.logger = logger
        self.watch = watch
        self.batchesAtOnce = max(1, batchesAtOnce)
        self.stalledBatchesAtOnce = max(self.batchesAtOnce, stalledBatchesAtOnce)
        self.stallAfter = stallAfter
        self.now = now
    }

    /// What the group commit did so far.
    struct Counts: Sendable {
        /// Transactions committed, and the writes they held.
        var commits = 0, writes = 0
        /// Transactions run again after a deadlock, or on another connection after theirs was cut before `COMMIT`.
        var retries = 0
        /// Batches run again without a write that failed, or with each save on its own after a shared one failed.
        var reruns = 0
        /// Statements that saved writes (one per batch, unless a write saved its session twice).
        var saveStatements = 0
        /// Commits that began the next transaction (`COMMIT AND CHAIN`), which then needed no `BEGIN` of its own.
        var chained = 0
    }

    /// What the group commit did so far.
    var committed: Counts { counts.withLock { $0 } }

    /// Writes submitted and not yet taken into a transaction.
    var waiting: Int { pending.withLock { $0.queue.count } }

    /// Writes taken into a transaction so far (for tests).
    var taken: Int { pending.withLock { $0.taken } }

    /// Runs `body` in the next transaction, after locking `session`'s row (or the row of `job`'s session), and
    /// returns its result once that transaction committed. `body` is given the session's locked row when it is the
    /// transaction's first write of that session; a later one reads the row itself (it is locked already), since an
    /// earlier write may have changed it. `committed`, if any, is called with the result first, in the drain's task,
    /// in the order of the transaction's writes (see `SessionStore.update`).
    func write<T: Sendable>(
        session: SessionID? = nil, job: Int64? = nil, committed: (@Sendable (T) -> Void)? = nil,
        _ body: @escaping @Sendable (PostgresConnection, PostgresRandomAccessRow?) async throws -> WriteProgress<T>
    ) async throws -> T {
        let id = lastID.add(1, ordering: .relaxed).newValue
        return try await WriteAnswer.waiting(withdraw: { self.withdraw(id) }) { answer in
            let entry = Entry(
                id: id, session: session, job: job,
                run: { connection, row in
                    try await body(connection, row).map { result in
                        {
                            committed?(result)
                            answer.give(.success(result))
                        }
                    }
                },
                fail: { answer.give(.failure($0)) })
            let now = now()
            let newDrain = pending.withLock { pending -> Int? in
                pending.queue.append(entry)
                guard pending.running < batchesAtOnce || isStalled(pending, at: now) else { return nil }
                pending.running += 1
                pending.lastDrain += 1
                return pending.lastDrain
            }
            // Another transaction may start: this write leads it; otherwise it joins the next one that does.
            if let newDrain { Task { await drain(newDrain) } }
        }
    }

    /// Takes the write `id` out of the queue, if it still waits there, and fails it with `CancellationError`.
    private func withdraw(_ id: Int) {
        pending.withLock { $0.queue.removeWrite(id) }?.fail(CancellationError())
    }

    /// Whether every transaction that runs has run for longer than `stallAfter`, and another may start.
    private func isStalled(_ pending: Pending, at now: ContinuousClock.Instant) -> Bool {
        guard pending.running < stalledBatchesAtOnce, !pending.transactionStarts.isEmpty else { return false }
        return pending.transactionStarts.values.allSatisfy { now - $0 > stallAfter }
    }

    /// Writes batches until no write waits that a transaction may take: one left behind a running transaction's
    /// session is taken by that transaction's drain, which goes on once it committed. Batches that come back to back
    /// run on one connection (``chain(from:drain:)``).
    private func drain(_ id: Int) async {
        var next = nextBatch(for: id, finishing: []).map { Run(batch: $0) }
        while let run = next {
            next = await chain(from: run, drain: id)
        }
    }

    /// The next batch of drain `id`, once the sessions of its last one are `finished`; nil when none waits, and then
    /// the drain has ended.
    func nextBatch(for id: Int, finishing finished: [SessionID]) -> [Entry]? {
        let started = now()
        return pending.withLock { pending -> [Entry]? in
            pending.busy.subtract(finished)
            let taken = Self.take(from: &pending.queue, leaving: pending.busy)
            pending.busy.formUnion(taken.compactMap(\.session))
            pending.taken += taken.count
            pending.transactionStarts[id] = taken.isEmpty ? nil : started
            if taken.isEmpty { pending.running -= 1 }
            return taken.isEmpty ? nil : taken
        }
    }

    /// Whether writes wait that the drain's next transaction may take once `batch` committed.
    func writesWait(after batch: [Entry]) -> Bool {
        let own = Set(batch.compactMap(\.session))
        return pending.withLock { pending in
            let busy = pending.busy.subtracting(own)
            return pending.queue.contains { $0.mayRun(beside: busy) }
        }
    }

    /// Takes up to `maxBatch` writes from `queue`, in order, leaving those of the `busy` sessions where they are.
    static func take(from queue: inout [Entry], leaving busy: Set<SessionID>) -> [Entry] {
        var taken: [Entry] = []
        var left: [Entry] = []
        for entry in queue {
            if taken.count < maxBatch, entry.mayRun(beside: busy) {
                taken.append(entry)
            } else {
                left.append(entry)
            }
        }
        queue = left
        return taken
    }

    /// Locks and reads the rows of `sessions` and of the sessions of `jobs`, in the order of their ids, through
    /// `baton_lock_sessions` (migration 9), whose statement PostgreSQL plans once per connection: `SELECT * FROM
    /// sessions WHERE id = ANY(sessions || ARRAY(SELECT session_id FROM outbox WHERE id = ANY(jobs))) ORDER BY id FOR
    /// UPDATE`. One list of ids, looked up in the sessions' key: `id = ANY(…) OR id IN (SELECT …)` would have
    /// PostgreSQL test every session against both (an `OR` with a subquery is no index condition), a read of the
    /// whole table per transaction.
    static func lockQuery(sessions: [String], jobs: [Int64]) -> PostgresQuery {
        "SELECT * FROM baton_lock_sessions(\(sessions)::text[], \(jobs)::bigint[])"
    }

    /// A deadlock (40P01) or a serialization failure (40001): the transaction may succeed when run again.
    static func isTransient(_ error: any Error) -> Bool {
        guard let code = (error as? PSQLError)?.serverInfo?[.sqlState] else { return false }
        return code == "40P01" || code == "40001"
    }
}

/// Where a write stands in its transaction (see ``PostgresGroupCommit``).
enum WriteProgress<Result: Sendable>: Sendable {
    /// Done: its caller gets `Result` once the transaction commits.
    case done(Result)
    /// It saves `save` next, in one statement with the other writes' saves that wait with it, and goes on with
    /// whether the save wrote (`PendingSave.unlessLaterThan`) on the transaction's connection.
    case saving(PendingSave, then: @Sendable (_ saved: Bool, PostgresConnection) async throws -> WriteProgress<Result>)

    /// The same progress with its result turned into another once it is done.
    func map<Other: Sendable>(_ transform: @escaping @Sendable (Result) -> Other) -> WriteProgress<Other> {
        switch self {
        case .done(let result):
            return .done(transform(result))
        case .saving(let save, let then):
            return .saving(save) { saved, connection in try await then(saved, connection).map(transform) }
        }
    }
}
