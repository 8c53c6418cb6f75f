import BatonConfig
import BatonCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging

/// Serves the webchat page and its assets, and upgrades its WebSocket.
struct WebchatController {
    let endpoints: EndpointRegistry
    let assets: WebchatAssets
    /// Tells who a socket's client is; its socket counts the conversations it starts.
    let newConversations: NewConversationLimit
    let logger: Logger
    /// What serves each endpoint's webchat sockets, by endpoint id: made once, shared by the endpoint's sockets.
    let sockets: [String: WebchatSocket]

    init(endpoints: EndpointRegistry, assets: WebchatAssets, newConversations: NewConversationLimit, logger: Logger, socket: (Endpoint) -> WebchatSocket) {
        self.endpoints = endpoints
        self.assets = assets
        self.newConversations = newConversations
        self.logger = logger
        sockets = Dictionary(endpoints.endpoints.map { ($0.id, socket($0)) }, uniquingKeysWith: { first, _ in first })
    }

    /// The assets a page may load by `webchat/assets/{file}`.
    static let pageAssets: Set<String> = ["webchat.js", "webchat-texts.js", "webchat.css"]

    /// A strict policy: the page runs only its own script and style and talks only to its own origin.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' https: http: data:; media-src https: http:; base-uri 'none'; form-action 'none'; frame-ancestors *"

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("widget.js", use: widget)
        router.get("webchat/assets/{file}", use: asset)
        router.get("webchat/{urlToken}", use: page)
        router.ws("webchat/{urlToken}/socket") { request, context in
            guard let token = context.parameters.get("urlToken"), let endpoint = endpoints.endpoint(urlToken: token),
                endpoint.configuration.webchat.enabled
            else { return .dontUpgrade }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            // This closure waits as long as the socket is open, and what its frame holds stays in the socket's memory
            // all that time: the lookup is a plain function, so the request's context and endpoint are not in it.
            guard let socket = socket(for: context.requestContext) else { return }
            if let code = await socket.serve(inbound: inbound, outbound: outbound, origin: origin(of: context, socket: socket)) {
                await WebchatSocket.close(outbound, with: code)
            }
        }
    }

    /// Where a socket comes from, in one reference: the upgrade's wait holds it for the socket's life, and its executor
    /// and client held apart (an optional address of 17 bytes) took every socket onto one more slab of task memory
    /// (32.1 KB a socket in the bench against 31.0; BENCHMARKS.md).
    func origin(of context: WebSocketRouterContext<AppRequestContext>, socket: WebchatSocket) -> WebchatSocket.Origin {
        WebchatSocket.Origin(
            executor: socket.executor(for: context.requestContext.eventLoop),
            client: newConversations.client(peer: context.requestContext.channel.remoteAddress, forwardedFor: context.request.headers[values: .xForwardedFor]))
    }

    /// What serves the socket a request upgrades, by the `urlToken` in its path.
    func socket(for context: AppRequestContext) -> WebchatSocket? {
        guard let token = context.parameters.get("urlToken"), let endpoint = endpoints.endpoint(urlToken: token) else { return nil }
        return sockets[endpoint.id]
    }

    func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let token = try context.parameters.require("urlToken")
        guard let endpoint = endpoints.endpoint(urlToken: token), endpoint.configuration.webchat.enabled else {
            throw HTTPError(.notFound, message: "no webchat endpoint '\(token)'")
        }
        return try serve("index.html", to: request)
    }

    /// The page's script and style: revalidated on every visit (`no-cache`), which costs a `304` while they are
    /// unchanged, so a new version is picked up at once.
    func asset(_ request: Request, context: AppRequestContext) async throws -> Response {
        let file = try context.parameters.require("file")
        guard Self.pageAssets.contains(file) else { throw HTTPError(.notFound) }
        return try serve(file, to: request)
    }

    /// The embeddable widget (docs/widget.md): loaded by other sites' pages, so it may be fetched cross-origin and
    /// cached for a short while (every page view of every site that embeds it asks for it).
    func widget(_ request: Request, context: AppRequestContext) async throws -> Response {
        var response = try serve("widget.js", to: request, cacheControl: "public, max-age=300")
        response.headers[.accessControlAllowOrigin] = "*"
        response.headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] = "cross-origin"
        return response
    }

    func serve(_ file: String, to request: Request, cacheControl: String = "no-cache") throws -> Response {
        guard var response = assets.response(file, to: request, cacheControl: cacheControl) else { throw HTTPError(.notFound) }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return response
    }
}
