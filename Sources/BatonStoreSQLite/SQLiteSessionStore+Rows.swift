import BatonCore
import Foundation
import GRDB

/// Sessions' and messages' rows, read by position from their statement's own row.
///
/// GRDB's `Row.fetchOne` and `fetchAll` copy every row they return, and a copied row finds a column by name by
/// lowercasing each of its column names in turn: reading a session's row by name cost about a hundred lowercased
/// strings, on every write. The statements here name their columns, and each row is decoded by position while it is
/// still the statement's, before the cursor moves on.
extension SQLiteSessionStore {
    /// What a write reads of a session's row.
    struct StoredSession {
        let session: Session
        /// The text `session.state` was decoded from, written back unchanged when a turn does not change the state.
        let stateText: String
        let rateBucket: RateBucket?
        /// The highest provider order of the session's messages (see the v10 migration).
        let highestExternalOrder: Int64?
        /// The row's `handover_phase` and `wake_at` as stored: an update sets each only when it changes (see
        /// ``updateSessionSQL(phase:wakeAt:)``). `wake_at` is not always the state's: a claimed wake-up leases it.
        let handoverPhase: String?
        let wakeAt: Int64?
    }

    /// A session's columns, in the order ``storedSession(from:)`` reads them.
    static let sessionColumns =
        "id, endpoint_id, user_id, channel, state, last_message_id, created_at, updated_at, rate_tokens, rate_at, highest_external_order, handover_phase, wake_at"
    static let selectSession = "SELECT \(sessionColumns) FROM sessions WHERE id = ?"
    static let selectSessionOfUser = "SELECT \(sessionColumns) FROM sessions WHERE endpoint_id = ? AND user_id = ?"

    func storedSession(from row: Row) throws -> StoredSession {
        let id = SessionID(rawValue: row[0])
        let stateText: String = row[4]
        let session = Session(
            id: id, endpointID: row[1], userID: row[2], channel: Channel(rawValue: row[3]) ?? .webchat,
            state: try states.state(for: id, text: stateText), lastMessageID: row[5], createdAt: Date(millis: row[6]),
            updatedAt: Date(millis: row[7]))
        var rateBucket: RateBucket?
        if let tokens = row[8] as Double?, let at = row[9] as Int64? { rateBucket = RateBucket(tokens: tokens, at: Date(millis: at)) }
        return StoredSession(
            session: session, stateText: stateText, rateBucket: rateBucket, highestExternalOrder: row[10], handoverPhase: row[11], wakeAt: row[12])
    }

    /// A message's columns, in the order ``message(from:)`` reads them.
    static let messageColumns =
        "session_id, id, sender, content, created_at, client_message_id, agent_name, external_id, external_order, retracted, moved_to, moved_from"

    static func message(from row: Row) throws -> Message {
        let draft = MessageDraft(
            sender: Sender(rawValue: row[2]) ?? .system, content: try MessageContent(storageText: row[3]), createdAt: Date(millis: row[4]),
            clientMessageID: row[5], agentName: row[6], externalID: row[7], externalOrder: row[8])
        return Message(id: row[1], sessionID: SessionID(rawValue: row[0]), draft: draft, retracted: row[9], movedTo: row[10], movedFrom: row[11])
    }

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try decoder.decode(type, from: Data(text.utf8))
    }

    // Both are safe to share: their settings are never changed after this.
    static let encoder = JSONEncoder()
    static let decoder = JSONDecoder()
}

extension Statement {
    /// The first row, decoded while it is the statement's own, not copied as `Row.fetchOne` would (see above).
    func first<T>(_ arguments: StatementArguments, _ decode: (Row) throws -> T) throws -> T? {
        let cursor = try Row.fetchCursor(self, arguments: arguments)
        return try withExtendedLifetime(cursor) { try cursor.next().map(decode) }
    }

    /// Every row, each decoded while it is the statement's own, not copied as `Row.fetchAll` would.
    func all<T>(_ arguments: StatementArguments, _ decode: @escaping (Row) throws -> T) throws -> [T] {
        try Array(Row.fetchCursor(self, arguments: arguments).map(decode))
    }
}
