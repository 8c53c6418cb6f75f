import BatonConfig
import BatonCore
import BatonStoreSQLite
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// `storage.sqlite.backups`: a copy of the SQLite database (the same as `baton backup`'s, see `SQLiteBackup`) in the
/// folder whenever its newest copy is `everyHours` old, or there is none (so at the first start); then the copies
/// beyond the newest `keep` are deleted. The copies' names carry their times, so the schedule holds across restarts
/// with nothing stored for it. A failed copy is logged and counted, and tried again within the hour. The admin page
/// shows the copies and writes one on request (`backUpNow`); one copy is written at a time.
final class ScheduledBackups: Service, Sendable {
    let database: String
    let settings: SQLiteBackupSettings
    let metrics: BatonMetrics
    let now: @Sendable () -> Date
    let logger: Logger
    private let readiness = StoreReadiness(bell: Doorbell())
    /// One copy at a time, by the folder's name.
    private let turns = KeyedLock()
    /// Why the last copy failed, until one is written.
    private let lastFailure = Mutex<BackupsOverview.Failure?>(nil)

    static let retryAfterFailure: TimeInterval = 3600
    /// A hidden copy this old was left by a process that died while writing it (a copy takes minutes at most).
    static let abandonedAfter: TimeInterval = 24 * 3600

    init(database: String, settings: SQLiteBackupSettings, metrics: BatonMetrics, now: @escaping @Sendable () -> Date, logger: Logger) {
        self.database = database
        self.settings = settings
        self.metrics = metrics
        self.now = now
        self.logger = logger
    }

    /// Lets the copies start: called once the store's schema is migrated (a copy of a database mid-migration would
    /// be of neither version).
    func storeIsReady() { readiness.open() }

    func run() async throws {
        await readiness.runPasses { .seconds(max(1, await self.backUpIfDue())) }
    }

    /// Writes a copy when one is due and deletes the oldest beyond `keep`; returns the seconds until the next is due.
    func backUpIfDue() async -> TimeInterval {
        let time = now()
        let every = Double(settings.everyHours) * 3600
        do {
            if let newest = try? copies().last {
                let age = time.timeIntervalSince(newest.time)
                // A copy from the future (a clock set back) waits one interval, not the gap as well.
                if age < every { return min(every, every - age) }
            }
            _ = try await write(at: time)
            return every
        } catch {
            return min(every, Self.retryAfterFailure)
        }
    }

    /// Writes a copy now (the admin page's "Back up now"), after the one being written, if any; and deletes the
    /// oldest beyond `keep`.
    func backUpNow() async throws -> SQLiteBackup.Summary {
        try await write(at: now())
    }

    /// Writes a copy, after the one being written, if any: two copies never race for a name or for the disk.
    private func write(at time: Date) async throws -> SQLiteBackup.Summary {
        try await turns.holding(settings.folder) { try await self.writeInTurn(at: time) }
    }

    private func writeInTurn(at time: Date) async throws -> SQLiteBackup.Summary {
        do {
            try FileManager.default.createDirectory(atPath: settings.folder, withIntermediateDirectories: true)
            let (database, folder) = (database, settings.folder)
            // On NIO's thread pool: a copy blocks its thread on file reads and writes for as long as it takes.
            let summary = try await NIOThreadPool.singleton.runIfActive { try SQLiteBackup.write(database: database, to: folder, now: time) }
            metrics.backup(written: true, at: time)
            lastFailure.withLock { $0 = nil }
            logger.info("database backed up", metadata: ["path": "\(summary.path)", "bytes": "\(summary.bytes)", "sessions": "\(summary.sessions)"])
            removeOldCopies()
            return summary
        } catch {
            metrics.backup(written: false, at: time)
            lastFailure.withLock { $0 = BackupsOverview.Failure(at: MessagePayload.timestamp(time), reason: "\(error)") }
            logger.error("the database could not be backed up", metadata: ["folder": "\(settings.folder)", "error": "\(error)"])
            throw error
        }
    }

    /// What the admin page shows: the schedule, the copies in the folder, and why the last copy failed, if it did.
    func overview() -> BackupsOverview {
        let folder = settings.folder as NSString
        let copies = (try? copies()) ?? []
        let newest = copies.last.map { copy in
            BackupsOverview.Copy(
                name: copy.name, at: MessagePayload.timestamp(copy.time),
                bytes: (try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(copy.name))[.size] as? NSNumber)?.int64Value ?? 0)
        }
        return BackupsOverview(
            scheduled: true, folder: settings.folder, everyHours: settings.everyHours, keep: settings.keep, copies: copies.count, newest: newest,
            lastFailure: lastFailure.withLock { $0 })
    }

    private func copies() throws -> [(name: String, time: Date)] { try SQLiteBackup.copies(in: settings.folder) }

    /// Deletes the copies beyond `keep`, and hidden ones a dead process left; one that cannot be deleted is logged
    /// (the copy just written is no less written for it) and tried again after the next copy.
    private func removeOldCopies() {
        let folder = settings.folder as NSString
        do {
            for old in try copies().dropLast(settings.keep) {
                try FileManager.default.removeItem(atPath: folder.appendingPathComponent(old.name))
            }
            for name in try FileManager.default.contentsOfDirectory(atPath: settings.folder) where name.hasPrefix(".baton-") && name.hasSuffix(".partial") {
                let path = folder.appendingPathComponent(name)
                guard let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date,
                    now().timeIntervalSince(modified) > Self.abandonedAfter
                else { continue }
                try FileManager.default.removeItem(atPath: path)
            }
        } catch {
            logger.error("old copies of the database could not be deleted", metadata: ["folder": "\(settings.folder)", "error": "\(error)"])
        }
    }
}
