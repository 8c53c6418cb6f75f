import Foundation
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// Counts what is held at once (open connections, requests in flight) and refuses more than a cap. For
/// connections this keeps the process from running out of file descriptors (a server that reaches the open-file
/// limit cannot accept, open its database or call Chatwoot, and may crash).
public final class CapacityGate: Sendable {
    /// The most held at once.
    public let limit: Int
    private let open = Atomic<Int>(0)
    /// Refused connections kept open a moment after their 503 (see `RefusalHandler`); bounded, so a flood of
    /// refusals cannot hold descriptors either.
    private let lingering = Atomic<Int>(0)
    static let maxLingering = 256
    /// Tells the operator when refusing starts and ends, and counts each refusal.
    private let report: RefusalReport?

    public convenience init(limit: Int) {
        self.init(limit: limit, report: nil)
    }

    init(limit: Int, report: RefusalReport?) {
        self.limit = max(1, limit)
        self.report = report
    }

    /// How many are held now.
    public var count: Int { open.load(ordering: .relaxed) }

    func tryAcquire() -> Bool {
        var current = open.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = open.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged {
                report?.admitted()
                return true
            }
            current = original
        }
        report?.refused(limit: limit)
        return false
    }

    func release() { open.subtract(1, ordering: .relaxed) }

    /// Takes a place for a refused connection to linger, when fewer than `maxLingering` do.
    func tryLinger() -> Bool {
        var current = lingering.load(ordering: .relaxed)
        while current < Self.maxLingering {
            let (exchanged, original) = lingering.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func endLinger() { lingering.subtract(1, ordering: .relaxed) }

    /// The default cap: the process's open-file limit less room for the database, Chatwoot calls and logs.
    public static func defaultLimit(headroom: Int = 1_024) -> Int {
        var limit = rlimit()
        // An unlimited (or absurdly high) limit still gets a sane cap.
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < 10_000_000 else { return 100_000 }
        return max(64, Int(limit.rlim_cur) - headroom)
    }

    /// The answer a connection over the cap gets before it is closed: written raw, as no HTTP handler is set up.
    static let refusal: String = {
        let body = #"{"error":{"code":"server_busy","message":"too many open connections; try again shortly"}}"#
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Retry-After: 1\r\nConnection: close\r\n\r\n\(body)"
    }()
}

/// A server child channel that admits a connection only through a `CapacityGate`, and closes an admitted one that
/// sends nothing within `firstRequestTimeout` or before the server stops (see `FirstRequestGuard`).
struct GatedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    /// The base's value, and whether the connection was refused: a refused one is never handed to the HTTP handlers (they
    /// would report its end, which Baton chose, as an error).
    struct Value: ServerChildChannelValue {
        let base: Base.Value
        let refused: Bool
        var channel: any Channel { base.channel }
    }

    let base: Base
    let gate: CapacityGate
    let firstRequestTimeout: TimeAmount
    /// What connections log through, made once: a logger whose handler is replaced is a new box, and made per
    /// connection it stayed with every open socket (130 bytes each, heaptrack).
    let connectionLogger: Logger

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard gate.tryAcquire() else {
            // The HTTP pipeline is still set up below (setup must produce its value), behind a handler that answers
            // 503 as soon as the connection is up and closes it, so a flood of connections cannot hold descriptors;
            // what the client sends never reaches the HTTP handlers.
            do {
                try channel.pipeline.syncOperations.addHandler(RefusalHandler(gate: gate), position: .first)
            } catch {
                channel.close(promise: nil)
            }
            return base.setup(channel: channel, logger: logger).map { Value(base: $0, refused: true) }
        }
        let gate = self.gate
        channel.closeFuture.whenComplete { _ in gate.release() }
        do {
            try channel.pipeline.syncOperations.addHandler(FirstRequestGuard(timeout: firstRequestTimeout), position: .first)
        } catch {
            channel.close(promise: nil)
        }
        return base.setup(channel: channel, logger: logger).map { Value(base: $0, refused: false) }
    }

    func handle(value: Value, logger: Logger) async {
        if value.refused {
            // The refusal handler answers and closes it; the server still counts it as open until then.
            try? await value.channel.closeFuture.get()
            return
        }
        // `logger` is the server's own, the one `connectionLogger` was made from.
        await base.handle(value: value.base, logger: connectionLogger)
    }
}

/// Answers a connection over the cap with a raw 503 and closes it.
final class RefusalHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var answered = false
    private let gate: CapacityGate

    /// How long a refused connection stays half-open after its answer, for the client's request to arrive.
    static let linger: TimeAmount = .milliseconds(250)

    init(gate: CapacityGate) { self.gate = gate }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuse(context)
    }

    /// What the client sent is dropped: it is not going to be served.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func refuse(_ context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let channel = context.channel
        let gate = self.gate
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: CapacityGate.refusal))).whenComplete { _ in
            // Closing at once would make the kernel answer the request the client is still sending with a reset,
            // which can destroy the 503 before the client reads it. So: stop writing, keep draining what comes, and
            // close when the client does or after `linger`, as long as few refused connections linger at once.
            guard gate.tryLinger() else { return channel.close(promise: nil) }
            channel.closeFuture.whenComplete { _ in gate.endLinger() }
            channel.close(mode: .output, promise: nil)
            channel.eventLoop.scheduleTask(in: Self.linger) { channel.close(promise: nil) }
        }
    }
}
