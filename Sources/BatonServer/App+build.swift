public import BatonConfig
public import BatonCore
import BatonChatwoot
import BatonStorePostgres
import BatonStoreSQLite
import Foundation
public import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
public import Logging
public import NIOCore
public import ServiceLifecycle

/// The parts of Baton that tests swap: the store, the handover providers, the clock and the retry timing.
public struct AppDependencies: Sendable {
    public var store: any SessionStore
    /// The provider of an endpoint's handovers; `nil` picks the one its configuration names.
    public var provider: (@Sendable (Endpoint) -> any HandoverProvider)?
    public var now: @Sendable () -> Date
    /// Replaces the retry policy the configuration's `delivery` settings give (tests wait milliseconds, not minutes).
    public var retryPolicy: RetryPolicy?
    public var metrics: BatonMetrics
    /// What the store needs running while it is used (PostgreSQL's connection pool); started before everything else.
    public var services: [any Service]
    /// Carries hub events to the other instances sharing the store; `nil` when this process is the only one (SQLite).
    public var hubRelay: (any HubRelay)?

    public init(
        store: any SessionStore, provider: (@Sendable (Endpoint) -> any HandoverProvider)? = nil, now: @escaping @Sendable () -> Date = Date.init,
        retryPolicy: RetryPolicy? = nil, metrics: BatonMetrics = BatonMetrics(), services: [any Service] = [], hubRelay: (any HubRelay)? = nil
    ) {
        self.store = store
        self.provider = provider
        self.now = now
        self.retryPolicy = retryPolicy
        self.metrics = metrics
        self.services = services
        self.hubRelay = hubRelay
    }

    /// The production parts for a configuration: the store it names, PostgreSQL when `storage.postgres` is set, else SQLite.
    public static func live(_ configuration: BatonConfiguration, logger: Logger = Logger(label: "baton")) throws -> AppDependencies {
        if let postgres = configuration.storage.postgres {
            let store = PostgresSessionStore(settings: postgres, logger: logger)
            let relay = store.notifications(listenerConfiguration: try postgres.connectionConfiguration(applicationName: "baton hub listener"))
            return AppDependencies(store: store, services: [store.pool], hubRelay: relay)
        }
        return AppDependencies(store: try SQLiteSessionStore(path: configuration.storage.sqlitePath))
    }

    /// Applies the store's schema migrations and returns, running the store's services only meanwhile (`baton migrate`).
    public func migrateStore() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { try await service.run() } }
            try await store.migrate()
            // The services end on cancellation; what they throw then is of no interest.
            group.cancelAll()
        }
    }
}

