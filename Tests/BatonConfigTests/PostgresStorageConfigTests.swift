import BatonCore
import Foundation
import Testing

@testable import BatonConfig

/// `storage.postgres`: the URL is a secret (file, environment or `urlFile`), and it excludes `storage.sqlite`.
@Suite final class PostgresStorageConfigTests {
    let files: FixtureDirectory

    init() throws { files = try FixtureDirectory() }
    deinit { files.remove() }

    static let password = "s3cr3t-pa55"
    static let url = "postgres://baton:\(password)@db.example.com:6543/baton_prod?sslmode=require"

    func load(_ storage: String, environment: [String: String] = [:]) throws -> BatonConfiguration {
        try files.loadStorage(storage, environment: environment)
    }

    func failure(_ storage: String, environment: [String: String] = [:]) -> [Diagnostic] {
        failureDiagnostics { try self.load(storage, environment: environment) }
    }

    @Test func aURLInTheFileIsReadWithItsParts() throws {
        let configuration = try load("storage:\n  postgres:\n    url: \(Self.url)\n    maxConnections: 7\n")
        let postgres = try #require(configuration.storage.postgres)
        #expect(postgres.url == Secret(Self.url))
        #expect(postgres.host == "db.example.com" && postgres.port == 6543)
        #expect(postgres.username == "baton" && postgres.password == Secret(Self.password))
        #expect(postgres.database == "baton_prod" && postgres.tls == .require)
        #expect(postgres.maxConnections == 7)
    }

    @Test func defaultsArePort5432PreferredTLSAndTwentyConnections() throws {
        let postgres = try #require(try load("storage:\n  postgres:\n    url: postgresql://me@localhost/baton\n").storage.postgres)
        #expect(postgres.port == 5432 && postgres.tls == .prefer && postgres.maxConnections == 20 && postgres.password == nil)
    }

    @Test func theURLComesFromAFile() throws {
        try files.write("secrets/db-url", Self.url + "\n")
        let postgres = try #require(try load("storage:\n  postgres:\n    urlFile: secrets/db-url\n").storage.postgres)
        #expect(postgres.url == Secret(Self.url))
    }

    @Test func theEnvironmentAloneChoosesPostgreSQL() throws {
        // Even over a file that names SQLite: one file serves a trial and a deployment.
        let configuration = try load(
            "storage:\n  sqlite:\n    path: data/x.sqlite\n",
            environment: ["BATON_STORAGE_POSTGRES_URL": Self.url, "BATON_STORAGE_POSTGRES_MAX_CONNECTIONS": "3"])
        #expect(configuration.storage.postgres?.url == Secret(Self.url))
        #expect(configuration.storage.postgres?.maxConnections == 3)
        #expect(try load("", environment: ["BATON_STORAGE_POSTGRES_URL_FILE": try files.write("u", Self.url)]).storage.postgres?.database == "baton_prod")
    }

    @Test func withoutPostgresSQLiteIsUsed() throws {
        let storage = try load("storage:\n  sqlite:\n    path: data/x.sqlite\n").storage
        #expect(storage.postgres == nil)
        #expect(storage.location == files.path("data/x.sqlite"))
    }

    @Test func sqliteAndPostgresTogetherIsAnError() {
        let diagnostics = failure("storage:\n  sqlite:\n    path: a.sqlite\n  postgres:\n    url: \(Self.url)\n")
        expectDiagnostic(diagnostics, file: files.path("baton.yaml"), line: 5, path: "storage.postgres", message: "set either 'sqlite' or 'postgres', not both")
    }

    @Test(arguments: [
        ("mysql://u:p@h/db", "must be a URL of the form postgres://"),
        ("postgres://u:p@/db", "the URL names no host"),
        ("postgres://h/db", "the URL names no user"),
        ("postgres://u:p@h", "the URL names no database"),
        ("postgres://u:p@h/db?sslmode=sometimes", "sslmode must be one of disable, prefer, require, verify-full"),
        ("postgres://u:p@h/db?application_name=x", "unsupported URL parameter 'application_name'"),
    ])
    func badURLsAreExplainedWithoutQuotingThem(url: String, message: String) {
        let diagnostics = failure("storage:\n  postgres:\n    url: '\(url)'\n")
        expectDiagnostic(diagnostics, file: files.path("baton.yaml"), line: 3, path: "storage.postgres.url", message: message)
        #expect(!diagnostics.contains { $0.description.contains(":p@") }, "the password never shows")
    }

