import BatonCore
import Logging
import PostgresNIO

/// A step's save (its new messages, its outbox jobs and its session's row), waiting to be written together with
/// the saves of other sessions in the same transaction: one statement, one round trip and one plan for all of them
/// (see `PostgresGroupCommit`).
struct PendingSave: Sendable {
    let step: PostgresSessionStore.StepWrite
    /// When set, the save writes only if no live message of its session has a provider order after this one
    /// (an agent's reply that came in order, the usual case); otherwise it writes nothing and says so.
    let unlessLaterThan: Int64?

    /// Writes `saves` (of different sessions) in one statement and returns the positions of those that wrote. A
    /// save alone reports a repeated client or external id as the `SessionStoreError` its caller expects; in a
    /// statement of several, whose it was is not known, and the error is PostgreSQL's. The statement also sends
    /// what `announcer` gives for each save's messages, for the saves that write.
    static func write(
        _ saves: [PendingSave], announcedBy announcer: TransactionAnnouncerSlot, on connection: PostgresConnection, logger: Logger
    ) async throws -> Set<Int> {
        var saved: Set<Int> = []
        let message = saves.count == 1 ? saves[0].step.messages.first(where: \.bringsItsOwnID) : nil
        try await PostgresSessionStore.reportingDuplicates(of: message) {
            let notifications = Notifications(saves, announcer: announcer)
            for try await position in try await connection.query(try query(saves, notifying: notifications), logger: logger).decode(Int64.self) {
                saved.insert(Int(position))
            }
        }
        return saved
    }

    /// The statement that writes `saves`: a lone save's own (`alone`), several saves' as columns of arrays
    /// (`together`). PostgreSQL plans a statement each time it runs, and the planning of a statement of parts per
    /// save grows with the saves (about 0.07 ms each), while the arrays' statement takes the same whatever their
    /// number (about 0.16 ms): the lone save's is the cheaper one, which two saves make even.
    static func query(_ saves: [PendingSave], notifying notifications: Notifications = Notifications()) throws -> PostgresQuery {
        if saves.count == 1 { return try saves[0].alone(notifying: notifications) }
        return try together(saves, notifying: notifications)
    }

    /// `WITH free AS (…), m AS (INSERT INTO messages …), o AS (INSERT INTO outbox …), u AS (UPDATE sessions …
    /// RETURNING 0) SELECT n FROM u`, each insert only when it has rows.
    func alone(notifying notifications: Notifications = Notifications()) throws -> PostgresQuery {
        let binds = 10 + 10 * step.messages.count + 6 * step.update.jobs.count + 3
        var sql = PostgresQuery.StringInterpolation(literalCapacity: 1024, interpolationCount: binds)
        sql.appendLiteral("WITH ")
        try appendParts(to: &sql)
        notifications.appendSelect(ifWritten: "(SELECT ok FROM free)", to: &sql)
        return PostgresQuery(stringInterpolation: sql)
    }

