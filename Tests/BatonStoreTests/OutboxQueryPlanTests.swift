import BatonCore
import Foundation
import GRDB
import PostgresNIO
import Testing

@testable import BatonStorePostgres
@testable import BatonStoreSQLite

/// The outbox's polling queries read the queues' heads through their index, not the whole outbox: checked on the
/// plan each database makes with an outbox like a Chatwoot outage leaves (thousands of jobs behind a few heads). The
/// other reads that run often (start-up reconciliation, a late reply's, a reconnecting page's) are checked likewise.
@Suite("Outbox queries at load")
struct OutboxQueryPlanTests {
    /// Two thousand jobs waiting behind their sessions' heads, as when Chatwoot is down.
    static func fillAsDuringAnOutage(_ store: any SessionStore) async throws {
        for index in 0..<20 {
            let session = try await newSession(store, user: "u\(index)")
            _ = try await store.update(sessionID: session.id, now: epoch) { update in
                for message in 0..<100 { update.enqueue(.post(messageID: Int64(message), handover: 1)) }
            }
        }
    }

    @Test func sqliteClaimsAndWakesUpThroughTheHeadsIndex() async throws {
        let (store, _) = try await StoreKind.sqlite.make()
        try await Self.fillAsDuringAnOutage(store)
        let sqlite = try #require(store as? SQLiteSessionStore)
        for sql in [SQLiteSessionStore.dueHeadsSQL, SQLiteSessionStore.nextDueSQL] {
            let plan = try await sqlite.writer.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(Array(repeating: 0, count: sql.count { $0 == "?" })))
                    .map { $0["detail"] as String }
            }
            #expect(plan.contains { $0.contains("USING INDEX outbox_heads_due") }, "\(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN outbox") && !$0.contains("INDEX") }, "a scan of the whole outbox: \(plan)")
            #expect(!plan.contains { $0.contains("outbox_by_session") }, "every pending job read: \(plan)")
        }
        #expect(try await store.claimOutbox(now: epoch, lease: 60, limit: 100).count == 20)
    }

    /// Without the partial index of active handovers every start-up claim would read every session.
    @Test func sqliteStartupReconciliationVisitsOnlyActiveHandovers() async throws {
        let (store, _) = try await StoreKind.sqlite.make()
        let sqlite = try #require(store as? SQLiteSessionStore)
        let plan = try await sqlite.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteSessionStore.startupReconciliationsSQL, arguments: ["", 0, 16]).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("USING INDEX sessions_with_active_handover") }, "\(plan)")
    }

    /// Messages have no index by provider order: a late reply's look-up of the replies after it reads the session's
    /// key back from its end, never the whole messages table.
    @Test func sqliteLateReplyLooksUpLaterRepliesByTheSessionsKey() async throws {
        let (store, _) = try await StoreKind.sqlite.make()
        let sqlite = try #require(store as? SQLiteSessionStore)
        let plan = try await sqlite.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteSessionStore.laterRepliesSQL, arguments: ["s", 1, "s", 1]).map { $0["detail"] as String }
        }
        #expect(plan.filter { $0.contains("SEARCH messages USING INDEX sqlite_autoindex_messages_1 (session_id=?") }.count == 2, "\(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(plan)")
    }

    /// A long conversation with two of its messages taken back: what a reconnecting page is sent besides its backlog.
    static func fillWithALongConversation(_ store: any SessionStore) async throws -> SessionID {
        let session = try await newSession(store, user: "long")
        _ = try await store.update(sessionID: session.id, now: epoch) { update in
            for index in 0..<2_000 {
                update.append(MessageDraft(sender: .agent, content: MessageContent(text: "m\(index)"), createdAt: epoch, externalID: "e\(index)"))
            }
        }
        for index in [7, 1_500] { _ = try await store.retract(sessionID: session.id, externalID: "e\(index)") }
        return session.id
    }

    /// A page that reconnects reads the retracted messages up to its last id through their own index, not every
    /// message of its conversation.
    @Test func sqliteRetractedMessagesAreReadThroughTheirIndex() async throws {
        let (store, _) = try await StoreKind.sqlite.make()
        let session = try await Self.fillWithALongConversation(store)
        let sqlite = try #require(store as? SQLiteSessionStore)
        let plan = try await sqlite.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteSessionStore.retractedMessagesSQL, arguments: [session.rawValue, 0, 2_000, 100])
                .map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("USING INDEX messages_retracted") }, "\(plan)")
        #expect(try await store.retractedMessages(sessionID: session, after: 0, through: 2_000, limit: 100).map(\.id) == [8, 1_501])
    }

    @Test(.enabled(if: !PostgresTestServer.isSkipped)) func postgresRetractedMessagesAreReadThroughTheirIndex() async throws {
        let schema = try await PostgresTestServer.freshSchema()
        let store = try await PostgresTestServer.store(schema: schema)
        let session = try await Self.fillWithALongConversation(store)
        try await store.client.query("ANALYZE messages", logger: PostgresTestServer.logger)
        let query = PostgresSessionStore.retractedMessagesQuery(sessionID: session, after: 0, through: 2_000, limit: 100)
        let explain = PostgresQuery(unsafeSQL: "EXPLAIN (FORMAT JSON) " + query.sql, binds: query.binds)
        var plan = ""
        for try await text in try await store.client.query(explain, logger: PostgresTestServer.logger).decode(String.self) { plan += text }
        let nodes = Self.nodes(in: try JSONSerialization.jsonObject(with: Data(plan.utf8)))
        #expect(nodes.contains { $0.index == "messages_retracted" }, "\(plan)")
        #expect(try await store.retractedMessages(sessionID: session, after: 0, through: 2_000, limit: 100).map(\.id) == [8, 1_501])
    }

    @Test(.enabled(if: !PostgresTestServer.isSkipped)) func postgresClaimsAndWakesUpThroughTheHeadsIndexes() async throws {
        let schema = try await PostgresTestServer.freshSchema()
        let store = try await PostgresTestServer.store(schema: schema)
        try await Self.fillAsDuringAnOutage(store)
        // What autovacuum does on a live database: the planner then knows how few heads there are.
        try await store.client.query("ANALYZE outbox", logger: PostgresTestServer.logger)
        for query in [PostgresSessionStore.claimQuery(now: epoch, lease: 60, limit: 100), PostgresSessionStore.nextDueQuery] {
            let explain = PostgresQuery(unsafeSQL: "EXPLAIN (FORMAT JSON) " + query.sql, binds: query.binds)
            var plan = ""
            for try await text in try await store.client.query(explain, logger: PostgresTestServer.logger).decode(String.self) { plan += text }
            let nodes = Self.nodes(in: try JSONSerialization.jsonObject(with: Data(plan.utf8)))
            #expect(!nodes.contains { $0.type == "Seq Scan" && $0.relation == "outbox" }, "a scan of the whole outbox: \(plan)")
            #expect(!nodes.contains { $0.index == "outbox_by_session" }, "every pending job read: \(nodes)")
            #expect(nodes.contains { $0.index?.hasPrefix("outbox_heads_") == true }, "\(nodes)")
        }
        #expect(try await store.claimOutbox(now: epoch, lease: 60, limit: 100).count == 20)
    }

    /// A completion hands out its queue's next job (`completeOutbox(_:claimingNextAt:lease:)`) from the few jobs of
    /// its own session, whatever waits behind the other sessions' heads.
    @Test func sqliteCompletionFindsTheNextJobAmongItsSessionsOwn() async throws {
        let (store, _) = try await StoreKind.sqlite.make()
        try await Self.fillAsDuringAnOutage(store)
        let sqlite = try #require(store as? SQLiteSessionStore)
        let plan = try await sqlite.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteSessionStore.dueHeadOfQueueSQL, arguments: ["s", true, 0, 0]).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("USING INDEX outbox_by_session (session_id=?)") }, "\(plan)")
        let head = try #require(try await store.claimOutbox(now: epoch, lease: 60, limit: 1).first)
        #expect(try await store.completeOutbox(head, claimingNextAt: epoch, lease: 60)?.sessionID == head.sessionID)
    }

    @Test(.enabled(if: !PostgresTestServer.isSkipped)) func postgresCompletionFindsTheNextJobWithoutReadingTheOutbox() async throws {
        let schema = try await PostgresTestServer.freshSchema()
        let store = try await PostgresTestServer.store(schema: schema)
        try await Self.fillAsDuringAnOutage(store)
        try await store.client.query("ANALYZE outbox", logger: PostgresTestServer.logger)
        let head = try #require(try await store.claimOutbox(now: epoch, lease: 60, limit: 1).first)
        let query = PostgresSessionStore.claimNextQuery(after: head, now: epoch, lease: 60)
        let explain = PostgresQuery(unsafeSQL: "EXPLAIN (FORMAT JSON) " + query.sql, binds: query.binds)
        var plan = ""
        for try await text in try await store.client.query(explain, logger: PostgresTestServer.logger).decode(String.self) { plan += text }
        let nodes = Self.nodes(in: try JSONSerialization.jsonObject(with: Data(plan.utf8)))
        #expect(!nodes.contains { $0.type == "Seq Scan" && $0.relation == "outbox" }, "a scan of the whole outbox: \(plan)")
        #expect(try await store.completeOutbox(head, claimingNextAt: epoch, lease: 60)?.sessionID == head.sessionID)
    }

    /// Every node of a JSON plan: its type, the table it reads and the index it reads through, if any.
    static func nodes(in plan: Any) -> [(type: String, relation: String?, index: String?)] {
        if let list = plan as? [Any] { return list.flatMap(nodes(in:)) }
        guard let node = plan as? [String: Any] else { return [] }
        var found: [(type: String, relation: String?, index: String?)] = []
        if let type = node["Node Type"] as? String { found.append((type, node["Relation Name"] as? String, node["Index Name"] as? String)) }
        for value in node.values { found += nodes(in: value) }
        return found
    }
}

