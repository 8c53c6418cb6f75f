import BatonCore
import Foundation
import PostgresNIO

/// How a step's writes reach PostgreSQL: its new messages, its outbox jobs and the session's row as a ``PendingSave``,
/// which the group commit writes in one statement with the other saves of its transaction; the messages that must
/// go alone, and the duplicates' errors.
extension PostgresSessionStore {
    /// What `update` writes: the change, its messages as placed, and the session's newest id once they are.
    struct StepWrite: Sendable {
        let update: SessionUpdate
        var messages: [Message]
        let lastMessageID: Int64
        let now: Date
        /// The state as saved, encoded once.
        let stateText: String

        init(update: SessionUpdate, messages: [Message], lastMessageID: Int64, now: Date) {
            self.update = update
            self.messages = messages
            self.lastMessageID = lastMessageID
            self.now = now
            stateText = update.state.storageText
        }

        var sessionID: SessionID { update.session.id }
    }

    /// `update`'s write, its state's text remembered as that state, so that the session's next transaction, here,
    /// finds it in ``states`` instead of decoding the row it locks. (Should the write not be saved after all, the
    /// row keeps another text, which is decoded.)
    func stepWrite(_ update: SessionUpdate, messages: [Message], lastMessageID: Int64, now: Date) -> StepWrite {
        let step = StepWrite(update: update, messages: messages, lastMessageID: lastMessageID, now: now)
        states.remember(update.state, text: step.stateText, for: update.session.id)
        return step
    }

    /// What `update` saves of `step`: everything, in one statement with the other saves of its transaction. A
    /// repeated client or external id is reported for the message that carries it, so messages go in that statement
    /// only while at most one of them brings such an id of its own (an agent's reply, a user's message); otherwise
    /// each is inserted alone first (the rare step of several such drafts).
    func saving(_ step: StepWrite, on connection: PostgresConnection) async throws -> PendingSave {
        guard !Self.fitsOneStatement(step.messages) else { return PendingSave(step: step, unlessLaterThan: nil) }
        for message in step.messages { try await insert(message, on: connection) }
        var rest = step
        rest.messages = []
        return PendingSave(step: rest, unlessLaterThan: nil)
    }

    /// Whether `messages` can go in one statement (see ``saving(_:on:)``).
    static func fitsOneStatement(_ messages: [Message]) -> Bool {
        messages.count(where: \.bringsItsOwnID) <= 1
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

extension Message {
    /// Whether the message brings a client or external id that a repeated delivery would repeat. A moved reply's
    /// copy does not: it takes its original's external id, which the move has just taken off the original.
    var bringsItsOwnID: Bool {
        movedFrom == nil && (clientMessageID != nil || externalID != nil)
    }
}
