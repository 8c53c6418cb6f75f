public import BatonConfig
import AsyncHTTPClient
import BatonCore
import Foundation
public import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
public import Logging
import NIOCore
import ServiceLifecycle

/// Builds the whole server: the one place where configuration, store, channels, desks and services meet. Each part
/// is built after what it needs and handed what it uses; nothing is attached afterwards, and nothing reaches
/// through another part for its dependencies (docs/architecture.md draws the graph).
/// - Parameters:
///   - onRunning: called with the bound port once the server listens (the port is the real one when 0 was asked).
public func buildApplication(
    configuration: BatonConfiguration, dependencies: AppDependencies, logger: Logger,
    onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let endpoints = EndpointRegistry(configuration.endpoints)
    let store = dependencies.store
    let metrics = dependencies.metrics
    let now = dependencies.now
    let delivery = configuration.delivery
    let background = BackgroundWork()
    let outboxBell = Doorbell()
    let clockBell = Doorbell()

    // The instances that share the store, this one named after its host and process (the admin page lists them).
    let instances = InstanceDirectory(relay: dependencies.hubRelay, here: .current())
    // The flows and notices, read again from the config file on SIGHUP or from the admin page (there on every
    // instance that shares the store).
    let reload = dependencies.configurationSource.map { ConfigurationReload(endpoints: endpoints, source: $0, metrics: metrics, logger: logger) }
    let reloadEverywhere = reload.map { ReloadEverywhere(reload: $0, instances: instances, background: background, logger: logger) }

    // With other instances on the same store, the hub's events travel between them (see HubFanOut).
    let hub: ConversationHub
    var fanOut: HubFanOut?
    if let relay = dependencies.hubRelay {
        let (relayed, announcements, listening) = ConversationHub.relayed()
        hub = relayed
        fanOut = HubFanOut(
            hub: relayed, announcements: announcements, listening: listening, relay: relay, store: store, instanceID: instances.here.instance, metrics: metrics,
            now: now, commands: { reloadEverywhere?.receive($0) }, logger: logger)
    } else {
        hub = ConversationHub()
    }

    // Desks given by the caller (tests) replace the configured ones entirely.
    let address = PublicAddress(configuration.server.publicURL)
    let chatwoot =
        dependencies.desk == nil
        ? ChatwootDesks(
            endpoints: endpoints, store: store, http: ChatwootHTTPClient.shared, links: HTTPClient.shared, timeout: .seconds(delivery.requestTimeoutSeconds),
            maxFileBytes: configuration.limits.maxFileBytes, address: address, logger: logger) : ChatwootDesks()
    let desks = dependencies.desk.map { Desks($0) } ?? Desks(chatwoot.desks, channelDesks: chatwoot.inboxes)
    let replies = ReplyChannels(chatwoot.inboxes)

    let conversations = Conversations(
        store: store, hub: hub, limits: MessageLimits(configuration.limits), outboxBell: outboxBell, clockBell: clockBell, metrics: metrics,
        notifiedEndpoints: Set(configuration.endpoints.filter { $0.rest.callback != nil }.map(\.id)),
        messageRetention: configuration.retention.messageDays.map { Double($0) * 24 * 3600 }, now: now, logger: logger)
    let clock = HandoverClock(store: store, conversations: conversations, endpoints: endpoints, bell: clockBell, now: now, logger: logger)
    let reconciler = Reconciler(
        store: store, desks: desks, endpoints: endpoints, conversations: conversations, background: background, metrics: metrics, now: now, logger: logger)
    let dispatcher = DeskDispatcher(
        store: store, desks: desks, replies: replies, endpoints: endpoints, conversations: conversations, reconciler: reconciler, logger: logger)
    // Bots: the outside bots flows' `bot` nodes talk to, each turn through the outbox like desk work.
    let bots = BotTurns(
        store: store, bots: RemoteBots(configuration.bots, metrics: metrics, now: now, http: BotHTTPClient.shared), endpoints: endpoints,
        conversations: conversations, metrics: metrics, now: now, logger: logger)
    // Outside bots that own their conversations hear of their handovers at their callback URL.
    let callbacks = HandoverCallbacks(
        store: store, endpoints: endpoints, http: BotHTTPClient.shared, timeout: .seconds(delivery.requestTimeoutSeconds), now: now, logger: logger)
    let policy =
        dependencies.retryPolicy
        ?? RetryPolicy(giveUpAfter: .seconds(delivery.giveUpAfterSeconds), openGiveUpAfter: .seconds(delivery.openGiveUpAfterSeconds))
    let outbox = OutboxWorker(
        store: store, performer: OutboxRouter(desks: dispatcher, bots: bots, callbacks: callbacks), doorbell: outboxBell, policy: policy, lease: .seconds(delivery.leaseSeconds),
        pollInterval: dependencies.outboxPollInterval, metrics: metrics,
        random: dependencies.random, now: now, logger: logger)
    let presence = UserPresenceRelay(store: store, desks: desks, background: background, now: now)
    let housekeeping = Housekeeping(
        store: store, hub: hub, retention: configuration.retention, interval: dependencies.housekeepingInterval, metrics: metrics, now: now,
        logger: logger)
    // The SQLite database's copies; PostgreSQL is backed up with its own tools.
    let keepsSQLite = configuration.storage.postgres == nil
    let backups = configuration.storage.sqliteBackups.flatMap { settings in
        keepsSQLite ? ScheduledBackups(database: configuration.storage.sqlitePath, settings: settings, metrics: metrics, now: now, logger: logger) : nil
    }

    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        RequestScopeMiddleware()
        // A span per request, continuing the caller's `traceparent`, when tracing is on. Off, the middleware still
        // built each request's attributes for a span nobody records: 1.7 % of a relayed webhook's processor time.
        if configuration.tracing.enabled { TracingMiddleware() }
        MetricsMiddleware()
        InFlightLimitMiddleware(
            limit: configuration.server.maxInFlightRequests, report: RefusalReport(reason: "in_flight_cap", what: "requests", metrics: metrics, logger: logger))
        ErrorLoggingMiddleware()
    }
    HealthController(store: store).addRoutes(to: router)
    let erasure = SessionErasure(store: store, hub: hub, metrics: metrics, logger: logger)
    AdminController(
        store: store, metrics: metrics, outboxBell: outboxBell, token: configuration.admin.token, erasure: erasure, endpoints: endpoints,
        deskHealth: DeskHealth(now: now), backups: keepsSQLite ? AdminBackups(scheduled: backups) : nil, reload: reloadEverywhere, instances: instances, now: now,
        logger: logger
    ).addRoutes(to: router)
    // Channels: where users are. Anyone can start a conversation on these two, so each client starts only so many.
    let newConversations = NewConversationLimit(
        configuration.limits, trustedProxies: configuration.server.trustedProxies, shared: dependencies.sharedRateBuckets, metrics: metrics, now: now)
    WebchatController(
        endpoints: endpoints, assets: try WebchatAssets(brands: { endpoints.webchatBrands }), newConversations: newConversations, logger: logger
    ) { endpoint in
        WebchatSocket(
            endpoint: endpoint, conversations: conversations, store: store, hub: hub, presence: presence, reconciler: reconciler,
            goodbye: dependencies.webchatGoodbye, erasure: erasure, newConversations: newConversations, logger: logger)
    }.addRoutes(to: router)
    let files = UserFiles(conversations: conversations, store: store, limits: configuration.limits, publicURL: configuration.server.publicURL, now: now)
    FilesController(endpoints: endpoints, store: store, files: files).addRoutes(to: router)
    let pages = MessagePages(store: store, hub: hub, reconciler: reconciler)
    let presenceRoutes = UserPresenceRoutes(presence: presence)
    RESTController(
        endpoints: endpoints, conversations: conversations, store: store, pages: pages, reconciler: reconciler, presence: presenceRoutes, files: files,
        erasure: erasure, newConversations: newConversations
    ).addRoutes(to: router)
    // Outside bots that own their conversations and need only the handover.
    HandoversController(
        endpoints: endpoints, conversations: conversations, store: store, pages: pages, reconciler: reconciler, presence: presenceRoutes, files: files,
        erasure: erasure, maxTextLength: configuration.limits.maxMessageLength, now: now
    ).addRoutes(to: router)
    AgentBotWebhookController(
        channels: chatwoot.channels, arrival: ArrivalOrder(window: dependencies.arrivalWindow), conversations: conversations, store: store, metrics: metrics,
        now: now, logger: logger)
        .addRoutes(to: router)
    // Desks: what they report back.
    ChatwootWebhookController(
        endpoints: endpoints, conversations: conversations, typingNotices: AgentTypingNotices(store: store, callbacks: callbacks, background: background),
        store: store, metrics: metrics, now: now, logger: logger
    ).addRoutes(to: router)
    // The root sends people to the first webchat, which is what someone trying Baton out wants to see.
    if let first = endpoints.endpoints.first(where: { $0.configuration.webchat.enabled }) {
        router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/webchat/\(first.configuration.urlToken)"]) }
    }
    MethodNotAllowed.register(on: router)

    let sharesStore = fanOut != nil
    var app = Application(
        router: router,
        server: server(
            configuration.server, responder: router.buildResponder(),
            refusals: RefusalReport(reason: "connection_cap", what: "connections", metrics: metrics, logger: logger), logger: logger),
        configuration: ApplicationConfiguration(address: .hostname(configuration.server.host, port: configuration.server.port), serverName: "Baton"),
        onServerRunning: { channel in
            // Webhooks sent while Baton was down are lost for good: read what the agents wrote meanwhile.
            let startedAt = dependencies.now()
            let gathering = sharesStore ? Duration.seconds(configuration.delivery.startupReconcileDelaySeconds) : .zero
            background.submit { await reconciler.reconcileAllActive(startedAt: startedAt, after: gathering) }
            // A Chatwoot channel's bot posts to Baton's own URL, known now.
            if configuration.server.publicURL == nil { address.set(configuration.baseURL(port: channel.localAddress?.port ?? configuration.server.port)) }
            background.submit { await chatwoot.prepare(channels: true) }
            await onRunning(channel.localAddress?.port ?? configuration.server.port)
        },
        logger: logger)
    // The store's services first: ServiceGroup starts services in order and stops them in reverse, so the pool
    // outlives the workers that use it.
    app.addServices(dependencies.services)
    if let fanOut { app.addServices(fanOut) }
    app.addServices(background, outbox, clock, housekeeping)
    if let backups { app.addServices(backups) }
    if let reload, let signal = reload.source.signal { app.addServices(ReloadOnSignal(reload: reload, signal: signal)) }
    if let reload, let every = reload.source.watchEvery { app.addServices(ReloadOnFileChange(reload: reload, every: every)) }
    app.beforeServerStarts {
        try await store.migrate()
        outbox.storeIsReady()
        clock.storeIsReady()
        housekeeping.storeIsReady()
        backups?.storeIsReady()
        // Set the agent bots up now, so a wrong token shows in the log at start rather than at the first handover.
        background.submit { await chatwoot.prepare(channels: false) }
    }
    return app
}

