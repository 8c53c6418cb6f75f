import BatonCore
import GRDB
import Synchronization

/// Writes that arrive while a transaction is being written go together in the next one: one commit, one append to
/// the write-ahead log of the pages they share (a table's last leaf, an index's), for all of them, instead of one
/// each. (Under load the relay spent 12 % of its time in its writes, most of it in the kernel appending pages to the
/// log; with shared commits the tail latencies under load fell several times.)
///
/// Nothing changes in what a caller is told or when: each is answered only after the transaction holding its write
/// committed, so what was acknowledged is durable as before; a caller cancelled meanwhile is told
/// `CancellationError` at once and acknowledges nothing (see `WriteAnswer`). A write that throws is undone alone and
/// its caller gets its own error; the others go on. A commit that fails fails every write in it.
/// Writes run in the order they were submitted, so two writes of one session keep their order.
///
/// Writes run without savepoints, since nearly all succeed (a savepoint is two more statements, each compiled again
/// by GRDB). When one throws, its error is kept for its caller, the transaction is rolled back whole, and the others
/// run again in a new one, each in a savepoint of its own then, so a batch runs at most twice for its failing writes.
/// A write may thus run twice; every write is one that may (the state it reads is read again).
final class GroupCommit: Sendable {
    /// The most writes in one transaction: a long batch holds its first callers' answers back.
    static let maxBatch = 64

    /// A submitted write.
    private struct Entry: QueuedWrite, Sendable {
        /// Tells it apart in the queue, so that a caller that is cancelled while it waits can take it out.
        let id: Int
        /// Runs the write, in a savepoint of its own when asked, and returns how to answer its caller once committed;
        /// or, without a savepoint, the error it threw (its transaction must then be rolled back).
        let run: @Sendable (Database, _ inSavepoint: Bool) -> Result<@Sendable () -> Void, any Error>
        let fail: @Sendable (any Error) -> Void
    }

    private let writer: any DatabaseWriter
    private let didCommit: @Sendable (_ writes: Int, _ db: Database) -> Void
    private let pending = Mutex<(queue: [Entry], draining: Bool)>(([], false))
    private let lastID = Atomic<Int>(0)
    private let counts = Mutex<(commits: Int, writes: Int, reruns: Int)>((0, 0, 0))

    /// - Parameter didCommit: called after each commit, on the writer's connection outside any transaction, with the
    ///   number of writes it held (the log's checkpointer counts them, and copies the log's tail there).
    init(writer: any DatabaseWriter, didCommit: @escaping @Sendable (_ writes: Int, _ db: Database) -> Void) {
        self.writer = writer
        self.didCommit = didCommit
    }

    /// Transactions committed, the writes they held, and batches run again without a write that threw, so far (for
    /// tests and the benchmark).
    var committed: (commits: Int, writes: Int, reruns: Int) { counts.withLock { $0 } }

    /// Writes submitted and not yet taken into a transaction.
    var waiting: Int { pending.withLock { $0.queue.count } }

    /// Runs `body` in the next transaction and returns its result once that transaction committed; `committed`, if
    /// any, is called with the result first, on the writer's thread (see `SessionStore.update`).
    ///
    /// A caller cancelled meanwhile gets `CancellationError` at once (see `WriteAnswer`): its write is taken out of
    /// the queue, or, when it is in a transaction already, no longer waited for.
    func write<T: Sendable>(
        committed: (@Sendable (T) -> Void)? = nil, _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        let id = lastID.add(1, ordering: .relaxed).newValue
        return try await WriteAnswer.waiting(withdraw: { self.withdraw(id) }) { answer in
            let entry = Entry(
                id: id,
                run: { db, inSavepoint in
                    let result: Result<T, any Error>
                    if inSavepoint {
                        result = Result { try Self.inSavepoint(db, body) }
                    } else {
                        do { result = .success(try body(db)) } catch { return .failure(error) }
                    }
                    return .success {
                        if let committed, case .success(let value) = result { committed(value) }
                        answer.give(result)
                    }
                },
                fail: { answer.give(.failure($0)) })
            let lead = pending.withLock { pending in
                pending.queue.append(entry)
                defer { pending.draining = true }
                return !pending.draining
            }
            // The first write while none is being written starts the writing; later ones join its next batch.
            if lead { writer.asyncWriteWithoutTransaction { db in self.drain(db) } }
        }
    }

