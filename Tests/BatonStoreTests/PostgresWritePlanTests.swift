import BatonCore
import Foundation
import PostgresNIO
import Testing

@testable import BatonStorePostgres

/// Every write transaction on PostgreSQL locks its sessions' rows and saves them: statements that must find their
/// rows through the tables' keys, never by reading a table, which holds a row for every user who ever wrote. Their
/// functions (migration 9) keep one plan per connection, made at its first call, so the plans are checked as made on
/// a table of thousands of sessions and on a new deployment's tables of a page, which grow under the plan kept; and so
/// are the outbox's triggers', made on an empty outbox.
@Suite("PostgreSQL writes at scale", .enabled(if: !PostgresTestServer.isSkipped, "BATON_TEST_SKIP_POSTGRES=1"))
struct PostgresWritePlanTests {
    /// A store whose sessions table holds `count` sessions besides `sessions`, as statistics see it, and a message of
    /// the first session (the messages table a page, as after a new deployment's first words).
    static func store(withOtherSessions count: Int) async throws -> (store: PostgresSessionStore, sessions: [Session]) {
        let store = try await PostgresTestServer.store(schema: try await PostgresTestServer.freshSchema())
        let sessions = [try await newSession(store, user: "a"), try await newSession(store, user: "b")]
        try await store.client.query(
            """
            INSERT INTO sessions (id, endpoint_id, user_id, channel, state, created_at, updated_at)
            SELECT 'other-' || n, 'e1', 'other-' || n, 'webchat', '{}', 0, 0 FROM generate_series(1, \(count)) AS n
            """, logger: PostgresTestServer.logger)
        try await store.client.query(
            """
            INSERT INTO messages (session_id, id, sender, content, created_at, external_id, external_order)
            VALUES (\(sessions[0].id.rawValue), 1, 'agent', '{}', 0, 'x-1', 1)
            """, logger: PostgresTestServer.logger)
        try await store.client.query("ANALYZE sessions", logger: PostgresTestServer.logger)
        return (store, sessions)
    }

    /// The sizes of the sessions table besides the tests' own two sessions.
    static let otherSessions = [0, 5_000]

    /// The scans of the plan of the statement inside `function` (its `RETURN QUERY`) that read a table without an
    /// index condition (see ``readsWithoutAKey(_:types:settings:on:)``). The function keeps generic plans (its
    /// `plan_cache_mode`, checked here): a plan for any arguments, made once per connection.
    static func readsWithoutAKey(in function: String, on store: PostgresSessionStore) async throws -> [[String: Any]] {
        let installed = try await definition(of: function, on: store)
        #expect(installed.settings.contains("plan_cache_mode=force_generic_plan"), "\(function): \(installed.settings)")
        let start = try #require(installed.source.range(of: "RETURN QUERY"))
        let end = try #require(installed.source.range(of: ";", options: .backwards))
        var body = String(installed.source[start.upperBound..<end.lowerBound])
        for (index, name) in installed.names.enumerated() {
            // `$` in a template names a capture group: escaped.
            body = body.replacingOccurrences(of: "\\b\(name)\\b", with: "\\$\(index + 1)", options: .regularExpression)
        }
        return try await readsWithoutAKey(body, types: installed.types, settings: installed.settings, on: store)
    }

    /// The scans of `statement`'s generic plan, made under a function's `settings` as its calls run with them, that
    /// read one of `tables` without an index condition (every row, through an index or not).
    static func readsWithoutAKey(
        _ statement: String, types: [String], settings: [String], on store: PostgresSessionStore, tables: Set<String> = ["sessions", "messages", "outbox"]
    ) async throws -> [[String: Any]] {
        var plan = ""
        try await store.client.withConnection { connection in
            let unknown = Array(repeating: "NULL", count: types.count).joined(separator: ", ")
            try await connection.query(PostgresQuery(unsafeSQL: "PREPARE body (\(types.joined(separator: ", "))) AS \(statement)"), logger: PostgresTestServer.logger)
            try await connection.query("SET plan_cache_mode = force_generic_plan", logger: PostgresTestServer.logger)
            for setting in settings {
                let (name, value) = (setting.prefix { $0 != "=" }, setting.drop { $0 != "=" }.dropFirst())
                try await connection.query(PostgresQuery(unsafeSQL: "SET \(name) = \(value)"), logger: PostgresTestServer.logger)
            }
            plan = try await explain(PostgresQuery(unsafeSQL: "EXPLAIN (FORMAT JSON) EXECUTE body (\(unknown))"), on: connection)
            try await connection.query("DEALLOCATE body", logger: PostgresTestServer.logger)
            try await connection.query("RESET ALL", logger: PostgresTestServer.logger)
        }
        return nodes(in: try JSONSerialization.jsonObject(with: Data(plan.utf8))).filter { node in
            let scan = (node["Node Type"] as? String)?.hasSuffix("Scan") == true && tables.contains(node["Relation Name"] as? String ?? "")
            return scan && node["Index Cond"] == nil && node["Recheck Cond"] == nil
        }
    }

    /// A function of the store's schema, as installed.
    struct Definition {
        let source: String
        let names: [String]
        let types: [String]
        let settings: [String]
    }

