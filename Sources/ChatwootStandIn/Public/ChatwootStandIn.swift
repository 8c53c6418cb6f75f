public import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// A faithful stand-in for Chatwoot v4.15.1's Application API, API-inbox webhooks and agent-bot
/// webhooks, for tests and local use.
///
/// ```swift
/// let standIn = try ChatwootStandIn()
/// try await standIn.start()                       // 127.0.0.1, a free port
/// let seed = await standIn.seedDefaults(webhookURL: receiverURL)
/// // point the client under test at standIn.baseURL with seed.administrator.accessToken …
/// try await standIn.agent(seed.agent.id).reply(ref, "Hi, I'm Maria")
/// await standIn.shutdown()
/// ```
///
/// Every request is recorded, checked against Chatwoot's swagger.json (in strict mode a mismatch is answered
/// 400), authenticated as Chatwoot does, and handled with Chatwoot's rules and JSON shapes. Webhooks are delivered
/// asynchronously, signed, never retried. It is also a ServiceLifecycle `Service` (`run()`).
public final class ChatwootStandIn: Service, Sendable {
    /// Settings fixed at creation (the knobs that can change later have their own methods).
    public struct Configuration: Sendable {
        /// Address to listen on.
        public var host = "127.0.0.1"
        /// Port; 0 picks a free one (read it back from ``ChatwootStandIn/port``).
        public var port = 0
        /// `FRONTEND_URL` used in attachment URLs and CSAT survey links; default: the stand-in's own base URL.
        public var frontendURL: String?
        /// Answer requests that violate swagger.json with 400 (they are recorded either way).
        public var strictSpec = true
        /// Check requests against swagger.json at all.
        public var checkSpec = true
        /// Where "now" comes from (timestamps, flood guard, webhook timestamps).
        public var clock: StandInClock = .system
        /// `CONVERSATION_MESSAGE_PER_MINUTE_LIMIT`.
        public var messagesPerMinuteLimit = 200
        /// Webhook delivery settings.
        public var webhooks = WebhookOptions()
        public var logger: Logger

        public init(
            host: String = "127.0.0.1", port: Int = 0, frontendURL: String? = nil, strictSpec: Bool = true, checkSpec: Bool = true,
            clock: StandInClock = .system, messagesPerMinuteLimit: Int = 200, webhooks: WebhookOptions = WebhookOptions(), logger: Logger? = nil
        ) {
            self.host = host
            self.port = port
            self.frontendURL = frontendURL
            self.strictSpec = strictSpec
            self.checkSpec = checkSpec
            self.clock = clock
            self.messagesPerMinuteLimit = messagesPerMinuteLimit
            self.webhooks = webhooks
            var fallback = Logger(label: "chatwoot-standin")
            fallback.logLevel = .warning
            self.logger = logger ?? fallback
        }
    }

    public let configuration: Configuration
    let state: StandInState
    let faults = FaultInjector()
    let gate = ConnectionGate()
    let pipeline: RequestPipeline
    let lifecycle: ServerLifecycle
    private let boundPort = Mutex<Int?>(nil)
    private let startWaiters = Mutex<[CheckedContinuation<Void, Never>]>([])
    let dispatchers = Mutex<ServerLifecycle.Dispatchers?>(nil)

    /// Creates a stopped stand-in with empty data. Throws when the bundled swagger.json cannot be read.
    public init(configuration: Configuration = Configuration()) throws {
        self.configuration = configuration
        self.state = StandInState(
            clock: configuration.clock, messagesPerMinuteLimit: configuration.messagesPerMinuteLimit, frontendURL: configuration.frontendURL ?? "")
        let validator = configuration.checkSpec ? SpecValidator(spec: try SwaggerSpec.bundled.get()) : nil
        self.pipeline = RequestPipeline(
            state: state, validator: validator, faults: faults, strictSpec: configuration.strictSpec, console: ConsoleAssets(), logger: configuration.logger)
        state.buildPayloadsAtEventTime.withLock { $0 = configuration.webhooks.buildPayloadsAtEventTime }
        self.lifecycle = ServerLifecycle(host: configuration.host, port: configuration.port, logger: configuration.logger, pipeline: pipeline, gate: gate)
    }

    // MARK: Lifecycle

    /// Binds the listener and starts the webhook worker. Returns once requests are accepted.
    public func start() async throws {
        let (port, dispatchers) = try await lifecycle.start(state: state, webhookOptions: configuration.webhooks)
        boundPort.withLock { $0 = port }
        self.dispatchers.withLock { $0 = dispatchers }
        if configuration.frontendURL == nil { await state.setFrontendURL(baseURL.absoluteString) }
        for waiter in startWaiters.withLock({ waiters in defer { waiters.removeAll() }; return waiters }) { waiter.resume() }
    }

    /// Waits until ``start()`` (or ``run()``) has bound the listener; returns the base URL.
    public func waitUntilStarted() async -> URL {
        await withCheckedContinuation { continuation in
            let started = boundPort.withLock { port -> Bool in
                if port != nil { return true }
                startWaiters.withLock { $0.append(continuation) }
                return false
            }
            if started { continuation.resume() }
        }
        return baseURL
    }

    /// Stops listening and delivering; data stays readable.
    public func shutdown() async {
        await lifecycle.shutdown()
        await state.finishSubscribers()
    }

    /// `Service`: starts, runs until graceful shutdown (or cancellation), then shuts down.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        await shutdown()
    }

    /// The bound port (valid after ``start()``).
    public var port: Int {
        guard let port = boundPort.withLock({ $0 }) else { preconditionFailure("ChatwootStandIn.start() has not completed") }
        return port
    }

    /// `http://<host>:<port>` — what a client uses as Chatwoot's base URL.
    public var baseURL: URL {
        let host = configuration.host == "0.0.0.0" || configuration.host == "::" ? "127.0.0.1" : configuration.host
        return URL(string: "http://\(host.contains(":") ? "[\(host)]" : host):\(port)")!
    }

    /// The agent console page.
    public var consoleURL: URL { baseURL.appendingPathComponent("console") }

    /// Whether swagger violations are answered with 400.
    public var strictSpec: Bool {
        get { pipeline.strictSpec.withLock { $0 } }
        set { pipeline.strictSpec.withLock { $0 = newValue } }
    }
}
