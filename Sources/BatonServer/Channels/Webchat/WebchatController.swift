import BatonConfig
import BatonCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOWebSocket
import ServiceLifecycle

/// Serves the webchat page and its assets, and upgrades its WebSocket.
struct WebchatController {
    let endpoints: EndpointRegistry
    let logger: Logger
    /// The socket that serves an endpoint's webchat: it holds what a conversation needs.
    let socket: @Sendable (Endpoint) -> WebchatSocket

    /// The assets a page may load; anything else is a 404, so no path can reach outside the bundle folder.
    static let assets: [String: String] = [
        "webchat.js": "text/javascript; charset=utf-8",
        "webchat.css": "text/css; charset=utf-8",
    ]

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
            guard let token = context.requestContext.parameters.get("urlToken"), let endpoint = endpoints.endpoint(urlToken: token) else { return }
            let socket = socket(endpoint)
            do {
                // An open socket would hold a stopping server forever: say goodbye (1001), and the page reconnects,
                // to another instance or to this one once it is back.
                try await withGracefulShutdownHandler {
                    try await socket.run(inbound: inbound, outbound: outbound)
                } onGracefulShutdown: {
                    Task { try? await outbound.close(.goingAway, reason: "server restarting") }
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("webchat socket ended with an error", metadata: ["endpoint": "\(endpoint.id)", "error": "\(String(reflecting: error))"])
            }
        }
    }

    func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let token = try context.parameters.require("urlToken")
        guard let endpoint = endpoints.endpoint(urlToken: token), endpoint.configuration.webchat.enabled else {
            throw HTTPError(.notFound, message: "no webchat endpoint '\(token)'")
        }
        return try Self.resource("index.html", contentType: "text/html; charset=utf-8")
    }

    func asset(_ request: Request, context: AppRequestContext) async throws -> Response {
        let file = try context.parameters.require("file")
        guard let contentType = Self.assets[file] else { throw HTTPError(.notFound) }
        return try Self.resource(file, contentType: contentType)
    }

    /// The embeddable widget (docs/widget.md): loaded by other sites' pages, so it may be fetched cross-origin and
    /// cached for a short while (every page view of every site that embeds it asks for it).
    func widget(_ request: Request, context: AppRequestContext) async throws -> Response {
        var response = try Self.resource("widget.js", contentType: "text/javascript; charset=utf-8")
        response.headers[.cacheControl] = "public, max-age=300"
        response.headers[.accessControlAllowOrigin] = "*"
        response.headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] = "cross-origin"
        return response
    }

    static func resource(_ file: String, contentType: String) throws -> Response {
        let name = (file as NSString).deletingPathExtension
        let ext = (file as NSString).pathExtension
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "webchat") else {
            throw HTTPError(.notFound)
        }
        let data = try Data(contentsOf: url)
        var headers: HTTPFields = [.contentType: contentType, .cacheControl: "no-cache"]
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