/// A database from before the queue heads (SQLite v6, PostgreSQL 4), its jobs written as an older Baton wrote them,
/// keeps its pending jobs' order when migrated.
@Suite("Outbox heads after an upgrade")
struct OutboxHeadsUpgradeTests {
    static let snapshot = HandoverNotification.Snapshot(HandoverState(phase: .active, nodeID: "", number: 1))
    static let notification = OutboxJob.event(HandoverNotification(id: "n1", kind: .queued, createdAt: epoch, handover: snapshot))

    /// Jobs written by the older schema (as an older Baton wrote them and its sessions: `insert`, `newSession`): a
    /// dead one first, then two of one session's queues, and a second session's.
    static func enqueueBeforeTheUpgrade(
        newSession: (_ user: String) async throws -> SessionID, insert: (SessionID, OutboxJob) async throws -> Void,
        killFirst: () async throws -> Void
    ) async throws {
        let first = try await newSession("a")
        let second = try await newSession("b")
        for job in [OutboxJob.post(messageID: 1, handover: 1), .post(messageID: 2, handover: 1), notification] { try await insert(first, job) }
        try await insert(second, .post(messageID: 3, handover: 1))
        try await killFirst()
    }

    static func expectTheOldestLiveJobOfEachQueueRunsFirst(_ store: any SessionStore) async throws {
        let claimed = try await store.claimOutbox(now: epoch, lease: 60, limit: 10)
        #expect(Set(claimed.map(\.job)) == [.post(messageID: 2, handover: 1), notification, .post(messageID: 3, handover: 1)])
    }