/// HTTP/1 with WebSocket upgrades, behind the connection cap (above it a connection is answered 503 and closed)
/// and one idle limit for every connection: before its first request (FirstRequestGuard) and between requests.
/// Connections log through `logger`, with early closes at `debug` (see `EarlyCloseLogFilter`). A WebSocket frame may be
/// as long as a whole webchat message: browsers send a message as one frame, however long (the library's default
/// of 16 KiB closed their sockets on a message of 17 to 64 KiB).
func server<WebSocketResponder: HTTPResponder>(
    _ settings: ServerSettings, responder: WebSocketResponder, refusals: RefusalReport, logger: Logger
) -> HTTPServerBuilder where WebSocketResponder.Context: WebSocketRequestContext {
    let gate = CapacityGate(limit: min(settings.maxConnections ?? .max, CapacityGate.defaultLimit()), report: refusals)
    let idleTimeout = TimeAmount.seconds(Int64(settings.idleTimeoutSeconds))
    return HTTPServerBuilder { handler in
        GatedChildChannel(
            base: HTTP1WebSocketUpgradeChannel(
                responder: handler, webSocketResponder: responder,
                configuration: .init(http1: .init(idleTimeout: idleTimeout), ws: WebSocketServerConfiguration(maxFrameSize: WebchatSocket.maxMessageSize))),
            gate: gate, firstRequestTimeout: idleTimeout, connectionLogger: logger.quietAboutEarlyCloses)
    }
}

extension BatonConfiguration {
    /// The URL people reach the server at: `server.publicURL`, else derived from the bound address.
    public func baseURL(port: Int) -> String { server.publicURL ?? localURL(port: port) }

    /// The server's URL from this machine: its bound address, loopback when it listens on every address.
    public func localURL(port: Int) -> String {
        let host = server.host == "0.0.0.0" || server.host == "::" ? "127.0.0.1" : server.host
        return "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}
