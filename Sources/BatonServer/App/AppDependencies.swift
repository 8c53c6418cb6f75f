public import BatonConfig
public import BatonCore
import BatonStorePostgres
import BatonStoreSQLite
public import Foundation
public import Logging
public import ServiceLifecycle

/// The parts of Baton that tests swap: the store, the desks, the clock, the random source and the retry timing.
public struct AppDependencies: Sendable {
    public var store: any SessionStore
    /// The desk of an endpoint's handovers; `nil` picks the one its configuration names.
    public var desk: (@Sendable (Endpoint) -> any Desk)?
    /// Wall-clock time: stored timestamps, signature windows, retry schedules, rate limits.
    public var now: @Sendable () -> Date
    /// Draws a number from a range: the outbox's retry jitter.
    public var random: @Sendable (ClosedRange<Double>) -> Double
    /// Replaces the retry policy the configuration's `delivery` settings give (tests wait milliseconds, not minutes).
    public var retryPolicy: RetryPolicy?
    public var metrics: BatonMetrics
    /// What the store needs running while it is used (PostgreSQL's connection pool); started before everything else.
    public var services: [any Service]
    /// Carries hub events to the other instances sharing the store; `nil` when this process is the only one (SQLite).
    public var hubRelay: (any HubRelay)?
    /// Rate buckets every instance on the store shares (`limits.newConversationsPerMinute` across instances); `nil`
    /// when this process is the only one, and the count is kept in its memory.
    public var sharedRateBuckets: (any SharedRateBuckets)?
    /// How long the first of a burst of a Chatwoot conversation's messages waits for the others (Chatwoot's
    /// workers deliver in parallel), so they are answered in the contact's order.
    public var arrivalWindow: Duration = .milliseconds(150)
    /// How often the outbox looks for jobs that no ring told it of: those other instances store. Every job this
    /// instance stores rings it; tests lengthen the interval to hold them to that.
    public var outboxPollInterval: Duration = OutboxWorker.defaultPollInterval
    /// How often old sessions and webhook delivery ids are looked for (see `Housekeeping`); tests shorten it.
    public var housekeepingInterval: Duration = Housekeeping.defaultInterval
    /// Closes the open webchat sockets with 1001 when the server stops; a service to run beside the application and
    /// stop before it (`baton serve` does), else the WebSocket library closes them with 1000.
    public var webchatGoodbye = WebchatGoodbye()
    /// The config file to read again on a reload (see `ConfigurationReload`); `nil` when the server was not started
    /// from one (tests), and `POST /admin/reload` then answers 404.
    public var configurationSource: ConfigurationSource?

    public init(
        store: any SessionStore, desk: (@Sendable (Endpoint) -> any Desk)? = nil, now: @escaping @Sendable () -> Date = Date.init,
        random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) }, retryPolicy: RetryPolicy? = nil,
        metrics: BatonMetrics = BatonMetrics(), services: [any Service] = [], hubRelay: (any HubRelay)? = nil
    ) {
        self.store = store
        self.desk = desk
        self.now = now
        self.random = random
        self.retryPolicy = retryPolicy
        self.metrics = metrics
        self.services = services
        self.hubRelay = hubRelay
    }

    /// The production parts for a configuration: the store it names, PostgreSQL when `storage.postgres` is set, else SQLite.
    public static func live(_ configuration: BatonConfiguration, logger: Logger = Logger(label: "baton")) throws -> AppDependencies {
        if let postgres = configuration.storage.postgres {
            let store = PostgresSessionStore(settings: postgres, logger: logger)
            // Straight to PostgreSQL when the pool goes through PgBouncer in transaction mode (`listenURL`).
            let relay = store.notifications(listenerConfiguration: try postgres.listenerSettings().connectionConfiguration(applicationName: "baton hub listener"))
            var dependencies = AppDependencies(store: store, services: [store.pool], hubRelay: relay)
            dependencies.sharedRateBuckets = store
            return dependencies
        }
        let storage = configuration.storage
        return AppDependencies(store: try SQLiteSessionStore(path: storage.sqlitePath, syncsEachCommit: storage.sqliteSyncsEachCommit))
    }

    /// Applies the store's schema migrations and returns, running the store's services only meanwhile (`baton migrate`).
    public func migrateStore() async throws {
        try await withStore { try await $0.migrate() }
    }

    /// Runs `body` with the store, its services (PostgreSQL's pool) running only meanwhile: for the commands that
    /// use the store without serving (`migrate`, `chatwoot setup`, `doctor`).
    public func withStore<T: Sendable>(_ body: @Sendable (any SessionStore) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { try await service.run() } }
            defer { group.cancelAll() }
            // The services end on cancellation; what they throw then is of no interest.
            return try await body(store)
        }
    }
}
