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

    /// What makes a session idle, beside its time: no handover in progress, no work waiting in the outbox, and no
    /// timer (timers run only during a handover today; checked all the same, so none ever wakes a deleted session).
    /// `?` is the time before which it was last written.
    static let idleCondition = """
        updated_at < ? AND wake_at IS NULL AND (handover_phase IS NULL OR handover_phase NOT IN ('opening', 'active'))
        AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.session_id = sessions.id AND dead_at IS NULL)
        """

    /// Arguments: the time, the limit.
    static let idleSessionsSQL = "SELECT id FROM sessions WHERE \(idleCondition) LIMIT ?"

    /// The session's messages, files, links and jobs go with it (`ON DELETE CASCADE`). Arguments: the id, the time.
    static let deleteIdleSessionSQL = "DELETE FROM sessions WHERE id = ? AND \(idleCondition)"
}
