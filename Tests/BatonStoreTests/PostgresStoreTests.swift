import BatonCore
import Foundation
import PostgresNIO
import Testing

@testable import BatonStorePostgres

/// What only the PostgreSQL store promises: several processes share one database.
@Suite("PostgreSQL store", .enabled(if: !PostgresTestServer.isSkipped, "BATON_TEST_SKIP_POSTGRES=1"))
struct PostgresStoreTests {
    @Test func startingAnotherInstanceLeavesTheLeasesOfRunningOnesAlone() async throws {
        let schema = try await PostgresTestServer.freshSchema()
        let running = try await PostgresTestServer.store(schema: schema)
        let session = try await newSession(running)
        try await OutboxContractTests.enqueue(running, session, [.post(messageID: 1, handover: 1)])
        #expect(try await running.claimOutbox(now: epoch, lease: 60, limit: 10).count == 1)

        let starting = try await PostgresTestServer.store(schema: schema)  // migrates, as every start does
        #expect(try await starting.claimOutbox(now: epoch.addingTimeInterval(30), lease: 60, limit: 10).isEmpty, "the job is still leased")
        #expect(try await starting.claimOutbox(now: epoch.addingTimeInterval(60), lease: 60, limit: 10).count == 1, "until its lease runs out")
    }

    /// The server ends the store's idle connections (a restart or a failover does). PostgresNIO 1.33's pool may hand
    /// one out once more before it notices, and a statement on it was never answered: the caller waited for good.
    /// Now no statement waits for good: a connection found closed is given back for another, and a statement sent
    /// just as its connection closed fails, with the server's error (57P01, like any statement a restart cuts) or,
    /// when it is never answered, with `ConnectionLost` a second later. Reads, and writes whose second run changes
    /// nothing more (a setting's upsert here), the store runs again by itself: each of the pool's connections fails
    /// at most once.
    @Test(.timeLimit(.minutes(1)))
    func statementsAfterTheServerEndedTheStoresConnectionsNeverWaitForGood() async throws {
        let schema = try await PostgresTestServer.freshSchema()
        let store = PostgresSessionStore(client: try PostgresTestServer.start(search: schema, applicationName: schema), logger: PostgresTestServer.logger)
        try await store.migrate()
        let session = try await newSession(store)
        let admin = try PostgresTestServer.admin.get()
        for round in 0..<5 {
            // Several connections open, then idle in the pool (some may be the last round's, ended).
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { _ = try await store.session(id: session.id) } }
                try await group.waitForAll()
            }
            try await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = \(schema)")

            #expect(try await store.session(id: session.id)?.id == session.id, "a read, round \(round)")
            try await store.setSetting("round", to: "\(round)")
            #expect(try await store.setting("round") == "\(round)", "a write and a read, round \(round)")
        }
    }

    @Test func instancesStartingTogetherApplyEachMigrationOnce() async throws {
        let schema = try await PostgresTestServer.freshSchema()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 { group.addTask { _ = try await PostgresTestServer.store(schema: schema) } }
            try await group.waitForAll()
        }
        let rows = try await PostgresTestServer.admin.get().query(
            "SELECT version, count(*) FROM \(unescaped: schema).baton_schema_migrations GROUP BY version ORDER BY version")
        var counts: [Int64: Int64] = [:]
        for try await (version, count) in rows.decode((Int64, Int64).self) { counts[version] = count }
        #expect(counts == Dictionary(uniqueKeysWithValues: PostgresMigrations.all.map { ($0.version, 1) }))
    }

    @Test func aDatabaseMigratedByANewerBatonIsRefused() async throws {
        let schema = try await PostgresTestServer.freshSchema()
        _ = try await PostgresTestServer.store(schema: schema)
        try await PostgresTestServer.admin.get().query(
            "INSERT INTO \(unescaped: schema).baton_schema_migrations (version, name) VALUES (999, 'from the future')")
        let known = try #require(PostgresMigrations.all.map(\.version).max())
        await #expect(throws: PostgresStoreError.schemaTooNew(database: 999, known: known)) {
            _ = try await PostgresTestServer.store(schema: schema)
        }
    }

    @Test func concurrentUpdatesFromTwoProcessesSerialize() async throws {
        let schema = try await PostgresTestServer.freshSchema()
        let stores = [try await PostgresTestServer.store(schema: schema), try await PostgresTestServer.store(schema: schema)]
        let session = try await newSession(stores[0])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<30 {
                group.addTask {
                    _ = try await stores[index % 2].update(sessionID: session.id, now: epoch) { update in
                        let count = update.state.context["count"].flatMap { if case .number(let n) = $0 { n } else { nil } } ?? 0
                        update.state.context = ["count": .number(count + 1)]
                        update.append(draft("m\(index)"))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await stores[1].messages(sessionID: session.id, after: 0, limit: 100).map(\.id) == Array(1...30))
        #expect(try await stores[0].session(id: session.id)?.state.context == ["count": 30])
    }

    /// Every webhook looks its conversation's session up: an instance asks the database once per conversation,
    /// whichever instance linked it (a link never changes; see `ConversationLinks`).
    @Test func aConversationsSessionIsReadFromTheDatabaseOncePerInstance() async throws {
        let schema = try await PostgresTestServer.freshSchema()
        let linking = try await PostgresTestServer.store(schema: schema)
        let reading = try await PostgresTestServer.store(schema: schema)
        let session = try await newSession(linking)
        #expect(try await reading.sessionID(endpointID: "e1", conversationKey: "chatwoot:1:7") == nil)
        try await linking.link(endpointID: "e1", conversationKey: "chatwoot:1:7", to: session.id)
        #expect(try await reading.sessionID(endpointID: "e1", conversationKey: "chatwoot:1:7") == session.id, "not linked yet is not remembered")

        try await PostgresTestServer.admin.get().query("DELETE FROM \(unescaped: schema).handover_links")
        #expect(try await reading.sessionID(endpointID: "e1", conversationKey: "chatwoot:1:7") == session.id, "read once, answered from memory")
        #expect(try await linking.sessionID(endpointID: "e1", conversationKey: "chatwoot:1:7") == session.id, "linked here, answered from memory")
        let started = try await PostgresTestServer.store(schema: schema)
        #expect(try await started.sessionID(endpointID: "e1", conversationKey: "chatwoot:1:7") == nil, "a new instance asks the database")
    }

    /// Two instances starting together walk the active handovers at once: each is taken by one of them.
    @Test func instancesStartingTogetherShareTheStartupReconciliation() async throws {
        let schema = try await PostgresTestServer.freshSchema()
        let stores = [try await PostgresTestServer.store(schema: schema), try await PostgresTestServer.store(schema: schema)]
        var active: Set<SessionID> = []
        for user in 0..<60 {
            let session = try await newSession(stores[0], user: "u\(user)")
            try await StartupReconciliationContractTests.setPhase(.active, of: session, in: stores[0])
            active.insert(session.id)
        }
        let walks = try await withThrowingTaskGroup(of: [SessionID].self) { group in
            for store in stores {
                group.addTask { try await StartupReconciliationContractTests.walk(store, since: epoch, now: epoch.addingTimeInterval(1), limit: 3) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(walks.map(\.count).reduce(0, +) == 60, "none taken twice: \(walks.map(\.count))")
        #expect(Set(walks.joined()) == active)
    }
}
