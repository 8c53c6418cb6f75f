import BatonCore
import Foundation
import PostgresNIO

/// How a step's writes reach PostgreSQL: its new messages, its outbox jobs and the session's row in one statement
/// (data-modifying `WITH` parts), one round trip and one statement for the server to plan instead of one per row.
extension PostgresSessionStore {
    /// What `update` writes: the change, its messages as placed, and the session's newest id once they are.
    struct StepWrite {
        let update: SessionUpdate
        var messages: [Message]
        let lastMessageID: Int64
        let now: Date

        var sessionID: SessionID { update.session.id }
    }

    /// Writes `step` on `connection`. A repeated client or external id is reported for the message that carries it,
    /// so messages go in the one statement only while at most one of them carries such an id (an agent's reply, a
    /// user's message); otherwise each is inserted alone first (the rare step that moves earlier replies).
    func save(_ step: StepWrite, on connection: PostgresConnection) async throws {
        if Self.fitsOneStatement(step.messages) {
            _ = try await saveInOneStatement(step, unlessLaterThan: nil, on: connection)
        } else {
            for message in step.messages { try await insert(message, on: connection) }
            var rest = step
            rest.messages = []
            _ = try await saveInOneStatement(rest, unlessLaterThan: nil, on: connection)
        }
    }

    /// Whether `messages` can go in one statement (see ``save(_:on:)``).
    static func fitsOneStatement(_ messages: [Message]) -> Bool {
        messages.count(where: { $0.clientMessageID != nil || $0.externalID != nil }) <= 1
    }

    /// Writes `step` in one statement, its messages included (``fitsOneStatement(_:)`` must hold). With `order`, only
    /// when no live message of the session has a provider order after it: then nothing was written and it says so.
    func saveInOneStatement(_ step: StepWrite, unlessLaterThan order: Int64?, on connection: PostgresConnection) async throws -> Bool {
        var written = 0
        try await Self.reportingDuplicates(of: step.messages.first { $0.clientMessageID != nil || $0.externalID != nil }) {
            written = try await connection.query(try Self.saveQuery(step, unlessLaterThan: order), logger: self.logger).collect().count
        }
        return written == 1
    }

    /// Inserts a message, reporting a repeated client or external id as the `SessionStoreError` callers expect.
    func insert(_ message: Message, on connection: PostgresConnection) async throws {
        var sql = PostgresQuery.StringInterpolation(literalCapacity: 256, interpolationCount: 10)
        sql.appendLiteral("INSERT INTO messages \(Self.messageColumns) VALUES ")
        Self.appendValues(of: message, to: &sql)
        try await Self.reportingDuplicates(of: message) {
            try await connection.query(PostgresQuery(stringInterpolation: sql), logger: self.logger)
        }
    }

    /// The columns `appendValues(of:to:)` gives, in its order.
    static let messageColumns =
        "(session_id, id, sender, content, created_at, client_message_id, agent_name, external_id, external_order, moved_from, retracted)"

    /// `WITH free AS (…), m AS (INSERT INTO messages …), o AS (INSERT INTO outbox …) UPDATE sessions … RETURNING 1`,
    /// each insert only when it has rows. The parts write different tables, so the snapshot they share hides nothing any of them needs; the
    /// outbox rows go in the order given, so their ids (the order jobs run in) follow the step's. With `order`, every
    /// part writes only when no live message of the session has a provider order after it (`free`).
    static func saveQuery(_ step: StepWrite, unlessLaterThan order: Int64?) throws -> PostgresQuery {
        var sql = PostgresQuery.StringInterpolation(
            literalCapacity: 512, interpolationCount: 10 + 10 * step.messages.count + 6 * step.update.jobs.count)
        sql.appendLiteral("WITH free AS (SELECT ")
        if let order {
            sql.appendLiteral("NOT EXISTS (SELECT 1 FROM messages WHERE session_id = ")
            sql.appendInterpolation(step.sessionID.rawValue)
            sql.appendLiteral(" AND external_order > ")
            sql.appendInterpolation(order)
            sql.appendLiteral(" AND NOT retracted) AS ok)")
        } else {
            sql.appendLiteral("TRUE AS ok)")
        }
        if !step.messages.isEmpty {
            sql.appendLiteral(", m AS (INSERT INTO messages \(messageColumns) SELECT v.* FROM (VALUES ")
            for (index, message) in step.messages.enumerated() {
                if index > 0 { sql.appendLiteral(", ") }
                appendValues(of: message, to: &sql)
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
        sql.appendLiteral(" UPDATE sessions SET state = ")
        sql.appendInterpolation(step.update.state.storageText)
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
        sql.appendLiteral(" RETURNING 1")
        return PostgresQuery(stringInterpolation: sql)
    }

    /// `(…)` with the message's columns, in `messageColumns`' order, each a bind parameter. Each is cast to its
    /// column's type: a `NULL` parameter has none, and in a `VALUES` list that is not the row of an `INSERT` it
    /// would be taken for text.
    static func appendValues(of message: Message, to sql: inout PostgresQuery.StringInterpolation) {
        sql.appendLiteral("(")
        sql.appendInterpolation(message.sessionID.rawValue)
        sql.appendLiteral("::text, ")
        sql.appendInterpolation(message.id)
        sql.appendLiteral("::bigint, ")
        sql.appendInterpolation(message.sender.rawValue)
        sql.appendLiteral("::text, ")
        sql.appendInterpolation(message.content.storageText)
        sql.appendLiteral("::text, ")
        sql.appendInterpolation(message.createdAt.millis)
        sql.appendLiteral("::bigint, ")
        sql.appendInterpolation(message.clientMessageID)
        sql.appendLiteral("::text, ")
        sql.appendInterpolation(message.agentName)
        sql.appendLiteral("::text, ")
        sql.appendInterpolation(message.externalID)
        sql.appendLiteral("::text, ")
        sql.appendInterpolation(message.externalOrder)
        sql.appendLiteral("::bigint, ")
        sql.appendInterpolation(message.movedFrom)
        sql.appendLiteral("::bigint, FALSE)")
    }

    /// Runs `write`, turning a unique violation of a message's client or external id into the `SessionStoreError`
    /// callers expect, named after `message`.
    static func reportingDuplicates(of message: Message?, _ write: () async throws -> Void) async throws {
        do {
            try await write()
        } catch let error as PSQLError {
            guard let message else { throw error }
            if error.isUniqueViolation(of: "messages_by_client_id") {
                throw SessionStoreError.duplicateClientMessage(message.sessionID, message.clientMessageID ?? "")
            }
            if error.isUniqueViolation(of: "messages_by_external_id") {
                throw SessionStoreError.duplicateExternalMessage(message.sessionID, message.externalID ?? "")
            }
            throw error
        }
    }
}
