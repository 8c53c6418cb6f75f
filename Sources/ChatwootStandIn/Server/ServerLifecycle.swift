import AsyncHTTPClient
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// Starts and stops the HTTP server and the webhook worker; serialises start/stop/down/up.
actor ServerLifecycle {
    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    private let host: String
    private let requestedPort: Int
    private let logger: Logger
    private let pipeline: RequestPipeline
    private let gate: ConnectionGate
    private var server: (group: ServiceGroup, task: Task<Void, Never>)?
    private var worker: (dispatchers: Dispatchers, tasks: [Task<Void, Never>], client: HTTPClient)?

    /// The two webhook workers: API-inbox webhooks and agent-bot webhooks.
    struct Dispatchers: Sendable {
        let inbox: WebhookDispatcher
        let agentBots: AgentBotDispatcher
    }
    /// The port in use; fixed after the first start so "coming back up" keeps the URL.
    private(set) var boundPort: Int?

    init(host: String, port: Int, logger: Logger, pipeline: RequestPipeline, gate: ConnectionGate) {
        self.host = host
        self.requestedPort = port
        self.logger = logger
        self.pipeline = pipeline
        self.gate = gate
    }

    var isListening: Bool { server != nil }

    /// Starts the webhook worker (once) and the listener; returns the bound port.
    func start(state: StandInState, webhookOptions: WebhookOptions) async throws -> (Int, Dispatchers) {
        let dispatchers: Dispatchers
        if let worker {
            dispatchers = worker.dispatchers
        } else {
            var configuration = HTTPClient.Configuration()
            // Each delivery has its own deadline (the current `timeout` option); the client only bounds connecting.
            configuration.timeout = .init(connect: TimeAmount(webhookOptions.timeout), read: nil)
            // Net::HTTP gives up at the first refused connection; AHC would retry until the connect timeout.
            configuration.connectionPool.retryConnectionEstablishment = false
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            let dispatcher = WebhookDispatcher(state: state, client: client, options: webhookOptions, logger: logger)
            let botDispatcher = AgentBotDispatcher(state: state, client: client, options: webhookOptions)
            await state.setEventSink { [dispatcher] event in dispatcher.enqueue(event) }
            await state.setBotSink { [botDispatcher] delivery in botDispatcher.enqueue(delivery) }
            dispatchers = Dispatchers(inbox: dispatcher, agentBots: botDispatcher)
            worker = (dispatchers, [Task { await dispatcher.run() }, Task { await botDispatcher.run() }], client)
        }
        if server == nil { try await listen() }
        return (boundPort ?? requestedPort, dispatchers)
    }

    /// Binds the listener (on the same port as before when restarting).
    func listen() async throws {
        guard server == nil else { return }
        let port = boundPort ?? requestedPort
        let (stream, continuation) = AsyncStream.makeStream(of: Result<Int, any Error>.self)
        let gate = self.gate
        let app = Application(
            responder: StandInResponder(pipeline: pipeline),
            server: .http1(configuration: .init(additionalChannelHandlers: [GateHandler(gate: gate)])),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "chatwoot-standin"),
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
            case .success(let actual):
                boundPort = actual
                server = (group, task)
                return
            case .failure(let error):
                throw error
            }
        }
        throw StartError(description: "the HTTP server stopped before it was listening")
    }

    /// Stops listening (connections are refused from now on); the state and webhook worker stay.
    func stopListening() async {
        guard let server else { return }
        self.server = nil
        gate.releaseHeld()
        await server.group.triggerGracefulShutdown()
        await server.task.value
    }

    /// Stops everything.
    func shutdown() async {
        await stopListening()
        if let worker {
            self.worker = nil
            worker.dispatchers.inbox.stop()
            worker.dispatchers.agentBots.stop()
            for task in worker.tasks {
                task.cancel()
                await task.value
            }
            try? await worker.client.shutdown()
        }
    }
}
