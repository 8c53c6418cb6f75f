public import Hummingbird
public import HummingbirdWebSocket

/// The per-request context of every route, HTTP and WebSocket alike.
public struct AppRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
    }

    /// Request bodies above 256 KiB are refused: no message Baton accepts comes near that.
    public var maxUploadSize: Int { 256 * 1024 }
}
