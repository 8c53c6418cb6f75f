import Logging
import PostgresNIO
import Synchronization

/// How batches run in transactions: on one connection while they come back to back, each transaction but the first
/// begun by the previous one's `COMMIT AND CHAIN`; again when they committed nothing (see ``PostgresGroupCommit``).
extension PostgresGroupCommit {
    /// A batch's writes, how they run next, and how many times it has run.
    struct Run: Sendable {
        var batch: [Entry]
        var mode = Mode.shared
        var attempt = 1
    }

    /// How a run ended on its connection.
    private enum Ending {
        /// Its writes are answered. `chained`: a transaction its `COMMIT AND CHAIN` began is open for the next batch.
        /// `usable`: false once the connection was cut, and nothing more may run on it.
        case answered(chained: Bool, usable: Bool)
        /// The connection was cut before the run committed anything: it runs again on another.
        case elsewhere(Run)
    }

    /// What a chain leaves to run on another connection.
    private struct Left: Sendable {
        let run: Run?
    }

    /// Leases a connection that is not closed and runs `first` on it, then each batch drain `id` takes after it while
    /// they come back to back: each transaction but the first is begun by the one before's `COMMIT AND CHAIN`, which
    /// saves a `BEGIN` round trip per transaction while writes keep coming. Returns what must run on another connection
    /// (a batch cut before its commit, or the next batch after a cut), or nil once no write waits.
    func chain(from first: Run, drain id: Int) async -> Run? {
        do {
            return try await client.withOpenConnection { connection -> Left in
                var run = first
                var chained = false
                while true {
                    switch await commit(run, on: connection, chained: chained) {
                    case .elsewhere(let again):
                        await PostgresClient.closeThrough(connection)
                        return Left(run: again)
                    case .answered(let chainsOn, let usable):
                        let next = nextBatch(for: id, finishing: run.batch.compactMap(\.session))
                        guard usable else {
                            await PostgresClient.closeThrough(connection)
                            return Left(run: next.map { Run(batch: $0) })
                        }
                        guard let next else {
                            if chainsOn { await endChain(on: connection) }
                            return Left(run: nil)
                        }
                        (run, chained) = (Run(batch: next), chainsOn)
                    }
                }
            }.run
        } catch {
            // No open connection could be leased: nothing of `first` ran.
            if first.attempt < Self.attempts, error is ConnectionClosed {
                counts.withLock { $0.retries += 1 }
                return Run(batch: first.batch, mode: first.mode, attempt: first.attempt + 1)
            }
            first.batch.forEach { $0.fail(error) }
            return nextBatch(for: id, finishing: first.batch.compactMap(\.session)).map { Run(batch: $0) }
        }
    }

    /// Runs `run` on `connection` until its writes are answered: again there, after its transaction was rolled back,
    /// without a write that threw or after a deadlock (see the type's comment); on another connection once this one
    /// was cut before anything committed.
    private func commit(_ run: Run, on connection: PostgresConnection, chained: Bool) async -> Ending {
        var run = run
        var chained = chained
        while !run.batch.isEmpty {
            do {
                let (answers, chainsOn) = try await transact(run, on: connection, chained: chained)
                counts.withLock { [writes = run.batch.count] in
                    $0.commits += 1
                    $0.writes += writes
                    if chainsOn { $0.chained += 1 }
                }
                answers.forEach { $0() }
                return .answered(chained: chainsOn, usable: true)
            } catch let cut as CutBeforeCommit {
                guard run.attempt < Self.attempts else {
                    run.batch.forEach { $0.fail(cut.cause) }
                    return .answered(chained: false, usable: false)
                }
                run.attempt += 1
                counts.withLock { $0.retries += 1 }
                return .elsewhere(run)
            } catch let failed as CommitFailed {
                run.batch.forEach { $0.fail(failed.cause) }
                return .answered(chained: false, usable: false)
            } catch let failed as WriteFailed {
                // Its error is the one it would have had in a savepoint: the writes before it ran as they will again.
                run.batch.remove(at: failed.index).fail(failed.error)
                run.mode = .savepoints
                counts.withLock { $0.reruns += 1 }
            } catch is SharedSaveFailed {
                run.mode = .oneByOne
                counts.withLock { $0.reruns += 1 }
            } catch where run.attempt < Self.attempts && Self.isTransient(error) {
                run.attempt += 1
                counts.withLock { $0.retries += 1 }
                logger.debug("a group commit ran into a deadlock and runs again", metadata: ["writes": "\(run.batch.count)"])
            } catch {
                run.batch.forEach { $0.fail(error) }
                return .answered(chained: false, usable: true)
            }
            chained = false
        }
        return .answered(chained: false, usable: true)
    }

    /// Runs `run`'s batch in a transaction on `connection`, begun here or, when `chained`, by the batch before, and
    /// commits it: with `AND CHAIN` when writes wait that the drain's next transaction may take (it returns true then:
    /// a transaction is open). Rolled back when a statement throws, and that error thrown. Given up when the connection
    /// closed and it did not end within the watch's grace (see ``CutBeforeCommit`` and ``CommitFailed``).
    private func transact(
        _ run: Run, on connection: PostgresConnection, chained: Bool
    ) async throws -> (answers: [@Sendable () -> Void], chained: Bool) {
        let committing = Flag()
        do {
            return try await watch.run(on: connection) {
                if !chained {
                    do { _ = try await connection.query("BEGIN", logger: self.logger) } catch { throw CutBeforeCommit(cause: error) }
                }
                let answers: [@Sendable () -> Void]
                do {
                    answers = try await self.run(run.batch, mode: run.mode, on: connection)
                } catch where PostgresClient.isCut(error) {
                    throw CutBeforeCommit(cause: error)
                } catch {
                    do { _ = try await connection.query("ROLLBACK", logger: self.logger) } catch { throw CutBeforeCommit(cause: error) }
                    throw error
                }
                let chainsOn = self.writesWait(after: run.batch)
                committing.set()
                do {
                    _ = try await connection.query(chainsOn ? "COMMIT AND CHAIN" : "COMMIT", logger: self.logger)
                } catch {
                    throw CommitFailed(cause: error)
                }
                return (answers, chainsOn)
            }
        } catch let lost as ConnectionLost {
            if committing.isSet { throw CommitFailed(cause: lost) }
            throw CutBeforeCommit(cause: ConnectionClosed())
        }
    }

    /// Ends the transaction a `COMMIT AND CHAIN` began for a batch that did not come (the writes that waited were
    /// withdrawn, or taken by another drain). Nothing is in it, so its `COMMIT` waits for no flush.
    private func endChain(on connection: PostgresConnection) async {
        do {
            try await watch.run(on: connection) { _ = try await connection.query("COMMIT", logger: self.logger) }
        } catch {
            await PostgresClient.closeThrough(connection)
        }
    }

    /// A transaction that committed nothing, since its connection was cut before its `COMMIT` was sent: its `BEGIN`,
    /// a statement or its `ROLLBACK` failed on the cut, or went unanswered after the connection closed. The server
    /// rolled it back; it may run again on another connection.
    private struct CutBeforeCommit: Error {
        let cause: any Error
    }

    /// A transaction whose `COMMIT` failed, or went unanswered after its connection closed (then whether it landed is
    /// not known): its writes fail with `cause`, and their callers send them again, deduplicated as always.
    private struct CommitFailed: Error {
        let cause: any Error
    }

    /// Set once.
    private final class Flag: Sendable {
        private let value = Atomic(false)
        func set() { value.store(true, ordering: .sequentiallyConsistent) }
        var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
    }
}
