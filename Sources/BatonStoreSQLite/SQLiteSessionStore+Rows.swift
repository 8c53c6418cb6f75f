import BatonCore
import Foundation
import GRDB

/// Sessions' and messages' rows, read by position straight from their statement.
///
/// GRDB's `Row.fetchOne` and `fetchAll` copy every row they return, and a copied row finds a column by name by
/// lowercasing each of its column names in turn: reading a session's row by name cost about a hundred lowercased
/// strings, on every write. Even a row GRDB does not copy lowercases its statement's column names into a dictionary
/// when it is made, once per read. The statements here name their columns, and each row is decoded by position from
/// SQLite's own columns (``Columns``) while the statement stands on it.
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

    func storedSession(from row: Columns) throws -> StoredSession {
        let id = SessionID(rawValue: try row[0])
        let stateText: String = try row[4]
        let session = Session(
            id: id, endpointID: try row[1], userID: try row[2], channel: Channel(rawValue: try row[3]) ?? .webchat,
            state: try states.state(for: id, text: stateText), lastMessageID: try row[5], createdAt: Date(millis: try row[6]),
            updatedAt: Date(millis: try row[7]))
        var rateBucket: RateBucket?
        if let tokens = try row[8] as Double?, let at = try row[9] as Int64? { rateBucket = RateBucket(tokens: tokens, at: Date(millis: at)) }
        return StoredSession(
            session: session, stateText: stateText, rateBucket: rateBucket, highestExternalOrder: try row[10], handoverPhase: try row[11],
            wakeAt: try row[12])
    }

    /// A message's columns, in the order ``message(from:)`` reads them.
    static let messageColumns =
        "session_id, id, sender, content, created_at, client_message_id, agent_name, external_id, external_order, retracted, moved_to, moved_from"

    static func message(from row: Columns) throws -> Message {
        let draft = MessageDraft(
            sender: Sender(rawValue: try row[2]) ?? .system, content: try MessageContent(storageText: try row[3]),
            createdAt: Date(millis: try row[4]), clientMessageID: try row[5], agentName: try row[6], externalID: try row[7],
            externalOrder: try row[8])
        return Message(
            id: try row[1], sessionID: SessionID(rawValue: try row[0]), draft: draft, retracted: try row[9], movedTo: try row[10],
            movedFrom: try row[11])
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

/// The columns of the row a statement stands on, read by position straight from SQLite.
struct Columns {
    let statement: SQLiteStatement

    /// Column `index` as `T`; an optional `T` reads `NULL` as `nil`, any other `T` throws for it.
    subscript<T: StatementColumnConvertible>(_ index: CInt) -> T {
        get throws {
            guard let value = T.fromStatement(statement, atUncheckedIndex: index) else {
                throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "column \(index) is not a \(T.self)")
            }
            return value
        }
    }
}

/// A statement's rows, each decoded from its ``Columns`` as the statement steps onto it (GRDB's own cursors step
/// the statement, so its checks and hooks run as for any read). Unlike GRDB's cursors it does not reset its statement
/// when it goes (GRDB offers no public reset): use it through `Statement.first` and `all`, which see to that.
final class DecodingCursor<Element>: DatabaseCursor {
    var _isDone = false
    let _statement: Statement
    private let decode: (Columns) throws -> Element

    init(_ statement: Statement, arguments: StatementArguments, decode: @escaping (Columns) throws -> Element) throws {
        _statement = statement
        self.decode = decode
        try statement.setArguments(arguments)
    }

    func _element(sqliteStatement: SQLiteStatement) throws -> Element {
        try decode(Columns(statement: sqliteStatement))
    }
}

extension Statement {
    /// The row of a statement that finds one at most (a key's), decoded in place (see ``DecodingCursor``).
    func first<T>(_ arguments: StatementArguments, _ decode: @escaping (Columns) throws -> T) throws -> T? {
        try stepped(arguments, decode: decode) { cursor in
            guard let first = try cursor.next() else { return nil }
            while try cursor.next() != nil {}
            return first
        }
    }

    /// Every row, each decoded in place.
    func all<T>(_ arguments: StatementArguments, _ decode: @escaping (Columns) throws -> T) throws -> [T] {
        try stepped(arguments, decode: decode) { cursor in try Array(cursor) }
    }

    /// Runs `body` over the statement's rows. Both bodies above step the statement to its end, so that once they
    /// return the statement holds no read of the database (a pool's reader keeps its statements: a statement left on
    /// a row would keep its read open and the log's checkpoints short of it); when reading a row fails, the statement
    /// is reset here. (GRDB's own cursors reset theirs when they go.)
    private func stepped<T, Element>(
        _ arguments: StatementArguments, decode: @escaping (Columns) throws -> Element, _ body: (DecodingCursor<Element>) throws -> T
    ) throws -> T {
        let cursor = try DecodingCursor(self, arguments: arguments, decode: decode)
        do {
            return try body(cursor)
        } catch {
            // Setting the arguments resets the statement first.
            try? setArguments(arguments)
            throw error
        }
    }
}
