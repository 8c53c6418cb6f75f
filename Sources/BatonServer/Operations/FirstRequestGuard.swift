import NIOCore

/// Closes a connection that has not sent a byte yet when the server stops, or once `timeout` has passed.
///
/// Until a connection's first request arrives, Hummingbird's HTTP/WebSocket channel waits for it to choose between
/// plain HTTP and a WebSocket upgrade, and the HTTP handling that closes idle connections on shutdown is not in
/// place yet. So a client that opened a connection and never used it (an HTTP client's spare pooled connection,
/// seen in the multi-instance tests) held a stopping server until that client went away, and any number of such
/// connections could hold descriptors for good.
final class FirstRequestGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    /// - Parameter timeout: how long a new connection may stay silent (`server.idleTimeoutSeconds`, like an idle
    ///   kept-alive one); a browser or HTTP client sends its request at once.
    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startTimer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startTimer(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    /// The first bytes: the HTTP pipeline takes over, shutdown and idle handling included.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        timer?.cancel()
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func startTimer(_ context: ChannelHandlerContext) {
        guard timer == nil else { return }
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }
}
