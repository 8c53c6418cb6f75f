import BatonConfig
import BatonCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Deletes what Baton no longer needs, at start and then every `interval`: webhook delivery ids older than a week
/// (redeliveries come within seconds); when `retention.idleSessionDays` is set, sessions idle that long with
/// nothing left to do (see `SessionStore.deleteIdleSessions`); when `retention.messageDays` is set, messages and
/// uploaded files that old from sessions still in use (see `SessionStore.deleteOldMessages`). Several instances on
/// one database may sweep at once: each row is deleted by one of them, and a session written to meanwhile is kept.
final class Housekeeping: Service, Sendable {
    let store: any SessionStore
    /// Told of each session deleted, so a page still open on it starts over at once.
    let hub: ConversationHub
    let retention: RetentionSettings
    let interval: Duration
    let metrics: BatonMetrics
    let now: @Sendable () -> Date
    let logger: Logger
    /// Rung when the store is ready, and when the service stops.
    private let bell = Doorbell()
    private let readiness: StoreReadiness
    /// When the old messages' sweep last ran (by `now`): it reads every message of every session older than the
    /// cutoff, so it runs at start and then once a day, not at every sweep; a message goes within a day of its time.
    private let lastMessageSweep = Mutex<Date?>(nil)

    /// Once an hour by default: a session's retention is counted in days.
    static let defaultInterval: Duration = .seconds(3600)
    /// Sessions deleted per write, and sessions looked at per page of the old messages' sweep: a few, so the single
    /// SQLite writer is never held long (each session goes with its messages).
    static let batch = 100
    static let deliveryIDsKept: TimeInterval = 7 * 24 * 3600
    static let messageSweepInterval: TimeInterval = 24 * 3600

    init(
        store: any SessionStore, hub: ConversationHub, retention: RetentionSettings, interval: Duration, metrics: BatonMetrics,
        now: @escaping @Sendable () -> Date, logger: Logger
    ) {
        self.store = store
        self.hub = hub
        self.retention = retention
        self.interval = interval
        self.metrics = metrics
        self.now = now
        self.logger = logger
        self.readiness = StoreReadiness(bell: bell)
    }

    /// Lets the sweeps start: called once the store's schema is migrated.
    func storeIsReady() { readiness.open() }

    func run() async throws {
        await readiness.runPasses {
            await self.sweep()
            return self.interval
        }
    }

    /// One sweep; a failure is logged and left to the next.
    func sweep() async {
        let time = now()
        do {
            try await store.forgetDeliveries(before: time.addingTimeInterval(-Self.deliveryIDsKept))
        } catch {
            logger.error("old webhook delivery ids could not be deleted", metadata: ["error": "\(String(reflecting: error))"])
        }
        if let days = retention.idleSessionDays { await deleteIdleSessions(before: time.addingTimeInterval(-Self.seconds(days)), days: days) }
        if let days = retention.messageDays, messageSweepIsDue(at: time) {
            await deleteOldMessages(before: time.addingTimeInterval(-Self.seconds(days)), days: days)
        }
    }

    private static func seconds(_ days: Int) -> TimeInterval { Double(days) * 24 * 3600 }

    /// Whether a day passed since the old messages' last sweep (or none ran); if so, this one counts as it.
    private func messageSweepIsDue(at time: Date) -> Bool {
        lastMessageSweep.withLock { last in
            if let last, time.timeIntervalSince(last) < Self.messageSweepInterval { return false }
            last = time
            return true
        }
    }

    private func deleteIdleSessions(before: Date, days: Int) async {
        var deleted = 0
        do {
            while !Task.isShuttingDownGracefully {
                let batch = try await store.deleteIdleSessions(before: before, limit: Self.batch)
                for id in batch { hub.publish(.deleted, to: id) }
                deleted += batch.count
                metrics.sessionsDeleted(batch.count, reason: "retention")
                if batch.count < Self.batch { break }
            }
        } catch {
            logger.error("idle sessions could not be deleted", metadata: ["error": "\(String(reflecting: error))"])
        }
        if deleted > 0 { logger.info("deleted idle sessions", metadata: ["count": "\(deleted)", "idle_days": "\(days)"]) }
    }

    /// Passes over every session once, a page at a time.
    private func deleteOldMessages(before: Date, days: Int) async {
        var deleted = OldMessagesDeletion(messages: 0, files: 0, lastSessionID: nil)
        do {
            var after: SessionID?
            repeat {
                let page = try await store.deleteOldMessages(before: before, after: after, limit: Self.batch)
                metrics.oldMessagesDeleted(page)
                deleted.messages += page.messages
                deleted.files += page.files
                after = page.lastSessionID
            } while after != nil && !Task.isShuttingDownGracefully
        } catch {
            logger.error("old messages could not be deleted", metadata: ["error": "\(String(reflecting: error))"])
        }
        if deleted.messages + deleted.files > 0 {
            logger.info("deleted old messages", metadata: ["messages": "\(deleted.messages)", "files": "\(deleted.files)", "message_days": "\(days)"])
        }
    }
}
