import BatonCore
import Logging
import PostgresNIO
import Synchronization

/// The statements of one batch in its transaction: the sessions' rows locked, each write run, the saves that wait
/// written together (see ``PostgresGroupCommit``).
extension PostgresGroupCommit {
    /// How a batch's writes run in their transaction.
    enum Mode {
        /// Without savepoints, the saves that wait together in one statement.
        case shared
        /// Without savepoints, each save in a statement of its own (after a shared one threw).
        case oneByOne
        /// Each write in a savepoint of its own, with its saves (after a write threw).
        case savepoints
    }

    /// Whether `error`, thrown by a write's statement or body, is that write's own: not a deadlock or a serialization
    /// failure (the whole transaction runs again), not a cancellation, and not a cut connection (nothing of the
    /// transaction is committed, and it runs again on another).
    static func isTheWrites(_ error: any Error) -> Bool {
        !isTransient(error) && !(error is CancellationError) && !PostgresClient.isCut(error)
    }

    /// What ends a transaction run without savepoints when one of its writes throws.
    struct WriteFailed: Error {
        let index: Int
        let error: any Error
    }

    /// What ends a transaction when a statement of several writes' saves throws: whose save it was is not known.
    struct SharedSaveFailed: Error {}

    /// The saves of a batch that wait for their statement, each with its write's place in the batch and what it does next.
    private struct WaitingSave {
        let index: Int
        let save: PendingSave
        let then: @Sendable (Bool, PostgresConnection) async throws -> WriteProgress<@Sendable () -> Void>
    }

    /// Locks every session the batch writes, in id order, then runs each write, in a savepoint of its own in the
    /// `savepoints` mode (see the type's comment).
    func run(_ batch: [Entry], mode: Mode, on connection: PostgresConnection) async throws -> [@Sendable () -> Void] {
        let sessions = Array(Set(batch.compactMap(\.session?.rawValue)))
        let jobs = Array(Set(batch.compactMap(\.job)))
        var rows: [String: PostgresRandomAccessRow] = [:]
        for row in try await connection.query(Self.lockQuery(sessions: sessions, jobs: jobs), logger: logger).collect() {
            let row = row.makeRandomAccess()
            rows[try row["id"].decode(String.self)] = row
        }
        var answers: [@Sendable () -> Void] = []
        var waiting: [WaitingSave] = []
        // Alone, a write needs no savepoint either way: when it throws, the whole transaction is undone.
        let savepoints = mode == .savepoints && batch.count > 1
        for (index, entry) in batch.enumerated() {
            // A write reads its session's row as saved so far. (A completion may come before a waiting save of its
            // session: the two were submitted at once, and either order is one their callers could have seen.)
            if let session = entry.session, waiting.contains(where: { $0.save.step.sessionID == session }) {
                try await save(&waiting, into: &answers, on: connection)
            }
            // Never released: each savepoint nests in the one before, and `ROLLBACK TO` undoes only the newest.
            if savepoints { try await connection.query("SAVEPOINT write", logger: logger) }
            do {
                // The row as locked is current only for the first write of its session: it is handed out once.
                let row = entry.session.flatMap { rows.removeValue(forKey: $0.rawValue) }
                let progress = try await entry.run(connection, row)
                if mode == .shared, case .saving(let save, let then) = progress {
                    waiting.append(WaitingSave(index: index, save: save, then: then))
                } else {
                    answers.append(try await finishAlone(progress, on: connection))
                }
            } catch where Self.isTheWrites(error) {
                guard savepoints else { throw WriteFailed(index: index, error: error) }
                try await connection.query("ROLLBACK TO SAVEPOINT write", logger: logger)
                answers.append { entry.fail(error) }
            }
        }
        try await save(&waiting, into: &answers, on: connection)
        return answers
    }

    /// Writes the `waiting` saves in one statement, then goes on with each of their writes, in the batch's order,
    /// until none waits (a write that goes on may save again).
    private func save(_ waiting: inout [WaitingSave], into answers: inout [@Sendable () -> Void], on connection: PostgresConnection) async throws {
        while !waiting.isEmpty {
            let current = waiting
            waiting = []
            let saved: Set<Int>
            do {
                counts.withLock { $0.saveStatements += 1 }
                saved = try await PendingSave.write(current.map(\.save), announcedBy: announcer, on: connection, logger: logger)
            } catch where Self.isTheWrites(error) {
                // Alone in its statement, a save's error is its write's (a repeated id named as callers expect).
                throw current.count == 1 ? WriteFailed(index: current[0].index, error: error) : SharedSaveFailed()
            }
            for (position, write) in current.enumerated() {
                do {
                    switch try await write.then(saved.contains(position), connection) {
                    case .done(let answer): answers.append(answer)
                    case .saving(let save, let then): waiting.append(WaitingSave(index: write.index, save: save, then: then))
                    }
                } catch where Self.isTheWrites(error) {
                    throw WriteFailed(index: write.index, error: error)
                }
            }
        }
    }

    /// Runs a write to its end with each of its saves in a statement of its own, where a repeated client or
    /// external id is its write's error.
    private func finishAlone(
        _ progress: WriteProgress<@Sendable () -> Void>, on connection: PostgresConnection
    ) async throws -> @Sendable () -> Void {
        var progress = progress
        while true {
            switch progress {
            case .done(let answer):
                return answer
            case .saving(let save, let then):
                counts.withLock { $0.saveStatements += 1 }
                let saved = try await !PendingSave.write([save], announcedBy: announcer, on: connection, logger: logger).isEmpty
                progress = try await then(saved, connection)
            }
        }
    }
}
