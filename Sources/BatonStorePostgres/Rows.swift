import BatonCore
import Foundation
import PostgresNIO

/// Rows to domain values and back. JSON values (state, message content, outbox jobs) are stored as JSON *text*:
/// `jsonb` refuses the `\u0000` escape, and a user may well type a NUL character into a message or an answer.
enum Rows {
    static func rateBucket(from row: PostgresRandomAccessRow) throws -> RateBucket? {
        guard let tokens = try row["rate_tokens"].decode(Double?.self), let at = try row["rate_at"].decode(Int64?.self) else { return nil }
        return RateBucket(tokens: tokens, at: Date(millis: at))
    }

    /// The session of `row`, its state decoded unless `states` knows its text.
    static func session(from row: PostgresRandomAccessRow, states: StateCache) throws -> Session {
        let id = SessionID(rawValue: try row["id"].decode(String.self))
        return Session(
            id: id, endpointID: try row["endpoint_id"].decode(String.self),
            userID: try row["user_id"].decode(String.self), channel: BatonCore.Channel(rawValue: try row["channel"].decode(String.self)) ?? .webchat,
            state: try states.state(for: id, text: try row["state"].decode(String.self)), lastMessageID: try row["last_message_id"].decode(Int64.self),
            createdAt: Date(millis: try row["created_at"].decode(Int64.self)), updatedAt: Date(millis: try row["updated_at"].decode(Int64.self)))
    }

    static func message(from row: PostgresRandomAccessRow) throws -> Message {
        let draft = MessageDraft(
            sender: Sender(rawValue: try row["sender"].decode(String.self)) ?? .system,
            content: try MessageContent(storageText: try row["content"].decode(String.self)), createdAt: Date(millis: try row["created_at"].decode(Int64.self)),
            clientMessageID: try row["client_message_id"].decode(String?.self), agentName: try row["agent_name"].decode(String?.self),
            externalID: try row["external_id"].decode(String?.self), externalOrder: try row["external_order"].decode(Int64?.self))
        return Message(
            id: try row["id"].decode(Int64.self), sessionID: SessionID(rawValue: try row["session_id"].decode(String.self)), draft: draft,
            retracted: try row["retracted"].decode(Bool.self), movedTo: try row["moved_to"].decode(Int64?.self),
            movedFrom: try row["moved_from"].decode(Int64?.self))
    }

    static func outboxItem(from row: PostgresRandomAccessRow) throws -> OutboxItem {
        OutboxItem(
            id: try row["id"].decode(Int64.self), sessionID: SessionID(rawValue: try row["session_id"].decode(String.self)),
            job: try decode(OutboxJob.self, try row["job"].decode(String.self)), attempts: Int(try row["attempts"].decode(Int64.self)),
            createdAt: Date(millis: try row["created_at"].decode(Int64.self)), nextAttemptAt: Date(millis: try row["next_attempt_at"].decode(Int64.self)),
            lastError: try row["last_error"].decode(String?.self), deadAt: try row["dead_at"].decode(Int64?.self).map(Date.init(millis:)),
            trace: try row["trace"].decode(String?.self))
    }

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

extension PSQLError {
    /// Whether the server refused a row because it would repeat a key of the unique index `constraint`.
    func isUniqueViolation(of constraint: String) -> Bool {
        code == .server && serverInfo?[.sqlState] == "23505" && serverInfo?[.constraintName] == constraint
    }
}

extension Date {
    /// Milliseconds since 1970, as the SQLite store keeps them, so times compare equal across engines.
    var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}
