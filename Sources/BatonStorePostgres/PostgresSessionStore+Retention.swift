public import BatonCore
public import Foundation
import PostgresNIO

extension PostgresSessionStore {
    /// Finds the candidates with a plain read (sessions have no index by time: every write sets `updated_at`, and an
    /// index on it would cost every relayed reply an index entry), then deletes those that still qualify. The delete
    /// locks its rows `SKIP LOCKED`: a session a write holds now is being written, so not idle, and waiting for it
    /// while holding others could deadlock with a group commit that holds several sessions in another order. Rows
    /// written since the read are checked again by PostgreSQL as it locks them.
    public func deleteIdleSessions(before: Date, limit: Int) async throws -> [SessionID] {
        let candidates = try await read(
            """
            SELECT id FROM sessions WHERE updated_at < \(before.millis) AND wake_at IS NULL
            AND (handover_phase IS NULL OR handover_phase NOT IN ('opening', 'active'))
            AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.session_id = sessions.id AND dead_at IS NULL)
            LIMIT \(max(0, limit))
            """
        ).map { try $0["id"].decode(String.self) }
        guard !candidates.isEmpty else { return [] }
        let deleted = try await rows(
            """
            DELETE FROM sessions WHERE id IN (
                SELECT id FROM sessions WHERE id = ANY(\(candidates)) AND updated_at < \(before.millis) AND wake_at IS NULL
                AND (handover_phase IS NULL OR handover_phase NOT IN ('opening', 'active'))
                AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.session_id = sessions.id AND dead_at IS NULL)
                FOR UPDATE SKIP LOCKED)
            RETURNING id
            """
        ).map { SessionID(rawValue: try $0["id"].decode(String.self)) }
        forgetDeleted(deleted)
        return deleted
    }

    public func deleteSession(id: SessionID) async throws -> SessionDeletion {
        let deleted = try await rows(
            """
            DELETE FROM sessions WHERE id = \(id.rawValue) AND (handover_phase IS NULL OR handover_phase NOT IN ('opening', 'active'))
            RETURNING id
            """)
        if !deleted.isEmpty {
            forgetDeleted([id])
            return .deleted
        }
        return try await read("SELECT 1 FROM sessions WHERE id = \(id.rawValue)").isEmpty ? .notFound : .handoverInProgress
    }

    /// Drops what this instance keeps in memory of deleted sessions. Other instances learn of a deletion when they
    /// read a session that is gone (see `session(id:)`).
    func forgetDeleted(_ ids: [SessionID]) {
        guard !ids.isEmpty else { return }
        states.forget(ids)
        links.forget(ids)
    }
}