    /// Behind PgBouncer in transaction mode the hub's listener connects to PostgreSQL itself.
    @Test func theListenersOwnURLIsReadCheckedAndNeverShown() throws {
        let direct = "postgres://baton:\(Self.password)@db-primary.example.com:5432/baton_prod?sslmode=require"
        let postgres = try #require(try load("storage:\n  postgres:\n    url: \(Self.url)\n    listenURL: \(direct)\n").storage.postgres)
        let listener = try postgres.listenerSettings()
        #expect(listener.host == "db-primary.example.com" && listener.port == 5432 && listener.database == "baton_prod")
        #expect(postgres.host == "db.example.com", "the pool still goes through the URL")
        #expect(try #require(try load("storage:\n  postgres:\n    url: \(Self.url)\n").storage.postgres).listenerSettings().host == "db.example.com")

        let fromEnvironment = try load("storage:\n  postgres:\n    url: \(Self.url)\n", environment: ["BATON_STORAGE_POSTGRES_LISTEN_URL": direct]).storage.postgres
        #expect(try fromEnvironment?.listenerSettings().host == "db-primary.example.com")

        let diagnostics = failure("storage:\n  postgres:\n    url: \(Self.url)\n    listenURL: 'postgres://u:hunter2@h'\n")
        expectDiagnostic(
            diagnostics, file: files.path("baton.yaml"), line: 4, path: "storage.postgres.listenURL",
            message: "the URL names no database (postgres://user:password@host/database)")
        #expect(!diagnostics.contains { $0.description.contains("hunter2") })
    }

    @Test func aBadURLFromTheEnvironmentNamesTheVariable() {
        let diagnostics = failure("", environment: ["BATON_STORAGE_POSTGRES_URL": "postgres://u:hunter2@h"])
        #expect(diagnostics.contains { $0.message.contains("the URL names no database (") && $0.message.contains("BATON_STORAGE_POSTGRES_URL") })
        #expect(!diagnostics.contains { $0.description.contains("hunter2") })
    }

    @Test func aMissingURLOrAScalarInsteadOfAMappingIsAnError() {
        expectDiagnostic(
            failure("storage:\n  postgres:\n    maxConnections: 4\n"), file: files.path("baton.yaml"), line: 3, path: "storage.postgres",
            message: "missing required key 'url' (or 'urlFile')")
        let scalar = failure("storage:\n  postgres: \(Self.url)\n")
        expectDiagnostic(scalar, file: files.path("baton.yaml"), line: 2, path: "storage.postgres", message: "expected a mapping (url: postgres://…)")
        #expect(!scalar.contains { $0.description.contains(Self.password) })
    }

    @Test func maxConnectionsIsBounded() {
        expectDiagnostic(
            failure("storage:\n  postgres:\n    url: \(Self.url)\n    maxConnections: 0\n"), file: files.path("baton.yaml"), line: 4,
            path: "storage.postgres.maxConnections", message: "must be between 1 and 1000")
    }

    @Test func thePasswordNeverShowsInDescriptions() throws {
        let settings = try PostgresStorageSettings(url: Self.url)
        for text in ["\(settings)", String(reflecting: settings), StorageSettings(sqlitePath: "x", postgres: settings).location] {
            #expect(!text.contains(Self.password), "\(text)")
        }
        #expect(settings.description == "postgres://baton@db.example.com:6543/baton_prod")
    }

    @Test func percentEncodedCredentialsAndIPv6HostsAreDecoded() throws {
        let settings = try PostgresStorageSettings(url: "postgres://us%40er:p%2Fw@[::1]:5433/my%20db")
        #expect(settings.username == "us@er" && settings.password == Secret("p/w"))
        #expect(settings.host == "::1" && settings.port == 5433 && settings.database == "my db")
    }
}

extension FixtureDirectory {
    /// A config of these `storage` lines and one endpoint with a one-node flow, loaded.
    func loadStorage(_ storage: String, environment: [String: String] = [:]) throws -> BatonConfiguration {
        try write("flows/main.yaml", "nodes:\n  - say: Hello\n")
        let path = try write("baton.yaml", storage + "\nendpoints:\n  demo:\n    flow: flows/main.yaml\n")
        return try ConfigLoader(environment: environment).load(path: path).0
    }
}