    /// Takes the write `id` out of the queue, if it still waits there, and fails it with `CancellationError`.
    private func withdraw(_ id: Int) {
        pending.withLock { $0.queue.removeWrite(id) }?.fail(CancellationError())
    }

    private static func inSavepoint<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        var result: T?
        try db.inSavepoint {
            result = try body(db)
            return .commit
        }
        guard let result else { preconditionFailure("a committed savepoint has its result") }
        return result
    }

    /// GRDB's `Database.inTransaction`, with its `BEGIN` and `COMMIT` compiled once: GRDB runs both as SQL text,
    /// parsed and prepared again each time, a twentieth of the writer's processor time when batches are small.
    private static func inTransaction(_ db: Database, _ operations: () throws -> Database.TransactionCompletion) throws {
        try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        do {
            switch try operations() {
            case .commit:
                try checkNotAborted(db)
                try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
            case .rollback:
                // GRDB's rollback does nothing when SQLite rolled the transaction back already: the write that failed
                // keeps its own error (a full disk, say), and the others run again.
                try db.rollback()
            }
        } catch {
            try? db.rollback()
            throw error
        }
    }

    /// Throws when the transaction is gone: SQLite rolls one back by itself on some errors (a full disk, an I/O
    /// error), and the batch's next writes would then each commit alone. Checked after each write that succeeded (one
    /// in a savepoint, or one that kept going past such an error), as GRDB's `inTransaction` checks before each
    /// statement, so nothing after it is stored and the batch fails.
    private static func checkNotAborted(_ db: Database) throws {
        guard db.isInsideTransaction else { throw DatabaseError(resultCode: .SQLITE_ABORT, message: "Transaction was aborted") }
    }

    /// Writes batches until no write waits, on the writer's own queue: the batches, their commits and the answers
    /// follow one another there, with no task to start and no hop back to one per batch.
    private func drain(_ db: Database) {
        while true {
            let batch = pending.withLock { pending -> [Entry] in
                let taken = Array(pending.queue.prefix(Self.maxBatch))
                pending.queue.removeFirst(taken.count)
                if taken.isEmpty { pending.draining = false }
                return taken
            }
            guard !batch.isEmpty else { return }
            commit(batch, db)
        }
    }

    /// Writes `batch` in one transaction (see the type's comment for a write that throws).
    private func commit(_ batch: [Entry], _ db: Database) {
        var batch = batch
        var savepoints = false
        while !batch.isEmpty {
            var answers: [@Sendable () -> Void] = []
            answers.reserveCapacity(batch.count)
            var thrown: (index: Int, error: any Error)?
            do {
                // Alone, a write needs no savepoint either way: when it throws, the whole transaction is undone.
                let inSavepoints = savepoints && batch.count > 1
                try Self.inTransaction(db) {
                    for (index, entry) in batch.enumerated() {
                        switch entry.run(db, inSavepoints) {
                        case .success(let answer):
                            try Self.checkNotAborted(db)
                            answers.append(answer)
                        case .failure(let error):
                            thrown = (index, error)
                            return .rollback
                        }
                    }
                    return .commit
                }
            } catch {
                batch.forEach { $0.fail(error) }
                return
            }
            if let thrown {
                // Its error is the one it would have had in a savepoint: the writes before it ran as they will again.
                batch.remove(at: thrown.index).fail(thrown.error)
                savepoints = true
                counts.withLock { $0.reruns += 1 }
                continue
            }
            counts.withLock { $0.commits += 1; $0.writes += batch.count }
            // Answered first: what `didCommit` does (a checkpoint, at times) is no part of these writes.
            answers.forEach { $0() }
            didCommit(batch.count, db)
            return
        }
    }
}
