public import Hummingbird
public import HummingbirdWebSocket
public import NIOCore

/// The per-request context of every route, HTTP and WebSocket alike.
public struct AppRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The request's connection: its loop (a webchat socket's forwarder sends from it) and its peer (the limits per
    /// client). Held whole, no larger than its loop alone, and its peer read only where a limit needs it.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.channel = source.channel
    }

    /// The loop of the request's connection.
    public var eventLoop: any EventLoop { channel.eventLoop }

    /// Request bodies above 256 KiB are refused: no message Baton accepts comes near that.
    public var maxUploadSize: Int { 256 * 1024 }
}