    @Test func sqlite() async throws {
        let path = temporarySQLitePath("upgrade")
        let old = try SQLiteSessionStore(path: path)
        try SQLiteSessionStore.migrator.migrate(old.writer, upTo: "v6: outbox traces")
        try await Self.enqueueBeforeTheUpgrade { user in
            let id = SessionID(rawValue: user)
            try await old.writer.write { db in try SQLiteMigrationTests.insertSession(id, state: ConversationState(), db) }
            return id
        } insert: { session, job in
            try await old.writer.write { db in
                try db.execute(
                    sql: "INSERT INTO outbox (session_id, job, kind, attempts, created_at, next_attempt_at) VALUES (?, ?, ?, 0, 0, 0)",
                    arguments: [session.rawValue, try SQLiteSessionStore.encode(job), job.kind])
            }
        } killFirst: {
            try await old.writer.write { db in try db.execute(sql: "UPDATE outbox SET dead_at = 1 WHERE id = (SELECT MIN(id) FROM outbox)") }
        }
        let upgraded = try SQLiteSessionStore(path: path)
        try await upgraded.migrate()
        try await Self.expectTheOldestLiveJobOfEachQueueRunsFirst(upgraded)
    }

    @Test(.enabled(if: !PostgresTestServer.isSkipped)) func postgres() async throws {
        let schema = try await PostgresTestServer.freshSchema()
        let client = try PostgresTestServer.start(search: schema)
        try await PostgresMigrations.apply(on: client, logger: PostgresTestServer.logger, migrations: Array(PostgresMigrations.all.prefix(4)))
        let old = PostgresSessionStore(client: client, logger: PostgresTestServer.logger)
        try await Self.enqueueBeforeTheUpgrade { try await newSession(old, user: $0).id } insert: { session, job in
            try await client.query(
                """
                INSERT INTO outbox (session_id, job, kind, attempts, created_at, next_attempt_at)
                VALUES (\(session.rawValue), \(try Rows.encode(job)), \(job.kind), 0, 0, 0)
                """, logger: PostgresTestServer.logger)
        } killFirst: {
            try await client.query("UPDATE outbox SET dead_at = 1 WHERE id = (SELECT MIN(id) FROM outbox)", logger: PostgresTestServer.logger)
        }
        try await Self.expectTheOldestLiveJobOfEachQueueRunsFirst(try await PostgresTestServer.store(schema: schema))
    }
}