    static func definition(of function: String, on store: PostgresSessionStore) async throws -> Definition {
        let rows = try await store.client.query(
            """
            SELECT prosrc, coalesce(proargnames, '{}'),
                   ARRAY(SELECT format_type(t, NULL) FROM unnest(proargtypes) WITH ORDINALITY AS a (t, i) ORDER BY i), coalesce(proconfig, '{}')
            FROM pg_proc WHERE proname = \(function) AND pronamespace = current_schema()::regnamespace
            """, logger: PostgresTestServer.logger)
        for try await (source, names, types, settings) in rows.decode((String, [String], [String], [String]).self) {
            return Definition(source: source, names: names, types: types, settings: settings)
        }
        throw PostgresTestServer.SetupError("no function \(function) in the schema")
    }

    static func explain(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> String {
        var plan = ""
        for try await text in try await connection.query(query, logger: PostgresTestServer.logger).decode(String.self) { plan += text }
        return plan
    }

    static func nodes(in plan: Any) -> [[String: Any]] {
        if let list = plan as? [Any] { return list.flatMap(nodes(in:)) }
        guard let node = plan as? [String: Any] else { return [] }
        return [node] + node.values.flatMap(nodes(in:))
    }

    @Test(arguments: otherSessions) func aTransactionLocksItsSessionsThroughTheKey(otherSessions: Int) async throws {
        let (store, sessions) = try await Self.store(withOtherSessions: otherSessions)
        try await OutboxContractTests.enqueue(store, sessions[1], [.post(messageID: 1, handover: 1)])
        let job = try #require(try await store.outbox(dead: false, limit: 1).first)
        let lock = PostgresGroupCommit.lockQuery(sessions: [sessions[0].id.rawValue], jobs: [job.id])
        let scans = try await Self.readsWithoutAKey(in: "baton_lock_sessions", on: store)
        #expect(scans.isEmpty, "\(scans)")
        // Both sessions, once each, in the order of their ids (the order that keeps transactions from deadlocking).
        let locked = try await store.client.withTransaction(logger: PostgresTestServer.logger) { connection in
            try await connection.query(lock, logger: PostgresTestServer.logger).collect().map { try $0.makeRandomAccess()["id"].decode(String.self) }
        }
        #expect(locked == sessions.map(\.id.rawValue).sorted())
    }

    @Test(arguments: otherSessions) func severalSavesUpdateTheirSessionsThroughTheKey(otherSessions: Int) async throws {
        let (store, sessions) = try await Self.store(withOtherSessions: otherSessions)
        let saves = sessions.map { session in
            PendingSave(
                step: PostgresSessionStore.StepWrite(update: SessionUpdate(session: session), messages: [], lastMessageID: 0, now: epoch),
                unlessLaterThan: 7)
        }
        let scans = try await Self.readsWithoutAKey(in: "baton_save_sessions", on: store)
        #expect(scans.isEmpty, "\(scans)")
        // Both saves write (no later message), each answered with its place in the call.
        let written = try await store.client.withConnection { connection in
            var positions: Set<Int64> = []
            for try await position in try await connection.query(try PendingSave.query(saves), logger: PostgresTestServer.logger).decode(Int64.self) {
                positions.insert(position)
            }
            return positions
        }
        #expect(written == [0, 1])
    }

    /// Deleting a session deletes its messages, files, links and outbox jobs (`ON DELETE CASCADE`): PostgreSQL's
    /// cascade finds them by `session_id` alone, and each table has an index for that (planned with sequential scans
    /// off, so a table of a few rows, which the planner rightly reads whole, still shows whether one would serve).
    @Test func aDeletedSessionsRowsCanBeFoundThroughAnIndex() async throws {
        let (store, _) = try await Self.store(withOtherSessions: 0)
        for table in ["messages", "files", "handover_links", "outbox"] {
            let scans = try await Self.readsWithoutAKey(
                "SELECT 1 FROM \(table) WHERE session_id = $1", types: ["text"], settings: ["enable_seqscan=off"], on: store, tables: [table])
            #expect(scans.isEmpty, "\(table): \(scans)")
        }
    }

    /// The outbox's triggers find a job's queue through the outbox's index, with plans made on an empty outbox (as it
    /// is most of the time) and kept while it grows when Chatwoot is down.
    @Test func theOutboxTriggersFindAJobsQueueThroughTheIndex() async throws {
        let store = try await PostgresTestServer.store(schema: try await PostgresTestServer.freshSchema())
        try await store.client.query("VACUUM ANALYZE outbox", logger: PostgresTestServer.logger)
        for name in ["baton_outbox_head_on_insert", "baton_outbox_next_head"] {
            let function = try await Self.definition(of: name, on: store)
            // The statement that reads the outbox, with the row's session and kind as parameters.
            let found = try #require(
                function.source.range(of: #"SELECT (1|id) FROM outbox WHERE [^;]*?dead_at IS NULL(\s+ORDER BY id LIMIT 1)?"#, options: .regularExpression), "\(name)")
            let statement = String(function.source[found])
                .replacingOccurrences(of: #"(NEW|OLD)\.session_id"#, with: "\\$1", options: .regularExpression)
                .replacingOccurrences(of: #"(NEW|OLD)\.kind"#, with: "\\$2", options: .regularExpression)
            let scans = try await Self.readsWithoutAKey(statement, types: ["text", "text"], settings: function.settings, on: store)
            #expect(scans.isEmpty, "\(name): \(scans)")
        }
    }
}
