public import BatonCore
public import Foundation
import PostgresNIO

extension PostgresSessionStore {
    /// Safe with several processes claiming at once: the due heads (see migration 5) are chosen from one snapshot,
    /// and each is then locked with `SKIP LOCKED` (a head another claimer is taking right now is skipped, not waited
    /// for). A head another claimer took and committed since the snapshot is rechecked on its new row version, whose
    /// lease now runs, so it is dropped too; a head completed or dead-lettered meanwhile is gone or no head. Either
    /// way, no job is handed out twice during its lease. A session has two queues, its `event` jobs and the rest
    /// (`OutboxJob`), each with its own head.
    public func claimOutbox(now: Date, lease: TimeInterval, limit: Int) async throws -> [OutboxItem] {
        try await rows(Self.claimQuery(now: now, lease: lease, limit: limit))
            .map(Rows.outboxItem(from:))
            // RETURNING keeps no order; hand the jobs out as SQLite does, the longest due first.
            .sorted { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }
    }

    /// Reads only the heads, through their index (`outbox_heads_due`), however many jobs wait behind them; the
    /// picked ids are then updated by primary key (a join would have the planner read the whole table to hash it).
    static func claimQuery(now: Date, lease: TimeInterval, limit: Int) -> PostgresQuery {
        """
        UPDATE outbox SET attempts = attempts + 1, leased_until = \(now.addingTimeInterval(lease).millis)
        WHERE id = ANY(ARRAY(
            SELECT id FROM outbox
            WHERE head AND next_attempt_at <= \(now.millis) AND (leased_until IS NULL OR leased_until <= \(now.millis))
            ORDER BY next_attempt_at, id
            LIMIT \(Int64(max(0, limit)))
            FOR UPDATE SKIP LOCKED))
        RETURNING *
        """
    }

    /// When the first head is due: the earliest unleased head (the index in order, past the few leased ones), or a
    /// lease that runs out first. Only heads can run; a job behind a waiting head is not due, whatever its time.
    static let nextDueQuery: PostgresQuery = """
        SELECT LEAST(
            (SELECT next_attempt_at FROM outbox WHERE head AND leased_until IS NULL ORDER BY next_attempt_at LIMIT 1),
            (SELECT MIN(GREATEST(next_attempt_at, leased_until)) FROM outbox WHERE head AND leased_until IS NOT NULL)) AS due
        """

    public func renewOutboxLeases(_ items: [OutboxItem], until: Date) async throws {
        guard !items.isEmpty else { return }
        // One statement for all of this worker's jobs, each matched by its id and the attempt it was handed out as.
        // A row locked now is being completed or rescheduled (in a shared transaction that may hold several of them):
        // skipped, not waited for, since waiting while holding the others could deadlock with that transaction.
        try await executeRepeatable(
            """
            UPDATE outbox o SET leased_until = \(until.millis)
            FROM unnest(\(items.map(\.id)), \(items.map { Int64($0.attempts) })) AS mine (id, attempts)
            WHERE o.id = mine.id AND o.attempts = mine.attempts AND o.leased_until IS NOT NULL
            AND o.id IN (SELECT id FROM outbox WHERE id = ANY(\(items.map(\.id))) FOR UPDATE SKIP LOCKED)
            """)
    }

    public func completeOutbox(_ item: OutboxItem, claimingNextAt now: Date?, lease: TimeInterval) async throws -> OutboxItem? {
        // With the writes around it: the next head's trigger locks the session's row, which the group commit took first.
        try await commits.write(job: item.id) { connection, _ in
            try await connection.query("DELETE FROM outbox WHERE id = \(item.id)", logger: self.logger)
            guard let now else { return .done(nil) }
            return .done(try await self.rows(Self.claimNextQuery(after: item, now: now, lease: lease), on: connection).first.map(Rows.outboxItem(from:)))
        }
    }

    /// Hands out the head of `item`'s queue (the session's `event` jobs or the rest) when due and not leased, as
    /// `claimQuery` would; the session's jobs are read through `outbox_by_session` (a head is never dead).
    /// `SKIP LOCKED` as there: a
    /// head another claimer is taking right now (when `item` had been completed already) is left to it.
    static func claimNextQuery(after item: OutboxItem, now: Date, lease: TimeInterval) -> PostgresQuery {
        """
        UPDATE outbox SET attempts = attempts + 1, leased_until = \(now.addingTimeInterval(lease).millis)
        WHERE id = (
            SELECT id FROM outbox
            WHERE session_id = \(item.sessionID.rawValue) AND dead_at IS NULL AND head AND (kind = 'event') = \(item.job.isNotification)
            AND next_attempt_at <= \(now.millis) AND (leased_until IS NULL OR leased_until <= \(now.millis))
            FOR UPDATE SKIP LOCKED)
        RETURNING *
        """
    }

