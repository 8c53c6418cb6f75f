import BatonCore
import PostgresNIO

extension PendingSave {
    /// Several saves in one statement, whose parts are the same whatever their number: the saves' sessions, messages
    /// and jobs each go as a column of arrays and `unnest` turns them back into rows. `s` is a row per save; `ok`
    /// those that write (a save with `unlessLaterThan` only when no live message of its session has a later
    /// provider order); `m`, `o` and `u` write the messages, jobs and session rows of those, `u` returning each
    /// save's position. PostgreSQL runs every data-modifying part once, whether the query reads it or not, and they
    /// write different rows (one session per save, its messages and jobs), so the snapshot they share hides nothing
    /// any of them needs. The jobs go in the order given (`ORDER BY` their place in the arrays), so their ids (the
    /// order jobs run in) follow each step's. A part with no rows to write is left out, and so is the check of
    /// later messages when no save asks for it.
    static func together(_ saves: [PendingSave], notifying notifications: Notifications = Notifications()) throws -> PostgresQuery {
        var sessions = SessionColumns()
        var messages = MessageColumns()
        var jobs = JobColumns()
        for (position, save) in saves.enumerated() {
            sessions.append(save, position: Int64(position))
            for message in save.step.messages { messages.append(message) }
            for job in save.step.update.jobs { try jobs.append(job, of: save.step) }
        }
        var sql = PostgresQuery.StringInterpolation(literalCapacity: 2048, interpolationCount: 25)
        sql.appendLiteral("WITH s AS (SELECT * FROM unnest(")
        sql.appendList(sessions.columns)
        sql.appendLiteral(") AS s (\(SessionColumns.names)))")
        if saves.contains(where: { $0.unlessLaterThan != nil }) {
            sql.appendLiteral("""
                , ok AS (SELECT * FROM s WHERE s.later_than IS NULL OR NOT EXISTS (
                SELECT 1 FROM messages WHERE session_id = s.id AND external_order > s.later_than AND NOT retracted))
                """)
        } else {
            sql.appendLiteral(", ok AS (SELECT * FROM s)")
        }
        if !messages.id.isEmpty {
            sql.appendLiteral(", m AS (INSERT INTO messages \(PostgresSessionStore.messageColumns) SELECT v.*, FALSE FROM unnest(")
            sql.appendList(messages.columns)
            sql.appendLiteral(") AS v (\(MessageColumns.names)) WHERE v.session_id IN (SELECT id FROM ok))")
        }
        if !jobs.job.isEmpty {
            sql.appendLiteral("""
                , o AS (INSERT INTO outbox (session_id, job, kind, attempts, created_at, next_attempt_at, trace) \
                SELECT v.session_id, v.job, v.kind, 0, v.at, v.at, v.trace FROM unnest(
                """)
            sql.appendList(jobs.columns)
            sql.appendLiteral(") WITH ORDINALITY AS v (\(JobColumns.names), i) WHERE v.session_id IN (SELECT id FROM ok) ORDER BY v.i)")
        }
        sql.appendLiteral("""
            , u AS (UPDATE sessions SET state = ok.state, handover_phase = ok.handover_phase, last_message_id = ok.last_message_id, \
            updated_at = ok.updated_at, wake_at = ok.wake_at, rate_tokens = ok.rate_tokens, rate_at = ok.rate_at \
            FROM ok WHERE sessions.id = ok.id RETURNING ok.n)
            """)
        notifications.appendSelect(ifWritten: "b.s IN (SELECT id FROM ok)", to: &sql)
        return PostgresQuery(stringInterpolation: sql)
    }
}

/// The saves' session rows, a column each (see ``PendingSave/together(_:)``), named in `s` by `names`.
private struct SessionColumns {
    var position: [Int64] = [], id: [String] = [], unlessLaterThan: [Int64?] = [], state: [String] = []
    var handoverPhase: [String?] = [], lastMessageID: [Int64] = [], updatedAt: [Int64] = [], wakeAt: [Int64?] = []
    var rateTokens: [Double?] = [], rateAt: [Int64?] = []

    static let names = "n, id, later_than, state, handover_phase, last_message_id, updated_at, wake_at, rate_tokens, rate_at"
    var columns: [any PostgresDynamicTypeEncodable] {
        [position, id, NullableArray(unlessLaterThan), state, NullableArray(handoverPhase), lastMessageID, updatedAt, NullableArray(wakeAt),
         NullableArray(rateTokens), NullableArray(rateAt)]
    }

    mutating func append(_ save: PendingSave, position: Int64) {
        let step = save.step
        self.position.append(position)
        id.append(step.sessionID.rawValue)
        unlessLaterThan.append(save.unlessLaterThan)
        state.append(step.stateText)
        handoverPhase.append(step.update.state.handover?.phase.rawValue)
        lastMessageID.append(step.lastMessageID)
        updatedAt.append(step.now.millis)
        wakeAt.append(step.update.state.wakeAt?.millis)
        rateTokens.append(step.update.rateBucket?.tokens)
        rateAt.append(step.update.rateBucket?.at.millis)
    }
}

/// The saves' new messages, a column each, in `PostgresSessionStore.messageColumns`' order but for `retracted`.
private struct MessageColumns {
    var sessionID: [String] = [], id: [Int64] = [], sender: [String] = [], content: [String] = [], createdAt: [Int64] = []
    var clientMessageID: [String?] = [], agentName: [String?] = [], externalID: [String?] = [], externalOrder: [Int64?] = []
    var movedFrom: [Int64?] = []

    static let names = "session_id, id, sender, content, created_at, client_message_id, agent_name, external_id, external_order, moved_from"
    var columns: [any PostgresDynamicTypeEncodable] {
        [sessionID, id, sender, content, createdAt, NullableArray(clientMessageID), NullableArray(agentName), NullableArray(externalID),
         NullableArray(externalOrder), NullableArray(movedFrom)]
    }

    mutating func append(_ message: Message) {
        sessionID.append(message.sessionID.rawValue)
        id.append(message.id)
        sender.append(message.sender.rawValue)
        content.append(message.content.storageText)
        createdAt.append(message.createdAt.millis)
        clientMessageID.append(message.clientMessageID)
        agentName.append(message.agentName)
        externalID.append(message.externalID)
        externalOrder.append(message.externalOrder)
        movedFrom.append(message.movedFrom)
    }
}

/// The saves' outbox jobs, a column each, in the order they are to run.
private struct JobColumns {
    var sessionID: [String] = [], job: [String] = [], kind: [String] = [], at: [Int64] = [], trace: [String?] = []

    static let names = "session_id, job, kind, at, trace"
    var columns: [any PostgresDynamicTypeEncodable] { [sessionID, job, kind, at, NullableArray(trace)] }

    mutating func append(_ job: OutboxJob, of step: PostgresSessionStore.StepWrite) throws {
        sessionID.append(step.sessionID.rawValue)
        self.job.append(try Rows.encode(job))
        kind.append(job.kind)
        at.append(step.now.millis)
        trace.append(step.update.trace)
    }
}

extension PostgresQuery.StringInterpolation {
    /// `values` as bind parameters, separated by commas.
    mutating func appendList(_ values: [any PostgresDynamicTypeEncodable]) {
        for (index, value) in values.enumerated() {
            if index > 0 { appendLiteral(", ") }
            appendInterpolation(value)
        }
    }
}
