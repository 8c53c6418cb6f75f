public import BatonCore
public import Foundation
import GRDB

/// The embedded default store: one SQLite file in WAL mode (one writer, concurrent readers), through GRDB.
///
/// Each `SessionStore` write runs in a transaction it may share with the writes that arrived with it
/// (``GroupCommit``), answered once that transaction committed, and undone alone when it throws. `update` runs the
/// caller's closure inside it, so two updates of a session can never interleave and a turn is saved whole or not at all.
public final class SQLiteSessionStore: SessionStore {
    let writer: any DatabaseWriter
    /// Makes callers of `setting(_:replacing:orMake:)` for one key of one database file take turns. The file
    /// belongs to this process, so a lock here is enough; keyed by file too, so unrelated databases never wait
    /// on each other.
    static let settingLocks = KeyedLock()
    /// Decoded session states by the exact text they were decoded from (see ``StateCache``).
    let states = StateCache()
    /// Provider conversations' sessions, looked up on every webhook.
    let links = ConversationLinks()
    let checkpointer: WALCheckpointer
    /// Where every write goes: writes that arrive together share a transaction.
    let commits: GroupCommit

    /// The page size of a database this store makes: 2 KB, half SQLite's default. The log takes every page a commit
    /// changed whole, and a relayed reply changes a few rows and index entries on four or five pages, so half-size pages
    /// cut the bytes that reach the disk by about a third (37 % in the bench), which is what the relay's tail follows on
    /// a slow disk (BENCHMARKS.md, "2 KB pages for new databases"). A row longer than about a page (a very long message
    /// or state) goes on in overflow pages. An existing file keeps the size it was made with (docs/operations.md says
    /// how to rebuild one).
    static let pageSize = 2_048