    public func rescheduleOutbox(id: Int64, at: Date, error: String) async throws {
        try await executeRepeatable(
            "UPDATE outbox SET next_attempt_at = \(at.millis), leased_until = NULL, last_error = \(error) WHERE id = \(id)")
    }

    public func deadLetterOutbox(id: Int64, error: String, now: Date) async throws {
        try await executeRepeatable(
            "UPDATE outbox SET dead_at = \(now.millis), leased_until = NULL, last_error = \(error) WHERE id = \(id)")
    }

    public func outbox(dead: Bool, limit: Int) async throws -> [OutboxItem] {
        let limit = Int64(max(0, limit))
        let found =
            dead
            ? try await read("SELECT * FROM outbox WHERE dead_at IS NOT NULL ORDER BY id LIMIT \(limit)")
            : try await read("SELECT * FROM outbox WHERE dead_at IS NULL ORDER BY id LIMIT \(limit)")
        return try found.map(Rows.outboxItem(from:))
    }

    public func requeueOutbox(id: Int64, now: Date) async throws -> Bool {
        try await transaction { connection in
            guard let found = try await self.rows("SELECT session_id FROM outbox WHERE id = \(id) AND dead_at IS NOT NULL", on: connection).first else {
                return false
            }
            // The session's lock orders this insert with the session's updates, so outbox ids grow in commit order
            // per session and a claimer can never see a later job as the head while an earlier one is uncommitted.
            let sessionID = try found["session_id"].decode(String.self)
            try await connection.query("SELECT 1 FROM sessions WHERE id = \(sessionID) FOR UPDATE", logger: self.logger)
            // It goes to the end of its session's queue: the jobs after it have run since.
            guard let row = try await self.rows("DELETE FROM outbox WHERE id = \(id) AND dead_at IS NOT NULL RETURNING *", on: connection).first else {
                return false
            }
            let job = try row["job"].decode(String.self)
            let kind = try row["kind"].decode(String.self)
            let createdAt = try row["created_at"].decode(Int64.self)
            let trace = try row["trace"].decode(String?.self)
            try await connection.query(
                """
                INSERT INTO outbox (session_id, job, kind, attempts, created_at, next_attempt_at, trace)
                VALUES (\(sessionID), \(job), \(kind), 0, \(createdAt), \(now.millis), \(trace))
                """, logger: self.logger)
            return true
        }
    }

    public func outboxCounts() async throws -> OutboxCounts {
        let row = try await read(
            """
            SELECT COUNT(*) FILTER (WHERE dead_at IS NULL) AS pending, COUNT(*) FILTER (WHERE dead_at IS NOT NULL) AS dead,
            MIN(created_at) FILTER (WHERE dead_at IS NULL) AS oldest FROM outbox
            """
        ).first
        return OutboxCounts(
            pending: Int(try row?["pending"].decode(Int64.self) ?? 0), dead: Int(try row?["dead"].decode(Int64.self) ?? 0),
            oldestPendingAt: try row?["oldest"].decode(Int64?.self).map(Date.init(millis:)))
    }

    public func claimWakeUps(now: Date, lease: TimeInterval, limit: Int) async throws -> [SessionID] {
        // SKIP LOCKED: a session being updated right now is taken at the next look; two instances never take one.
        try await rows(
            """
            UPDATE sessions SET wake_at = \(now.addingTimeInterval(lease).millis)
            WHERE id IN (
                SELECT id FROM sessions WHERE wake_at IS NOT NULL AND wake_at <= \(now.millis)
                ORDER BY wake_at LIMIT \(max(0, limit)) FOR UPDATE SKIP LOCKED)
            RETURNING id
            """
        ).map { SessionID(rawValue: try $0["id"].decode(String.self)) }
    }

    public func nextWakeUp() async throws -> Date? {
        try await read("SELECT MIN(wake_at) AS due FROM sessions WHERE wake_at IS NOT NULL").first.flatMap { try $0["due"].decode(Int64?.self) }
            .map(Date.init(millis:))
    }

    public func nextOutboxDue() async throws -> Date? {
        try await read(Self.nextDueQuery).first.flatMap { try $0["due"].decode(Int64?.self) }.map(Date.init(millis:))
    }

    public func recordDelivery(_ deliveryID: String, now: Date) async throws -> Bool {
        try await !rows(
            "INSERT INTO webhook_deliveries (delivery_id, received_at) VALUES (\(deliveryID), \(now.millis)) ON CONFLICT (delivery_id) DO NOTHING RETURNING 1"
        ).isEmpty
    }

    public func forgetDelivery(_ deliveryID: String) async throws {
        try await executeRepeatable("DELETE FROM webhook_deliveries WHERE delivery_id = \(deliveryID)")
    }

    public func forgetDeliveries(before: Date) async throws {
        try await executeRepeatable("DELETE FROM webhook_deliveries WHERE received_at < \(before.millis)")
    }
}
