public import BatonCore
public import Foundation
import GRDB

extension SQLiteSessionStore {
    /// Finds the candidates on a reader, so the scan (sessions have no index by time: every write sets `updated_at`,
    /// and an index on it would cost every relayed reply a page) never holds up the writer; then deletes them on the
    /// writer, each only if it still qualifies.
    public func deleteIdleSessions(before: Date, limit: Int) async throws -> [SessionID] {
        let candidates = try await writer.read { db in
            try String.fetchAll(db.cachedStatement(sql: Self.idleSessionsSQL), arguments: [before.millis, max(0, limit)])
        }
        guard !candidates.isEmpty else { return [] }
        let deleted = try await write { db in
            try candidates.filter { id in
                try db.cachedStatement(sql: Self.deleteIdleSessionSQL).execute(arguments: [id, before.millis])
                return db.changesCount > 0
            }
        }.map(SessionID.init(rawValue:))
        forgetDeleted(deleted)
        return deleted
    }

    /// Finds a page of sessions and the span of ids of their old messages on a reader (messages have no index by
    /// time: one would cost every stored message a page), then deletes on the writer, a span of ids at a time, so
    /// the writer is never held for long by a session with years of messages.
    public func deleteOldMessages(before: Date, after: SessionID?, limit: Int) async throws -> OldMessagesDeletion {
        let limit = max(1, limit)
        let page = try await writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: Self.sessionsWithOldContentSQL), arguments: [after?.rawValue ?? "", before.millis, limit, before.millis, before.millis]
            ).map { row in OldContent(sessionID: row[0], firstMessage: row[1], lastMessage: row[2], hasFiles: row[3]) }
        }
        // A short page is the last: there is no session after it to look at.
        var deleted = OldMessagesDeletion(messages: 0, files: 0, lastSessionID: page.count < limit ? nil : page.last.map { SessionID(rawValue: $0.sessionID) })
        for content in page {
            if let first = content.firstMessage, let last = content.lastMessage {
                for from in stride(from: first, through: last, by: Self.messageSpan) {
                    deleted.messages += try await write { db in
                        try db.cachedStatement(sql: Self.deleteOldMessagesSQL).execute(
                            arguments: [content.sessionID, from, min(from + Int64(Self.messageSpan) - 1, last), before.millis, content.sessionID])
                        return db.changesCount
                    }
                }
            }
            if content.hasFiles {
                deleted.files += try await write { db in
                    try db.cachedStatement(sql: Self.deleteOldFilesSQL).execute(arguments: [content.sessionID, before.millis, content.sessionID])
                    return db.changesCount
                }
            }
        }
        return deleted
    }

    /// A session of a page `deleteOldMessages` read: the first and last ids of its messages older than the time,
    /// and whether it has files as old (none of either when it has something in progress).
    struct OldContent: Sendable {
        var sessionID: String
        var firstMessage: Int64?
        var lastMessage: Int64?
        var hasFiles: Bool
    }

    /// How many message ids one write of `deleteOldMessages` spans.
    static let messageSpan = 500

    /// Arguments: the session after which to look, the time, the limit, the time twice more. Sessions created
    /// since have nothing as old; those with something in progress are passed over (and looked at next sweep), but
    /// are rows of the page all the same, so its last row is the cursor.
    static let sessionsWithOldContentSQL = """
        WITH page AS (SELECT id, \(nothingInProgress) AS idle FROM sessions WHERE id > ? AND created_at < ? ORDER BY id LIMIT ?)
        SELECT page.id, MIN(messages.id), MAX(messages.id),
            page.idle AND EXISTS (SELECT 1 FROM files WHERE files.session_id = page.id AND files.created_at < ?)
        FROM page LEFT JOIN messages ON page.idle AND messages.session_id = page.id AND messages.created_at < ?
        GROUP BY page.id, page.idle ORDER BY page.id
        """

    /// Arguments: the session, the first and last id of the span, the time, the session again.
    static let deleteOldMessagesSQL = """
        DELETE FROM messages WHERE session_id = ? AND id BETWEEN ? AND ? AND created_at < ?
        AND EXISTS (SELECT 1 FROM sessions WHERE id = ? AND \(nothingInProgress))
        """

    /// Arguments: the session, the time, the session again.
    static let deleteOldFilesSQL = """
        DELETE FROM files WHERE session_id = ? AND created_at < ?
        AND EXISTS (SELECT 1 FROM sessions WHERE id = ? AND \(nothingInProgress))
        """

    public func deleteSession(id: SessionID) async throws -> SessionDeletion {
        let deletion: SessionDeletion = try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT handover_phase FROM sessions WHERE id = ?", arguments: [id.rawValue]) else {
                return .notFound
            }
            let phase: String? = row[0]
            if let phase, Self.phasesInProgress.contains(phase) { return .handoverInProgress }
            try db.execute(sql: "DELETE FROM sessions WHERE id = ?", arguments: [id.rawValue])
            return .deleted
        }
        if deletion == .deleted { forgetDeleted([id]) }
        return deletion
    }

    /// Drops what this process keeps in memory of deleted sessions.
    func forgetDeleted(_ ids: [SessionID]) {
        guard !ids.isEmpty else { return }
        states.forget(ids)
        links.forget(ids)
    }

    /// The phases of a handover in progress: its session is kept.
    static let phasesInProgress: Set<String> = [HandoverState.Phase.opening.rawValue, HandoverState.Phase.active.rawValue]

    /// A session with nothing in progress: no handover opening or active, no work waiting in the outbox, and no timer
    /// (timers run only during a handover today; checked all the same, so none ever wakes a deleted session).
    static let nothingInProgress = """
        wake_at IS NULL AND (handover_phase IS NULL OR handover_phase NOT IN ('opening', 'active'))
        AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.session_id = sessions.id AND dead_at IS NULL)
        """

    /// What makes a session idle: nothing in progress, and not written since `?`.
    static let idleCondition = "updated_at < ? AND \(nothingInProgress)"

    /// Arguments: the time, the limit.
    static let idleSessionsSQL = "SELECT id FROM sessions WHERE \(idleCondition) LIMIT ?"

    /// The session's messages, files, links and jobs go with it (`ON DELETE CASCADE`). Arguments: the id, the time.
    static let deleteIdleSessionSQL = "DELETE FROM sessions WHERE id = ? AND \(idleCondition)"
}
