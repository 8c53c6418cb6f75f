import BatonCore
import Foundation
import PostgresNIO

/// How a step's writes reach PostgreSQL: its new messages, its outbox jobs and the session's row in one statement
/// (data-modifying `WITH` parts), one round trip and one statement for the server to plan instead of one per row.
extension PostgresSessionStore {
    /// What `update` writes after its messages are placed.
    struct StepWrite {
        let sessionID: SessionID
        let messages: [Message]
        let jobs: [OutboxJob]
        let trace: String?
        let state: ConversationState
        let lastMessageID: Int64
        let rateBucket: RateBucket?
        let now: Date
    }

    /// Writes `step` on `connection`. A repeated client or external id is reported for the message that carries it,
    /// so messages go in the one statement only while at most one of them carries such an id (an agent's reply, a
    /// user's message); otherwise each is inserted alone first (the rare step that moves earlier replies).
    func save(_ step: StepWrite, on connection: PostgresConnection) async throws {
        let identified = step.messages.filter { $0.clientMessageID != nil || $0.externalID != nil }
        let together = identified.count <= 1
        if !together {
            for message in step.messages { try await insert(message, on: connection) }
        }
        try await Self.reportingDuplicates(of: together ? identified.first : nil) {
            try await connection.query(try Self.saveQuery(step, messages: together ? step.messages : []), logger: self.logger)
        }
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

    static let messageColumns =
        "(session_id, id, sender, content, created_at, client_message_id, agent_name, external_id, external_order, moved_from, retracted)"

    /// `WITH m AS (INSERT INTO messages …), o AS (INSERT INTO outbox …) UPDATE sessions …`, each part only when it
    /// has rows. The parts write different tables, so the snapshot they share hides nothing any of them needs; the
    /// outbox rows go in the order given, so their ids (the order jobs run in) follow the step's.
    static func saveQuery(_ step: StepWrite, messages: [Message]) throws -> PostgresQuery {
        var sql = PostgresQuery.StringInterpolation(literalCapacity: 512, interpolationCount: 8 + 10 * messages.count + 3 * step.jobs.count)
        var parts = 0
        if !messages.isEmpty {
            sql.appendLiteral("WITH m AS (INSERT INTO messages \(messageColumns) VALUES ")
            for (index, message) in messages.enumerated() {
                if index > 0 { sql.appendLiteral(", ") }
                appendValues(of: message, to: &sql)
            }
            sql.appendLiteral(")")
            parts += 1
        }
        if !step.jobs.isEmpty {
            sql.appendLiteral(parts == 0 ? "WITH " : ", ")
            sql.appendLiteral("o AS (INSERT INTO outbox (session_id, job, kind, attempts, created_at, next_attempt_at, trace) VALUES ")
            for (index, job) in step.jobs.enumerated() {
                sql.appendLiteral(index == 0 ? "(" : ", (")
                sql.appendInterpolation(step.sessionID.rawValue)
                sql.appendLiteral(", ")
                sql.appendInterpolation(try Rows.encode(job))
                sql.appendLiteral(", ")
                sql.appendInterpolation(job.kind)
                sql.appendLiteral(", 0, ")
                sql.appendInterpolation(step.now.millis)
                sql.appendLiteral(", ")
                sql.appendInterpolation(step.now.millis)
                sql.appendLiteral(", ")
                sql.appendInterpolation(step.trace)
                sql.appendLiteral(")")
            }
            sql.appendLiteral(")")
        }
        sql.appendLiteral(" UPDATE sessions SET state = ")
        sql.appendInterpolation(step.state.storageText)
        sql.appendLiteral(", handover_phase = ")
        sql.appendInterpolation(step.state.handover?.phase.rawValue)
        sql.appendLiteral(", last_message_id = ")
        sql.appendInterpolation(step.lastMessageID)
        sql.appendLiteral(", updated_at = ")
        sql.appendInterpolation(step.now.millis)
        sql.appendLiteral(", wake_at = ")
        sql.appendInterpolation(step.state.wakeAt?.millis)
        sql.appendLiteral(", rate_tokens = ")
        sql.appendInterpolation(step.rateBucket?.tokens)
        sql.appendLiteral(", rate_at = ")
        sql.appendInterpolation(step.rateBucket?.at.millis)
        sql.appendLiteral(" WHERE id = ")
        sql.appendInterpolation(step.sessionID.rawValue)
        return PostgresQuery(stringInterpolation: sql)
    }

    /// `(…)` with the message's columns, in `messageColumns`' order, each a bind parameter.
    static func appendValues(of message: Message, to sql: inout PostgresQuery.StringInterpolation) {
        sql.appendLiteral("(")
        sql.appendInterpolation(message.sessionID.rawValue)
        sql.appendLiteral(", ")
        sql.appendInterpolation(message.id)
        sql.appendLiteral(", ")
        sql.appendInterpolation(message.sender.rawValue)
        sql.appendLiteral(", ")
        sql.appendInterpolation(message.content.storageText)
        sql.appendLiteral(", ")
        sql.appendInterpolation(message.createdAt.millis)
        sql.appendLiteral(", ")
        sql.appendInterpolation(message.clientMessageID)
        sql.appendLiteral(", ")
        sql.appendInterpolation(message.agentName)
        sql.appendLiteral(", ")
        sql.appendInterpolation(message.externalID)
        sql.appendLiteral(", ")
        sql.appendInterpolation(message.externalOrder)
        sql.appendLiteral(", ")
        sql.appendInterpolation(message.movedFrom)
        sql.appendLiteral(", FALSE)")
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
