import Dispatch
import GRDB
import Synchronization

/// Copies the write-ahead log back into the database file, mostly on a connection of its own, off the write path,
/// and makes sure the log starts over instead of growing for as long as writes keep coming.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, fsync included, so every few
/// hundred writes one request waited tens of milliseconds (it was the whole p99 of the relay benchmark at
/// 250 msg/s). A passive checkpoint on another connection copies the pages while the writer goes on appending.
///
/// That alone never lets the log start over under steady writes: SQLite restarts the log only in a write transaction
/// that begins when every frame has been copied, and the writer always appends new frames while the other
/// connection copies. The log grew by the whole of what was written (900 MB in a one-minute benchmark), and every
/// append extended the file (the kernel allocating and zeroing blocks: 12 % of the relay's processor time). So after
/// each background checkpoint the writer copies the frames appended while it ran, itself, between two of its
/// transactions, where no other frame can arrive: a few hundred frames, not the log. Its next transaction then writes
/// the log from the start again, over blocks the file already has.
final class WALCheckpointer: Sendable {
    /// Writes between checkpoints (writes, not commits: a commit holds up to `GroupCommit.maxBatch` of them). A relayed
    /// message appends a few pages to the log (about five when alone in its commit, fewer when it shares one:
    /// BENCHMARKS.md, "The pages a relayed reply writes"), most of them pages that the next messages of the same
    /// conversations change again, and a checkpoint copies each page once however often it changed: at 200 writes
    /// (SQLite's own default of about 1,000 pages) a relay wrote one database page for every three log pages and synced
    /// ninety times a second; at 1,000, a third of those pages and a fifth of the syncs. The log stays a few thousand
    /// pages, at most some twenty megabytes. At 4,000 writes the relay's tail was longer (BENCHMARKS.md).
    static let writesPerCheckpoint = 1_000

    /// A background checkpoint goes again while its last pass found more than this many new frames in the log (the
    /// tail the writer would then be left to copy is about what was written during that pass), at most
    /// `backgroundPasses` times.
    static let writerCatchUpFrames = 256
    static let backgroundPasses = 4

    private struct Progress {
        var writes = 0
        var running = false
        /// A background checkpoint ended: the writer copies what was appended while it ran (nothing can be appended
        /// while the writer copies).
        var catchUpDue = false
        /// Checkpoints the writer ran itself, and the most frames any checkpoint found in the log (for tests).
        var catchUps = 0
        var longestLog = 0
    }

    private let connection: DatabaseQueue
    private let progress = Mutex(Progress())
    private let queue = DispatchQueue(label: "baton.sqlite.checkpoint")

    init(path: String) throws {
        var configuration = Configuration()
        configuration.label = "baton.sqlite.checkpoint"
        connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Checkpoints the writer ran itself, and the most frames a checkpoint found in the log: how long it grew.
    var observed: (writerCatchUps: Int, longestLog: Int) { progress.withLock { ($0.catchUps, $0.longestLog) } }

    /// Called by the writer after each commit, on its own connection and outside any transaction, with the writes
    /// the commit held: copies what a background checkpoint left, and starts one in the background once enough
    /// writes have gathered and none runs.
    func didCommit(writes: Int, writer db: Database) {
        let (catchUp, start) = progress.withLock { progress in
            let catchUp = progress.catchUpDue
            progress.catchUpDue = false
            progress.writes += writes
            guard progress.writes >= Self.writesPerCheckpoint, !progress.running else { return (catchUp, false) }
            progress.writes = 0
            progress.running = true
            return (catchUp, true)
        }
        // A failed checkpoint loses nothing: the frames stay in the log and the next one copies them.
        if catchUp, let done = try? db.checkpoint(.passive) {
            progress.withLock {
                $0.catchUps += 1
                $0.longestLog = max($0.longestLog, done.walFrameCount)
            }
        }
        guard start else { return }
        queue.async { [self] in
            // A pass copies the log as this connection sees it when the pass starts; the writer appends meanwhile.
            // Each pass is shorter than the one before (it copies what was written during that one), so after a
            // few the writer has only a short tail left to copy.
            var copied = 0
            for _ in 0..<Self.backgroundPasses {
                guard let done = try? connection.writeWithoutTransaction({ db in try db.checkpoint(.passive) }) else { break }
                progress.withLock { $0.longestLog = max($0.longestLog, done.walFrameCount) }
                let new = done.walFrameCount - copied
                copied = done.checkpointedFrameCount
                if new <= Self.writerCatchUpFrames { break }
            }
            progress.withLock {
                $0.running = false
                $0.catchUpDue = true
            }
        }
    }
}
