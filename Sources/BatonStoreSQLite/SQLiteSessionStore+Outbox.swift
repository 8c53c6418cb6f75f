public import BatonCore
public import Foundation
import GRDB

extension SQLiteSessionStore {
    public func sessionsWithActiveHandover() async throws -> [SessionID] {
        try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM sessions WHERE handover_phase = 'active'")
                .map(SessionID.init(rawValue:))
        }
    }

    /// The next active handovers a start-up reconciliation has not taken: the condition is the partial index's, so
    /// only active handovers are visited, in id order.
    static let startupReconciliationsSQL = """
        SELECT id FROM sessions WHERE handover_phase = 'active' AND id > ?
        AND (reconciled_at IS NULL OR reconciled_at <= ?) ORDER BY id LIMIT ?
        """

    public func claimStartupReconciliations(since: Date, after: SessionID?, now: Date, limit: Int) async throws -> [SessionID] {
        try await write { db in
            let ids = try String.fetchAll(
                db.cachedStatement(sql: Self.startupReconciliationsSQL), arguments: [after?.rawValue ?? "", since.millis, max(0, limit)])
            for id in ids {
                try db.cachedStatement(sql: "UPDATE sessions SET reconciled_at = ? WHERE id = ?").execute(arguments: [now.millis, id])
            }
            return ids.map(SessionID.init(rawValue:))
        }
    }

    public func claimWakeUps(now: Date, lease: TimeInterval, limit: Int) async throws -> [SessionID] {
        try await write { db in
            let ids = try String.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM sessions WHERE wake_at IS NOT NULL AND wake_at <= ? ORDER BY wake_at LIMIT ?"),
                arguments: [now.millis, max(0, limit)])
            for id in ids {
                try db.cachedStatement(sql: "UPDATE sessions SET wake_at = ? WHERE id = ?").execute(arguments: [now.addingTimeInterval(lease).millis, id])
            }
            return ids.map(SessionID.init(rawValue:))
        }
    }

    public func nextWakeUp() async throws -> Date? {
        try await writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(wake_at) FROM sessions WHERE wake_at IS NOT NULL").map(Date.init(millis:))
        }
    }

    /// The heads (see the v7 migration) that are due and not leased, the longest due first: read through the heads' index.
    static let dueHeadsSQL = """
        SELECT \(outboxColumns) FROM outbox WHERE head AND next_attempt_at <= ? AND (leased_until IS NULL OR leased_until <= ?)
        ORDER BY next_attempt_at, id LIMIT ?
        """

    /// When the first head is due: the earliest unleased head (the index in order, past the few leased ones), or a
    /// lease that runs out first. Only heads can run; a job behind a waiting head is not due, whatever its time.
    static let nextDueSQL = """
        SELECT MIN(due) FROM (
            SELECT due FROM (SELECT next_attempt_at AS due FROM outbox WHERE head AND leased_until IS NULL ORDER BY next_attempt_at LIMIT 1)
            UNION ALL
            SELECT MAX(next_attempt_at, leased_until) AS due FROM outbox WHERE head AND leased_until IS NOT NULL)
        """

    /// Hands out the job in `row`: one more attempt, leased until `until`.
    static func handOut(_ item: OutboxItem, until: Date, in db: Database) throws -> OutboxItem {
        var item = item
        item.attempts += 1
        try db.cachedStatement(sql: "UPDATE outbox SET attempts = ?, leased_until = ? WHERE id = ?").execute(arguments: [item.attempts, until.millis, item.id])
        return item
    }

    public func claimOutbox(now: Date, lease: TimeInterval, limit: Int) async throws -> [OutboxItem] {
        try await write { db in
            // Only the head of each of a session's two queues (its `event` jobs, the rest) may run, so each keeps
            // its order.
            let due = try db.cachedStatement(sql: Self.dueHeadsSQL).all([now.millis, now.millis, max(0, limit)], Self.outboxItem(from:))
            return try due.map { try Self.handOut($0, until: now.addingTimeInterval(lease), in: db) }
        }
    }

    public func renewOutboxLeases(_ items: [OutboxItem], until: Date) async throws {
        guard !items.isEmpty else { return }
        try await write { db in
            let statement = try db.cachedStatement(sql: "UPDATE outbox SET leased_until = ? WHERE id = ? AND attempts = ? AND leased_until IS NOT NULL")
            for item in items { try statement.execute(arguments: [until.millis, item.id, item.attempts]) }
        }
    }

    /// The head of one of a session's queues (the `event` jobs or the rest), when due and not leased: read through
    /// the session's jobs (`outbox_by_session`), a handful (OutboxQueryPlanTests). A head is never dead.
    static let dueHeadOfQueueSQL = """
        SELECT \(outboxColumns) FROM outbox WHERE session_id = ? AND dead_at IS NULL AND head AND (kind = 'event') = ?
        AND next_attempt_at <= ? AND (leased_until IS NULL OR leased_until <= ?)
        """

    public func completeOutbox(_ item: OutboxItem, claimingNextAt now: Date?, lease: TimeInterval) async throws -> OutboxItem? {
        try await write { db in
            // The delete's trigger makes the queue's next job its head.
            try db.cachedStatement(sql: "DELETE FROM outbox WHERE id = ?").execute(arguments: [item.id])
            guard let now,
                let next = try db.cachedStatement(sql: Self.dueHeadOfQueueSQL).first(
                    [item.sessionID.rawValue, item.job.isNotification, now.millis, now.millis], Self.outboxItem(from:))
            else { return nil }
            return try Self.handOut(next, until: now.addingTimeInterval(lease), in: db)
        }
    }

    public func rescheduleOutbox(id: Int64, at: Date, error: String) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE outbox SET next_attempt_at = ?, leased_until = NULL, last_error = ? WHERE id = ?", arguments: [at.millis, error, id])
        }
    }

    public func deadLetterOutbox(id: Int64, error: String, now: Date) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE outbox SET dead_at = ?, leased_until = NULL, last_error = ? WHERE id = ?", arguments: [now.millis, error, id])
        }
    }

    public func outbox(dead: Bool, limit: Int) async throws -> [OutboxItem] {
        try await writer.read { db in
            try db.makeStatement(sql: "SELECT \(Self.outboxColumns) FROM outbox WHERE \(dead ? "dead_at IS NOT NULL" : "dead_at IS NULL") ORDER BY id LIMIT ?")
                .all([max(0, limit)], Self.outboxItem(from:))
        }
    }

    public func requeueOutbox(id: Int64, now: Date) async throws -> Bool {
        try await write { db in
            // It goes to the end of its session's queue: the jobs after it have run since.
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM outbox WHERE id = ? AND dead_at IS NOT NULL", arguments: [id]) else { return false }
            try db.execute(sql: "DELETE FROM outbox WHERE id = ?", arguments: [id])
            try db.execute(
                sql: "INSERT INTO outbox (session_id, job, kind, attempts, created_at, next_attempt_at, trace) VALUES (?, ?, ?, 0, ?, ?, ?)",
                arguments: [row["session_id"] as String, row["job"] as String, row["kind"] as String, row["created_at"] as Int64, now.millis, row["trace"] as String?])
            return true
        }
    }

    public func outboxCounts() async throws -> OutboxCounts {
        try await writer.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FILTER (WHERE dead_at IS NULL) AS pending, COUNT(*) FILTER (WHERE dead_at IS NOT NULL) AS dead,
                    MIN(created_at) FILTER (WHERE dead_at IS NULL) AS oldest FROM outbox
                    """)
            return OutboxCounts(pending: row?["pending"] ?? 0, dead: row?["dead"] ?? 0, oldestPendingAt: (row?["oldest"] as Int64?).map(Date.init(millis:)))
        }
    }

    public func nextOutboxDue() async throws -> Date? {
        try await writer.read { db in try Int64.fetchOne(db.cachedStatement(sql: Self.nextDueSQL)).map(Date.init(millis:)) }
    }

    public func recordDelivery(_ deliveryID: String, now: Date) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(sql: "INSERT INTO webhook_deliveries (delivery_id, received_at) VALUES (?, ?) ON CONFLICT (delivery_id) DO NOTHING")
                .execute(arguments: [deliveryID, now.millis])
            return db.changesCount > 0
        }
    }

    public func forgetDelivery(_ deliveryID: String) async throws {
        try await write { db in try db.execute(sql: "DELETE FROM webhook_deliveries WHERE delivery_id = ?", arguments: [deliveryID]) }
    }

    public func forgetDeliveries(before: Date) async throws {
        try await write { db in try db.execute(sql: "DELETE FROM webhook_deliveries WHERE received_at < ?", arguments: [before.millis]) }
    }

    public func saveFile(_ file: StoredFile) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO files (id, session_id, name, mime_type, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [file.id, file.sessionID.rawValue, file.name, file.mimeType, Data(file.bytes), file.createdAt.millis])
        }
    }

    public func file(id: String) async throws -> StoredFile? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM files WHERE id = ?", arguments: [id]).map { row in
                StoredFile(
                    id: row["id"], sessionID: SessionID(rawValue: row["session_id"]), name: row["name"], mimeType: row["mime_type"],
                    bytes: [UInt8](row["bytes"] as Data), createdAt: Date(millis: row["created_at"]))
            }
        }
    }

    /// An outbox job's columns, in the order ``outboxItem(from:)`` reads them (by position: see ``Columns``).
    static let outboxColumns = "id, session_id, job, attempts, created_at, next_attempt_at, last_error, dead_at, trace"

    static func outboxItem(from row: Columns) throws -> OutboxItem {
        OutboxItem(
            id: try row[0], sessionID: SessionID(rawValue: try row[1]), job: try decode(OutboxJob.self, try row[2]), attempts: try row[3],
            createdAt: Date(millis: try row[4]), nextAttemptAt: Date(millis: try row[5]), lastError: try row[6],
            deadAt: (try row[7] as Int64?).map(Date.init(millis:)), trace: try row[8])
    }
}