    /// Opens (and creates) the database file at `path`, creating its folder too.
    ///
    /// - Parameter syncsEachCommit: whether each commit is flushed to the disk before its writes are answered
    ///   (`synchronous = FULL`), so that a power cut or an operating system crash loses nothing answered. Without
    ///   (`NORMAL`, the default) a crash or kill of the process loses nothing; a power cut may lose the commits not
    ///   yet flushed (the log is flushed at each checkpoint, and by the operating system's writeback). What flushing
    ///   each commit costs: BENCHMARKS.md, "The relay's tail at 1,000 msg/s, and the log's checkpoints".
    public init(path: String, syncsEachCommit: Bool = false) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        // A busy writer makes others wait instead of failing at once; 5 s is far above any turn's write time.
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // Takes only on a file not yet written: a database made by an earlier Baton keeps its pages.
            try db.execute(sql: "PRAGMA page_size = \(Self.pageSize)")
            // Checkpoints run on a connection of their own (see WALCheckpointer), not inside a request's commit.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            // The log starts over after each checkpoint cycle and stays a few megabytes (see WALCheckpointer); if a
            // long read held it back and it grew, its file is cut back to this when it starts over.
            try db.execute(sql: "PRAGMA journal_size_limit = \(64 << 20)")
        }
        writer = try DatabasePool(path: path, configuration: configuration)
        // Set on the writer once the pool is open: opening it sets its writer to NORMAL after `prepareDatabase`.
        // The readers never commit.
        try writer.writeWithoutTransaction { db in
            try db.execute(sql: syncsEachCommit ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
        }
        let checkpointer = try WALCheckpointer(path: path)
        self.checkpointer = checkpointer
        commits = GroupCommit(writer: writer) { checkpointer.didCommit(writes: $0, writer: $1) }
    }

    /// One write, in a savepoint of the next transaction; every write of the store goes through here, so writes
    /// share commits and the log is checkpointed in time.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await commits.write(body)
    }

    public func migrate() async throws {
        try Self.migrator.migrate(writer)
        // One process owns a SQLite file, so leases left by an earlier process (killed mid-job) are void: its jobs
        // may run again at once instead of after their lease.
        try await write { db in try db.execute(sql: "UPDATE outbox SET leased_until = NULL WHERE leased_until IS NOT NULL") }
    }

    public func ping() async throws {
        _ = try await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func findOrCreateSession(
        endpointID: String, userID: String, channel: Channel, initialState: ConversationState, now: Date,
        makeID: @Sendable () -> SessionID
    ) async throws -> (session: Session, created: Bool) {
        let stateJSON = initialState.storageText
        // Made here, not in the write, which runs later on the writer's queue; unused when the session exists.
        let newID = makeID()
        return try await write { db in
            if let stored = try db.cachedStatement(sql: Self.selectSessionOfUser).first([endpointID, userID], self.storedSession(from:)) {
                return (stored.session, false)
            }
            let session = Session(id: newID, endpointID: endpointID, userID: userID, channel: channel, state: initialState, createdAt: now, updatedAt: now)
            try db.execute(
                sql: """
                    INSERT INTO sessions (id, endpoint_id, user_id, channel, state, handover_phase, last_message_id, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)
                    """,
                arguments: [
                    session.id.rawValue, endpointID, userID, channel.rawValue, stateJSON, initialState.handover?.phase.rawValue, now.millis, now.millis,
                ])
            return (session, true)
        }
    }

    public func session(id: SessionID) async throws -> Session? {
        let session = try await writer.read { db in
            try db.cachedStatement(sql: Self.selectSession).first([id.rawValue], self.storedSession(from:))?.session
        }
        // Deleted (by this store, or by another opened on the same file): a conversation link kept here may name it.
        if session == nil { forgetDeleted([id]) }
        return session
    }

    public func session(endpointID: String, userID: String) async throws -> Session? {
        try await writer.read { db in
            try db.cachedStatement(sql: Self.selectSessionOfUser).first([endpointID, userID], self.storedSession(from:))?.session
        }
    }

    public func update<T: Sendable>(
        sessionID: SessionID, now: Date, retracting: String?, committed: (@Sendable ((result: T, messages: [Message])) -> Void)?,
        _ body: @escaping @Sendable (inout SessionUpdate) throws -> T
    ) async throws -> (result: T, messages: [Message]) {
        try await commits.write(committed: committed) { db in
            guard let current = try db.cachedStatement(sql: Self.selectSession).first([sessionID.rawValue], self.storedSession(from:)) else {
                self.forgetDeleted([sessionID])
                throw SessionStoreError.sessionNotFound(sessionID)
            }
            let session = current.session
            let retracted = try retracting.flatMap { try Self.retract(externalID: $0, in: sessionID, db) }
            var update = SessionUpdate(session: session, rateBucket: current.rateBucket, retracted: retracted)
            let result = try body(&update)
            // Only a reply that came out of the provider's order has stored replies after it to look up.
            let highestOrder = current.highestExternalOrder
            var later: [Int64: [Message]] = [:]
            for order in Set(update.drafts.compactMap(\.externalOrder)) where order < highestOrder ?? .min {
                later[order] = try db.cachedStatement(sql: Self.laterRepliesSQL).all([sessionID.rawValue, order, sessionID.rawValue, order], Self.message(from:))
            }
            let placement = MessagePlacement.plan(update.drafts, in: sessionID, after: session.lastMessageID, later: later)
            for write in placement.writes {
                if case .move(let original, let copy) = write {
                    try db.execute(
                        sql: "UPDATE messages SET retracted = 1, moved_to = ?, external_id = NULL WHERE session_id = ? AND id = ?",
                        arguments: [copy.id, sessionID.rawValue, original.id])
                }
                try Self.insert(write.stored, db)
            }
            let stored = placement.writes.map(\.stored)
            update.placed(through: placement.lastMessageID, movedCopies: placement.writes.filter(\.isMove).map(\.stored.id))
            for job in update.jobs {
                try db.cachedStatement(sql: "INSERT INTO outbox (session_id, job, kind, attempts, created_at, next_attempt_at, trace) VALUES (?, ?, ?, 0, ?, ?, ?)")
                    .execute(arguments: [sessionID.rawValue, try Self.encode(job), job.kind, now.millis, now.millis, update.trace])
            }
            // Most turns change the state; those that do not (an agent's reply while the handover is behind) keep its text.
            let stateText: String = update.state == session.state ? current.stateText : update.state.storageText
            // `wake_at` mirrors the state's handover timers, so the timer worker finds due sessions by an index;
            // `handover_phase` and `highest_external_order`, see the v10 migration.
            let highestAfter = ([highestOrder] + update.drafts.map(\.externalOrder)).compactMap { $0 }.max()
            let phase = update.state.handover?.phase.rawValue
            let wakeAt = update.state.wakeAt?.millis
            try db.cachedStatement(sql: Self.updateSessionSQL(phase: phase != current.handoverPhase, wakeAt: wakeAt != current.wakeAt)).execute(arguments: [
                stateText, placement.lastMessageID, now.millis, update.rateBucket?.tokens, update.rateBucket?.at.millis, highestAfter, phase, wakeAt,
                sessionID.rawValue,
            ])
            self.states.remember(update.state, text: stateText, for: sessionID)
            return (result, stored)
        }
    }

    /// Inserts a message; the unique indexes turn a repeated client or external id into the `SessionStoreError`
    /// callers expect (no look-up first: the index answers in the same statement).
    static func insert(_ message: Message, _ db: Database) throws {
        do {
            try insertRow(message, db)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            let detail = error.message ?? ""
            if let clientID = message.clientMessageID, detail.contains("client_message_id") {
                throw SessionStoreError.duplicateClientMessage(message.sessionID, clientID)
            }
            if let externalID = message.externalID, detail.contains("external_id") {
                throw SessionStoreError.duplicateExternalMessage(message.sessionID, externalID)
            }
            throw error
        }
    }

    static func insertRow(_ message: Message, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO messages (session_id, id, sender, content, created_at, client_message_id, agent_name, external_id, external_order, moved_from, retracted)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
                """
        ).execute(
            arguments: [
                message.sessionID.rawValue, message.id, message.sender.rawValue, message.content.storageText, message.createdAt.millis,
                message.clientMessageID, message.agentName, message.externalID, message.externalOrder, message.movedFrom,
            ])
    }

    public func messages(sessionID: SessionID, after: Int64, limit: Int) async throws -> [Message] {
        try await writer.read { db in
            try db.cachedStatement(sql: "SELECT \(Self.messageColumns) FROM messages WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?")
                .all([sessionID.rawValue, after, max(0, limit)], Self.message(from:))
        }
    }

    public func retractedMessages(sessionID: SessionID, after: Int64, through: Int64, limit: Int) async throws -> [Message] {
        try await writer.read { db in
            try db.cachedStatement(sql: Self.retractedMessagesSQL).all([sessionID.rawValue, after, through, max(0, limit)], Self.message(from:))
        }
    }

    public func message(sessionID: SessionID, clientMessageID: String) async throws -> Message? {
        try await writer.read { db in
            try db.cachedStatement(sql: "SELECT \(Self.messageColumns) FROM messages WHERE session_id = ? AND client_message_id = ?")
                .first([sessionID.rawValue, clientMessageID], Self.message(from:))
        }
    }

    /// Marks the session's live message with `externalID` retracted; nil when there is none.
    static func retract(externalID: String, in sessionID: SessionID, _ db: Database) throws -> Message? {
        try db.cachedStatement(sql: "UPDATE messages SET retracted = 1 WHERE session_id = ? AND external_id = ? AND retracted = 0")
            .execute(arguments: [sessionID.rawValue, externalID])
        guard db.changesCount > 0 else { return nil }
        return try db.cachedStatement(sql: "SELECT \(Self.messageColumns) FROM messages WHERE session_id = ? AND external_id = ?")
            .first([sessionID.rawValue, externalID], Self.message(from:))
    }

    public func link(endpointID: String, conversationKey: String, to sessionID: SessionID) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO handover_links (endpoint_id, conversation_key, session_id) VALUES (?, ?, ?)
                    ON CONFLICT (endpoint_id, conversation_key) DO UPDATE SET session_id = excluded.session_id
                    """,
                arguments: [endpointID, conversationKey, sessionID.rawValue])
        }
        links.remember(sessionID, endpointID: endpointID, conversationKey: conversationKey)
    }

    public func sessionID(endpointID: String, conversationKey: String) async throws -> SessionID? {
        if let known = links.session(endpointID: endpointID, conversationKey: conversationKey) { return known }
        let found = try await writer.read { db in
            try String.fetchOne(
                db.cachedStatement(sql: "SELECT session_id FROM handover_links WHERE endpoint_id = ? AND conversation_key = ?"),
                arguments: [endpointID, conversationKey]
            ).map(SessionID.init(rawValue:))
        }
        if let found { links.remember(found, endpointID: endpointID, conversationKey: conversationKey) }
        return found
    }

    public func setting(_ key: String) async throws -> String? {
        try await writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key]) }
    }

    public func setSetting(_ key: String, to value: String?) async throws {
        try await write { db in
            if let value {
                try db.execute(
                    sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", arguments: [key, value])
            } else {
                try db.execute(sql: "DELETE FROM settings WHERE key = ?", arguments: [key])
            }
        }
    }

    /// A SQLite file belongs to one process, so a lock in this process is all it takes to make callers take turns.
    public func setting(_ key: String, replacing stale: String?, orMake make: @Sendable () async throws -> String) async throws -> String {
        let lockKey = writer.path + "\n" + key
        return try await Self.settingLocks.holding(lockKey) {
            if let current = try await self.setting(key), current != stale { return current }
            let value = try await make()
            try await self.setSetting(key, to: value)
            return value
        }
    }

    // MARK: Statements (rows: SQLiteSessionStore+Rows.swift)

    /// The update of a session's row after a turn, setting `handover_phase` and `wake_at` only when asked. Both are
    /// the columns of partial indexes, and SQLite rewrites a row's index entry whenever the statement sets its column,
    /// to the same value too: the active handovers' index then cost a page of the log on every agent reply, one page
    /// in five of what a reply writes. Arguments, numbered so that every variant takes the same nine: state, last
    /// message id, updated at, rate tokens, rate at, highest provider order, phase, wake-up time, the session's id.
    static func updateSessionSQL(phase: Bool, wakeAt: Bool) -> String {
        updateSessionStatements[(phase ? 2 : 0) + (wakeAt ? 1 : 0)]
    }

    /// The four statements of ``updateSessionSQL(phase:wakeAt:)``, made once (each is a cached statement of its own).
    private static let updateSessionStatements: [String] = [false, true].flatMap { phase in
        [false, true].map { wakeAt in
            "UPDATE sessions SET state = ?1, last_message_id = ?2, updated_at = ?3, rate_tokens = ?4, rate_at = ?5, highest_external_order = ?6"
                + (phase ? ", handover_phase = ?7" : "") + (wakeAt ? ", wake_at = ?8" : "") + " WHERE id = ?9"
        }
    }

    /// ``retractedMessages(sessionID:after:through:limit:)``, through the index of retracted messages (v11), whose
    /// condition it repeats as written (SQLite uses a partial index only then). Arguments: session, after, through,
    /// limit.
    static let retractedMessagesSQL =
        "SELECT \(messageColumns) FROM messages WHERE session_id = ? AND retracted = 1 AND id > ? AND id <= ? ORDER BY id LIMIT ?"

    /// The session's live messages whose provider order is after the given one, by id: those after the newest live
    /// message whose order is not. Every placement keeps live messages with a provider order in that order by id
    /// (`MessagePlacement` moves the later ones behind a late reply), so the session's key reads back from its end
    /// only as far as that message, not through the whole conversation. Arguments: session, order, session, order.
    static let laterRepliesSQL = """
        SELECT \(messageColumns) FROM messages WHERE session_id = ? AND external_order > ? AND retracted = 0 AND id > COALESCE((
            SELECT id FROM messages WHERE session_id = ? AND external_order <= ? AND retracted = 0 ORDER BY id DESC LIMIT 1), 0)
        ORDER BY id
        """
}

extension Date {
    /// Milliseconds since 1970: what both engines store, so times compare equal across them.
    var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}