    /// This save's `free`, `m`, `o` and `u` parts (see ``alone()``).
    private func appendParts(to sql: inout PostgresQuery.StringInterpolation) throws {
        sql.appendLiteral("free AS (SELECT ")
        if let order = unlessLaterThan {
            sql.appendLiteral("NOT EXISTS (SELECT 1 FROM messages WHERE session_id = ")
            sql.appendInterpolation(step.sessionID.rawValue)
            sql.appendLiteral(" AND external_order > ")
            sql.appendInterpolation(order)
            sql.appendLiteral(" AND NOT retracted) AS ok)")
        } else {
            sql.appendLiteral("TRUE AS ok)")
        }
        if !step.messages.isEmpty {
            sql.appendLiteral(", m AS (INSERT INTO messages \(PostgresSessionStore.messageColumns) SELECT v.* FROM (VALUES ")
            for (index, message) in step.messages.enumerated() {
                if index > 0 { sql.appendLiteral(", ") }
                PostgresSessionStore.appendValues(of: message, to: &sql)
            }
            sql.appendLiteral(") AS v, free WHERE free.ok)")
        }
        if !step.update.jobs.isEmpty {
            sql.appendLiteral(", o AS (INSERT INTO outbox (session_id, job, kind, attempts, created_at, next_attempt_at, trace) ")
            sql.appendLiteral("SELECT v.session_id, v.job, v.kind, 0, v.at, v.at, v.trace FROM (VALUES ")
            for (index, job) in step.update.jobs.enumerated() {
                sql.appendLiteral(index == 0 ? "(" : ", (")
                sql.appendInterpolation(Int64(index))
                sql.appendLiteral(", ")
                sql.appendInterpolation(step.sessionID.rawValue)
                sql.appendLiteral(", ")
                sql.appendInterpolation(try Rows.encode(job))
                sql.appendLiteral(", ")
                sql.appendInterpolation(job.kind)
                sql.appendLiteral(", ")
                sql.appendInterpolation(step.now.millis)
                sql.appendLiteral(", ")
                sql.appendInterpolation(step.update.trace)
                sql.appendLiteral("::text)")
            }
            sql.appendLiteral(") AS v (n, session_id, job, kind, at, trace), free WHERE free.ok ORDER BY v.n)")
        }
        sql.appendLiteral(", u AS (UPDATE sessions SET state = ")
        sql.appendInterpolation(step.stateText)
        sql.appendLiteral(", handover_phase = ")
        sql.appendInterpolation(step.update.state.handover?.phase.rawValue)
        sql.appendLiteral(", last_message_id = ")
        sql.appendInterpolation(step.lastMessageID)
        sql.appendLiteral(", updated_at = ")
        sql.appendInterpolation(step.now.millis)
        sql.appendLiteral(", wake_at = ")
        sql.appendInterpolation(step.update.state.wakeAt?.millis)
        sql.appendLiteral(", rate_tokens = ")
        sql.appendInterpolation(step.update.rateBucket?.tokens)
        sql.appendLiteral(", rate_at = ")
        sql.appendInterpolation(step.update.rateBucket?.at.millis)
        sql.appendLiteral(" FROM free WHERE free.ok AND id = ")
        sql.appendInterpolation(step.sessionID.rawValue)
        sql.appendLiteral(" RETURNING 0::bigint AS n)")
    }
}

extension PendingSave {
    /// The notifications a save statement sends for the messages it stores (see ``TransactionAnnouncer``), each with
    /// its save's session, so that a save that does not write (`unlessLaterThan`) announces nothing.
    struct Notifications {
        var channels: [String] = [], payloads: [String] = [], sessions: [String] = []

        init() {}

        /// What `announcer` gives for each save's messages; none when it wants them announced after the commit.
        init(_ saves: [PendingSave], announcer: TransactionAnnouncerSlot) {
            for save in saves where !save.step.messages.isEmpty {
                for (channel, payload) in announcer.notifications(for: save.step.messages) ?? [] {
                    channels.append(channel)
                    payloads.append(payload)
                    sessions.append(save.step.sessionID.rawValue)
                }
            }
        }

        /// The statement's end: its saves' positions (`SELECT n FROM u`), and before them, when there are
        /// notifications, a part that sends those whose save wrote (`written`, a condition on `b.s`, the save's
        /// session), in order. The part is read (its count), as PostgreSQL runs a `WITH` part that only reads only
        /// when the query reads it; it is not folded into the query, as it calls a volatile function, and with
        /// `ORDER BY` PostgreSQL calls that function after sorting: in array order.
        func appendSelect(ifWritten written: String, to sql: inout PostgresQuery.StringInterpolation) {
            guard !payloads.isEmpty else {
                sql.appendLiteral(" SELECT n FROM u")
                return
            }
            sql.appendLiteral(", nt AS (SELECT pg_notify(b.c, b.p) FROM unnest(")
            sql.appendInterpolation(channels)
            sql.appendLiteral("::text[], ")
            sql.appendInterpolation(payloads)
            sql.appendLiteral("::text[], ")
            sql.appendInterpolation(sessions)
            sql.appendLiteral("::text[]) WITH ORDINALITY AS b (c, p, s, i) WHERE \(written) ORDER BY b.i)")
            sql.appendLiteral(" SELECT n FROM u, (SELECT count(*) FROM nt) AS notified")
        }
    }
}
