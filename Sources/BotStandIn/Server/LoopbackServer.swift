import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// One listening Hummingbird server, started and stopped by its stand-in.
final class LoopbackServer: Sendable {
    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    let host: String
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, Never>

    private init(host: String, port: Int, group: ServiceGroup, task: Task<Void, Never>) {
        self.host = host
        self.port = port
        self.group = group
        self.task = task
    }

    /// Binds `host:port` (0 = a free port) and returns once connections are accepted.
    static func start(host: String, port: Int, name: String, responder: BotResponder) async throws -> LoopbackServer {
        var logger = Logger(label: name)
        // Quiet by default: the stand-ins run inside test processes whose output should stay readable.
        logger.logLevel = .warning
        let (stream, continuation) = AsyncStream.makeStream(of: Result<Int, any Error>.self)
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: name),
            onServerRunning: { channel in continuation.yield(.success(channel.localAddress?.port ?? port)) },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            do {
                try await group.run()
            } catch {
                continuation.yield(.failure(error))
            }
            continuation.finish()
        }
        for await result in stream {
            switch result {
            case .success(let bound): return LoopbackServer(host: host, port: bound, group: group, task: task)
            case .failure(let error): throw error
            }
        }
        throw StartError(description: "the HTTP server stopped before it was listening")
    }

    /// `http://host:port`, with a wildcard address replaced by loopback so the URL can be used as is.
    var rootURL: String {
        let shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        return "http://\(shown.contains(":") ? "[\(shown)]" : shown):\(port)"
    }

    /// Stops listening and waits for open requests to end.
    func shutdown() async {
        await group.triggerGracefulShutdown()
        await task.value
    }
}
