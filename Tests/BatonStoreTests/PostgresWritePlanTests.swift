import BatonCore
import Foundation
import PostgresNIO
import Testing

@testable import BatonStorePostgres

/// Every write transaction on PostgreSQL locks its sessions' rows and saves them: statements that must find those
/// rows through the sessions' key, never by reading the table, which holds a row for every user who ever wrote.
/// Checked on the plans PostgreSQL makes for a table of thousands of sessions.
@Suite("PostgreSQL writes at scale", .enabled(if: !PostgresTestServer.isSkipped, "BATON_TEST_SKIP_POSTGRES=1"))
struct PostgresWritePlanTests {
    /// A store whose sessions table holds `count` sessions besides `sessions`, as statistics see it.
    static func store(withOtherSessions count: Int) async throws -> (store: PostgresSessionStore, sessions: [Session]) {
        let store = try await PostgresTestServer.store(schema: try await PostgresTestServer.freshSchema())
        let sessions = [try await newSession(store, user: "a"), try await newSession(store, user: "b")]
        try await store.client.query(
            """
            INSERT INTO sessions (id, endpoint_id, user_id, channel, state, created_at, updated_at)
            SELECT 'other-' || n, 'e1', 'other-' || n, 'webchat', '{}', 0, 0 FROM generate_series(1, \(count)) AS n
            """, logger: PostgresTestServer.logger)
        try await store.client.query("ANALYZE sessions", logger: PostgresTestServer.logger)
        return (store, sessions)
    }

    /// The scans of `query`'s plan that read the sessions table without an index condition (every row, through the
    /// key's index or not).
    static func sessionReadsWithoutAKey(_ query: PostgresQuery, on store: PostgresSessionStore) async throws -> [[String: Any]] {
        var plan = ""
        let explain = PostgresQuery(unsafeSQL: "EXPLAIN (FORMAT JSON) " + query.sql, binds: query.binds)
        try await store.client.withTransaction(logger: PostgresTestServer.logger) { connection in
            for try await text in try await connection.query(explain, logger: PostgresTestServer.logger).decode(String.self) { plan += text }
        }
        return nodes(in: try JSONSerialization.jsonObject(with: Data(plan.utf8))).filter { node in
            let scan = (node["Node Type"] as? String)?.hasSuffix("Scan") == true && node["Relation Name"] as? String == "sessions"
            return scan && node["Index Cond"] == nil && node["Recheck Cond"] == nil
        }
    }

    static func nodes(in plan: Any) -> [[String: Any]] {
        if let list = plan as? [Any] { return list.flatMap(nodes(in:)) }
        guard let node = plan as? [String: Any] else { return [] }
        return [node] + node.values.flatMap(nodes(in:))
    }

    @Test func aTransactionLocksItsSessionsThroughTheKey() async throws {
        let (store, sessions) = try await Self.store(withOtherSessions: 5_000)
        try await OutboxContractTests.enqueue(store, sessions[1], [.post(messageID: 1, handover: 1)])
        let job = try #require(try await store.outbox(dead: false, limit: 1).first)
        let lock = PostgresGroupCommit.lockQuery(sessions: [sessions[0].id.rawValue], jobs: [job.id])
        let scans = try await Self.sessionReadsWithoutAKey(lock, on: store)
        #expect(scans.isEmpty, "\(scans)")
        // Both sessions, once each, in the order of their ids (the order that keeps transactions from deadlocking).
        let locked = try await store.client.withTransaction(logger: PostgresTestServer.logger) { connection in
            try await connection.query(lock, logger: PostgresTestServer.logger).collect().map { try $0.makeRandomAccess()["id"].decode(String.self) }
        }
        #expect(locked == sessions.map(\.id.rawValue).sorted())
    }

    @Test func severalSavesUpdateTheirSessionsThroughTheKey() async throws {
        let (store, sessions) = try await Self.store(withOtherSessions: 5_000)
        let saves = sessions.map { session in
            PendingSave(
                step: PostgresSessionStore.StepWrite(update: SessionUpdate(session: session), messages: [], lastMessageID: 0, now: epoch),
                unlessLaterThan: 7)
        }
        let scans = try await Self.sessionReadsWithoutAKey(try PendingSave.query(saves), on: store)
        #expect(scans.isEmpty, "\(scans)")
    }
}
