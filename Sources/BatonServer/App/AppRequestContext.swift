public import Hummingbird
public import HummingbirdWebSocket
public import NIOCore

/// The per-request context of every route, HTTP and WebSocket alike.
public struct AppRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The loop of the request's connection (a webchat socket's forwarder sends from it).
    public let eventLoop: any EventLoop

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.eventLoop = source.channel.eventLoop
    }

    /// Request bodies above 256 KiB are refused: no message Baton accepts comes near that.
    public var maxUploadSize: Int { 256 * 1024 }
}
