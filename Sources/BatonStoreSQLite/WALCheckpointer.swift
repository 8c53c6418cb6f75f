import Dispatch
import GRDB
import Synchronization

/// Copies the write-ahead log back into the database file on a connection of its own, off the write path.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, fsync included, so every few
/// hundred writes one request waited tens of milliseconds (it was the whole p99 of the relay benchmark at
/// 250 msg/s). A passive checkpoint on another connection copies the same pages while the writer goes on appending
/// to the log, and the writer starts the log over once everything in it has been copied.
final class WALCheckpointer: Sendable {
    /// Writes between checkpoints: a relayed message appends a few pages, so this keeps the log near SQLite's own
    /// default of 1,000 pages. Writes, not commits: a commit holds up to `GroupCommit.maxBatch` of them.
    static let writesPerCheckpoint = 200

    private struct Progress {
        var writes = 0
        var running = false
    }

    private let connection: DatabaseQueue
    private let progress = Mutex(Progress())
    private let queue = DispatchQueue(label: "baton.sqlite.checkpoint")

    init(path: String) throws {
        var configuration = Configuration()
        configuration.label = "baton.sqlite.checkpoint"
        connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Called after each commit with the writes it held; starts a checkpoint in the background once enough have
    /// gathered and none runs.
    func didCommit(writes: Int) {
        let start = progress.withLock { progress in
            progress.writes += writes
            guard progress.writes >= Self.writesPerCheckpoint, !progress.running else { return false }
            progress.writes = 0
            progress.running = true
            return true
        }
        guard start else { return }
        queue.async { [self] in
            // A failed checkpoint loses nothing: the pages stay in the log and the next one copies them.
            _ = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            progress.withLock { $0.running = false }
        }
    }
}
