import NIOCore
import Synchronization

/// How the stand-in behaves while "down" (see ``ChatwootStandIn/goDown(_:)``).
public enum DownMode: Sendable, Equatable {
    /// Stop listening: connections are refused.
    case refuseConnections
    /// Accept connections and close them at once, without an answer.
    case closeConnections
    /// Accept connections and never answer (clients run into their timeouts).
    case hangConnections
}

/// Shared switch consulted by every connection's ``GateHandler``.
final class ConnectionGate: Sendable {
    let mode = Mutex<DownMode?>(nil)
    private let hung = Mutex<[ObjectIdentifier: any Channel]>([:])

    func hold(_ channel: any Channel) { hung.withLock { $0[ObjectIdentifier(channel)] = channel } }

    /// Closes every connection kept hanging (when coming back up or shutting down).
    func releaseHeld() {
        let channels = hung.withLock { held in
            let all = Array(held.values)
            held.removeAll()
            return all
        }
        for channel in channels { channel.close(promise: nil) }
    }
}

/// Sits right after HTTP decoding; while the gate is closed it drops the connection or swallows the request.
final class GateHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Never
    private let gate: ConnectionGate

    init(gate: ConnectionGate) { self.gate = gate }

    func handlerAdded(context: ChannelHandlerContext) {
        if gate.mode.withLock({ $0 }) == .closeConnections { context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch gate.mode.withLock({ $0 }) {
        case .closeConnections?:
            context.close(promise: nil)
        case .hangConnections?:
            gate.hold(context.channel)
        default:
            context.fireChannelRead(data)
        }
    }
}
