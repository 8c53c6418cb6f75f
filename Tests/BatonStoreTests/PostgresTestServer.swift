import BatonConfig
import BatonCore
import BatonStorePostgres
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL server the store tests run against, named by `BATON_TEST_POSTGRES_URL` (`scripts/test` starts a
/// throwaway one and sets it). Every test store gets a schema of its own, so tests stay independent and run in parallel.
enum PostgresTestServer {
    static let urlVariable = "BATON_TEST_POSTGRES_URL"
    static let skipVariable = "BATON_TEST_SKIP_POSTGRES"

    /// Set `BATON_TEST_SKIP_POSTGRES=1` to leave the PostgreSQL cases out on purpose; without it a missing server fails them.
    static var isSkipped: Bool { ProcessInfo.processInfo.environment[skipVariable] == "1" }

    static func settings() throws -> PostgresStorageSettings {
        guard let url = ProcessInfo.processInfo.environment[urlVariable], !url.isEmpty else {
            throw SetupError(
                "\(urlVariable) is not set, so the PostgreSQL store cannot be tested. Run scripts/test (it starts a throwaway server), "
                    + "or `eval \"$(scripts/start-postgres)\"` before `swift test`, or set \(skipVariable)=1 to skip these cases.")
        }
        do { return try PostgresStorageSettings(url: url, maxConnections: 4) } catch { throw SetupError("\(urlVariable): \(error)") }
    }

    /// One client for creating schemas, shared by all tests of the process.
    static let admin: Result<PostgresClient, any Error> = Result { try start(search: nil) }

    /// A new, empty schema.
    static func freshSchema() async throws -> String {
        // Our own name of hex digits, so splicing it into the statement is safe.
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin.get().query("CREATE SCHEMA \(unescaped: name)")
        return name
    }

    /// A migrated store on `schema`, as a Baton process would open it.
    static func store(schema: String) async throws -> PostgresSessionStore {
        let store = PostgresSessionStore(client: try start(search: schema), logger: logger)
        try await store.migrate()
        return store
    }

    /// A running client whose connections work in `schema` (through the `search_path` startup parameter), named
    /// `applicationName` in `pg_stat_activity` when given. It is never shut down: the test process ends instead, and
    /// idle connections close within seconds.
    static func start(search schema: String?, applicationName: String? = nil) throws -> PostgresClient {
        var configuration = try settings().clientConfiguration
        if let schema { configuration.options.additionalStartupParameters = [("search_path", schema)] }
        if let applicationName { configuration.options.additionalStartupParameters.append(("application_name", applicationName)) }
        configuration.options.connectionIdleTimeout = .seconds(5)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        Task { await client.run() }
        return client
    }

    static let logger = Logger(label: "baton.test.postgres")

    struct SetupError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
