import BatonConfig
import BatonCore
import BatonServer
import BatonStoreSQLite
import Foundation
import Hummingbird
import Logging

/// A Baton built for tests: one endpoint running `TestBaton.flow`, a SQLite file of its own, a real router.
enum TestBaton {
    static let flowText = """
        name: Test
        intents:
          - name: human
            keywords: [agent]
            goto: handover
        nodes:
          - say: "Welcome!"
          - id: ask
            question:
              text: "Your name?"
              store: name
          - say: "Hello {{ context.name }}!"
          - id: loop
            question:
              text: "Say something"
              quickReplies: [{ title: "Talk to a human", payload: agent }]
              store: last
          - say: "You said {{ context.last }}"
          - goto: loop
          - id: handover
            handover:
              inboxId: 1
          - say: "Handover ended: {{ input.handover.status }} {{ input.handover.reason }}"
          - goto: loop
        """

    static func flow() throws -> Flow {
        try FlowLoader().parse(text: flowText, file: "test-flow.yaml").0
    }

    /// A fresh database path in its own temporary folder.
    static func databasePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("baton-test-\(UUID().uuidString)/baton.sqlite").path
    }

    /// The Chatwoot settings of the sample webhooks: account 1, and the secret of the signed example.
    static let sampleChatwoot: ChatwootSettings = {
        var settings = ChatwootSettings(
            baseURL: "http://127.0.0.1:1", accountID: 1, apiAccessToken: Secret("not-used"), webhookSecret: Secret("qb3Xz1N8sWcKPd7mRvT4Lh2E"))
        settings.showAgentNames = true
        return settings
    }()

    static let adminToken = "admin-token-for-tests-0123456789"

    /// Tests that post many messages quickly are not about the rate limit, which has tests of its own.
    static let generousLimits = LimitSettings(messagesPerMinute: 100_000)

    static func configuration(
        databasePath: String, apiKey: String? = nil, port: Int = 0, handover: HandoverSettings? = nil, limits: LimitSettings = generousLimits,
        identitySecret: String? = nil
    ) throws -> BatonConfiguration {
        let endpoint = EndpointConfiguration(
            id: "test", name: "Test endpoint", urlToken: "t0k3n", flowFile: "test-flow.yaml", flow: try flow(),
            webchat: WebchatSettings(identitySecret: identitySecret.map(Secret.init)), rest: RESTSettings(enabled: true, apiKey: apiKey.map(Secret.init)),
            handover: handover)
        return BatonConfiguration(
            server: ServerSettings(host: "127.0.0.1", port: port), storage: StorageSettings(sqlitePath: databasePath), log: LogSettings(),
            admin: AdminSettings(token: Secret(adminToken)), limits: limits, endpoints: [endpoint], sourceFile: nil)
    }

    /// How often the tests' outbox looks for jobs no ring told it of (other instances' jobs, in production once a
    /// second): once in five minutes, so a path that stores a job without ringing the outbox leaves it waiting past
    /// the tests' timeouts instead of being carried by the look.
    static let quietOutbox: Duration = .seconds(300)

    static var logger: Logger {
        var logger = Logger(label: "baton-test")
        logger.logLevel = .warning
        return logger
    }

    static func app(databasePath: String = databasePath(), apiKey: String? = nil, identitySecret: String? = nil) async throws -> some ApplicationProtocol {
        let configuration = try configuration(databasePath: databasePath, apiKey: apiKey, identitySecret: identitySecret)
        var dependencies = try AppDependencies.live(configuration)
        dependencies.outboxPollInterval = quietOutbox
        return try await buildApplication(configuration: configuration, dependencies: dependencies, logger: logger)
    }

    /// The store of a test database, migrated.
    static func store(_ path: String) async throws -> any SessionStore {
        let store = try SQLiteSessionStore(path: path)
        try await store.migrate()
        return store
    }

    /// An app whose endpoint hands over through `FakeDesk`, with a clock the test sets. With `retention`, old sessions
    /// are looked for every `housekeepingInterval`.
    static func appWithFakeDesk(
        databasePath: String = databasePath(), chatwoot: ChatwootSettings = sampleChatwoot, now: @escaping @Sendable () -> Date = Date.init,
        limits: LimitSettings = generousLimits, openGate: Latch? = nil, wrapStore: (any SessionStore) -> any SessionStore = { $0 },
        retention: RetentionSettings = RetentionSettings(), housekeepingInterval: Duration = .seconds(3600)
    ) async throws -> (app: some ApplicationProtocol, provider: FakeDesk, store: any SessionStore) {
        var configuration = try configuration(databasePath: databasePath, handover: .chatwoot(chatwoot), limits: limits)
        configuration.retention = retention
        let store = wrapStore(try SQLiteSessionStore(path: databasePath))
        let provider = FakeDesk(store: store, openGate: openGate)
        var dependencies = AppDependencies(store: store, desk: { _ in provider }, now: now)
        dependencies.outboxPollInterval = quietOutbox
        dependencies.housekeepingInterval = housekeepingInterval
        let app = try await buildApplication(configuration: configuration, dependencies: dependencies, logger: logger)
        return (app, provider, store)
    }
}
