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
            SELECT id FROM sessions WHERE updated_at < \(before.millis) AND \(unescaped: Self.nothingInProgress)
            LIMIT \(max(0, limit))
            """
        ).map { try $0["id"].decode(String.self) }
        guard !candidates.isEmpty else { return [] }
        let deleted = try await rows(
            """
            DELETE FROM sessions WHERE id IN (
                SELECT id FROM sessions WHERE id = ANY(\(candidates)) AND updated_at < \(before.millis) AND \(unescaped: Self.nothingInProgress)
                FOR UPDATE SKIP LOCKED)
            RETURNING id
            """
        ).map { SessionID(rawValue: try $0["id"].decode(String.self)) }
        forgetDeleted(deleted)
        return deleted
    }

    /// Finds a page of sessions and the span of ids of their old messages with a plain read (messages have no index
    /// by time: one would cost every stored message an index entry), then deletes a span of ids at a time. Each
    /// delete locks its session's row `SKIP LOCKED`, as `deleteIdleSessions` does, so its check that nothing is in
    /// progress holds until it is done; a session a write holds now keeps its messages until the next sweep.
    public func deleteOldMessages(before: Date, after: SessionID?, limit: Int) async throws -> OldMessagesDeletion {
        let limit = max(1, limit)
        let page = try await read(
            """
            WITH page AS (
                SELECT id, \(unescaped: Self.nothingInProgress) AS idle FROM sessions
                WHERE id > \(after?.rawValue ?? "") AND created_at < \(before.millis) ORDER BY id LIMIT \(limit))
            SELECT page.id, MIN(messages.id) AS first, MAX(messages.id) AS last,
                page.idle AND EXISTS (SELECT 1 FROM files WHERE files.session_id = page.id AND files.created_at < \(before.millis)) AS files
            FROM page LEFT JOIN messages ON page.idle AND messages.session_id = page.id AND messages.created_at < \(before.millis)
            GROUP BY page.id, page.idle ORDER BY page.id
            """
        ).map { row in
            (id: try row["id"].decode(String.self), first: try row["first"].decode(Int64?.self), last: try row["last"].decode(Int64?.self),
             files: try row["files"].decode(Bool.self))
        }
        var deleted = OldMessagesDeletion(messages: 0, files: 0, lastSessionID: page.count < limit ? nil : page.last.map { SessionID(rawValue: $0.id) })
        for session in page {
            if let first = session.first, let last = session.last {
                for from in stride(from: first, through: last, by: Self.messageSpan) {
                    deleted.messages += try await count(
                        """
                        WITH session AS (
                            SELECT id FROM sessions WHERE id = \(session.id) AND \(unescaped: Self.nothingInProgress) FOR UPDATE SKIP LOCKED),
                        gone AS (
                            DELETE FROM messages WHERE session_id = (SELECT id FROM session)
                            AND id BETWEEN \(from) AND \(min(from + Int64(Self.messageSpan) - 1, last)) AND created_at < \(before.millis)
                            RETURNING 1)
                        SELECT count(*) FROM gone
                        """)
                }
            }
            if session.files {
                deleted.files += try await count(
                    """
                    WITH session AS (
                        SELECT id FROM sessions WHERE id = \(session.id) AND \(unescaped: Self.nothingInProgress) FOR UPDATE SKIP LOCKED),
                    gone AS (DELETE FROM files WHERE session_id = (SELECT id FROM session) AND created_at < \(before.millis) RETURNING 1)
                    SELECT count(*) FROM gone
                    """)
            }
        }
        return deleted
    }

    /// How many message ids one delete of `deleteOldMessages` spans.
    static let messageSpan = 500

    /// A session with nothing in progress (in a statement that reads `sessions`): no handover opening or active, no
    /// timer, no work waiting in the outbox.
    static let nothingInProgress = """
        wake_at IS NULL AND (handover_phase IS NULL OR handover_phase NOT IN ('opening', 'active'))
        AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.session_id = sessions.id AND dead_at IS NULL)
        """

    /// Runs a statement that answers one count.
    private func count(_ query: PostgresQuery) async throws -> Int {
        try await rows(query).first?[0].decode(Int.self) ?? 0
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
