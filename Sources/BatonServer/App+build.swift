public import BatonConfig
public import BatonCore
import BatonStoreSQLite
import Foundation
public import Hummingbird
import HummingbirdWebSocket
public import Logging
public import NIOCore

/// The parts of Baton that tests swap: the store, the handover gateways and the clock.
public struct AppDependencies: Sendable {
    public var store: any SessionStore
    public var handover: @Sendable (Endpoint) -> any HandoverGateway
    public var now: @Sendable () -> Date

    public init(
        store: any SessionStore, handover: @escaping @Sendable (Endpoint) -> any HandoverGateway = { _ in UnsupportedHandoverGateway() },
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.handover = handover
        self.now = now
    }

    /// The production parts for a configuration: the SQLite store it names.
    public static func live(_ configuration: BatonConfiguration) throws -> AppDependencies {
        AppDependencies(store: try SQLiteSessionStore(path: configuration.storage.sqlitePath))
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
    let conversations = ConversationService(
        store: dependencies.store, hub: ConversationHub(), endpoints: endpoints, handover: dependencies.handover, now: dependencies.now, logger: logger)
    let router = buildRouter(conversations: conversations, logger: logger)
    var app = Application(
        router: router,
        server: .http1WebSocketUpgrade(webSocketRouter: router),
        configuration: ApplicationConfiguration(address: .hostname(configuration.server.host, port: configuration.server.port), serverName: "Baton"),
        onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? configuration.server.port) },
        logger: logger)
    let store = dependencies.store
    app.beforeServerStarts { try await store.migrate() }
    return app
}

func buildRouter(conversations: ConversationService, logger: Logger) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        ErrorLoggingMiddleware()
    }
    HealthController(store: conversations.store).addRoutes(to: router)
    WebchatController(conversations: conversations, logger: logger).addRoutes(to: router)
    RESTController(conversations: conversations).addRoutes(to: router)
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