/// Builds the whole server: the one place where configuration, store, routes and services meet.
/// - Parameters:
///   - onRunning: called with the bound port once the server listens (the port is the real one when 0 was asked).
public func buildApplication(
    configuration: BatonConfiguration, dependencies: AppDependencies, logger: Logger,
    onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let endpoints = EndpointRegistry(configuration.endpoints)
    let background = BackgroundWork()
    let store = dependencies.store
    let delivery = configuration.delivery
    let policy =
        dependencies.retryPolicy
        ?? RetryPolicy(giveUpAfter: .seconds(delivery.giveUpAfterSeconds), openGiveUpAfter: .seconds(delivery.openGiveUpAfterSeconds))
    let outbox = OutboxWorker(
        store: store, policy: policy, lease: .seconds(delivery.leaseSeconds), metrics: dependencies.metrics, now: dependencies.now, logger: logger)
    // Providers given by the caller (tests) replace the configured ones entirely.
    let chatwoot =
        dependencies.provider == nil
        ? chatwootProviders(endpoints, store: store, timeout: .seconds(Int64(delivery.requestTimeoutSeconds)), logger: logger) : [:]
    let configured: @Sendable (Endpoint) -> any HandoverProvider = { endpoint in
        if let provider = chatwoot[endpoint.id] { return provider }
        return UnsupportedHandoverProvider()
    }
    // With other instances on the same store, the hub's events travel between them (see HubFanOut).
    let hub: ConversationHub
    var fanOut: HubFanOut?
    if let relay = dependencies.hubRelay {
        let (relayed, announcements) = ConversationHub.relayed()
        hub = relayed
        fanOut = HubFanOut(hub: relayed, announcements: announcements, relay: relay, store: store, metrics: dependencies.metrics, logger: logger)
    } else {
        hub = ConversationHub()
    }
    let conversations = ConversationService(
        store: store, hub: hub, endpoints: endpoints, background: background, outbox: outbox, metrics: dependencies.metrics,
        limits: MessageLimits(configuration.limits), provider: dependencies.provider ?? configured, now: dependencies.now, logger: logger)
    conversations.attachOutbox()
    let router = buildRouter(conversations: conversations, configuration: configuration, now: dependencies.now, logger: logger)
    // Never more connections than descriptors allow: above the cap a connection is answered 503 and closed.
    let gate = CapacityGate(limit: min(configuration.server.maxConnections ?? .max, CapacityGate.defaultLimit()))
    let webSocketResponder = router.buildResponder()
    // One idle limit for every connection: before its first request (FirstRequestGuard) and between requests.
    let idleTimeout = TimeAmount.seconds(Int64(configuration.server.idleTimeoutSeconds))
    let server = HTTPServerBuilder { responder in
        GatedChildChannel(
            base: HTTP1WebSocketUpgradeChannel(
                responder: responder, webSocketResponder: webSocketResponder,
                configuration: .init(http1: .init(idleTimeout: idleTimeout), ws: WebSocketServerConfiguration())),
            gate: gate, firstRequestTimeout: idleTimeout)
    }
    var app = Application(
        router: router,
        server: server,
        configuration: ApplicationConfiguration(address: .hostname(configuration.server.host, port: configuration.server.port), serverName: "Baton"),
        onServerRunning: { channel in
            // Webhooks sent while Baton was down are lost for good: read what the agents wrote meanwhile.
            background.submit { await conversations.reconcileAllActive() }
            await onRunning(channel.localAddress?.port ?? configuration.server.port)
        },
        logger: logger)
    // The store's services first: ServiceGroup starts services in order and stops them in reverse, so the pool
    // outlives the workers that use it.
    app.addServices(dependencies.services)
    if let fanOut { app.addServices(fanOut) }
    app.addServices(background, outbox)
    let now = dependencies.now
    app.beforeServerStarts {
        try await store.migrate()
        // Redeliveries come within seconds; a week of delivery ids is plenty.
        try await store.forgetDeliveries(before: now().addingTimeInterval(-7 * 24 * 3600))
        outbox.storeIsReady()
        // Set the agent bots up now, so a wrong token shows in the log at start rather than at the first handover.
        for provider in chatwoot.values {
            background.submit {
                do { _ = try await provider.bot.accessToken() } catch {
                    logger.error("Chatwoot agent bot setup failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
    return app
}

/// A Chatwoot provider for each endpoint whose configuration hands over to Chatwoot.
func chatwootProviders(
    _ endpoints: EndpointRegistry, store: any SessionStore, timeout: TimeAmount = .seconds(10), logger: Logger
) -> [String: ChatwootHandoverProvider] {
    var providers: [String: ChatwootHandoverProvider] = [:]
    for endpoint in endpoints.endpoints {
        guard case .chatwoot(let settings)? = endpoint.configuration.handover else { continue }
        let client = ChatwootClient(baseURL: settings.baseURL, accountID: settings.accountID, token: settings.apiAccessToken.value, timeout: timeout, logger: logger)
        let bot = AgentBotKeeper(endpointID: endpoint.id, settings: settings, client: client, store: store, logger: logger)
        providers[endpoint.id] = ChatwootHandoverProvider(settings: settings, client: client, bot: bot, store: store, logger: logger)
    }
    return providers
}

func buildRouter(
    conversations: ConversationService, configuration: BatonConfiguration, now: @escaping @Sendable () -> Date, logger: Logger
) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        InFlightLimitMiddleware(limit: configuration.server.maxInFlightRequests)
        ErrorLoggingMiddleware()
    }
    HealthController(store: conversations.store).addRoutes(to: router)
    AdminController(conversations: conversations, token: configuration.admin.token).addRoutes(to: router)
    FilesController(conversations: conversations, limits: configuration.limits, publicURL: configuration.server.publicURL).addRoutes(to: router)
    WebchatController(conversations: conversations, logger: logger).addRoutes(to: router)
    RESTController(conversations: conversations).addRoutes(to: router)
    ChatwootWebhookController(conversations: conversations, now: now, logger: logger).addRoutes(to: router)
    // The root sends people to the first webchat, which is what someone trying Baton out wants to see.
    if let first = conversations.endpoints.endpoints.first(where: { $0.configuration.webchat.enabled }) {
        router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/webchat/\(first.configuration.urlToken)"]) }
    }
    return router
}

extension BatonConfiguration {
    /// The URL people reach the server at: `server.publicURL`, else derived from the bound address.
    public func baseURL(port: Int) -> String {
        if let publicURL = server.publicURL { return publicURL }
        let host = server.host == "0.0.0.0" || server.host == "::" ? "127.0.0.1" : server.host
        return "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}
