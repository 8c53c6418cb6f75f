import BatonConfig
import BatonCore
import BatonServer
import BatonStorePostgres
import Foundation
import Logging
import PostgresNIO
import Testing

/// Two Baton "instances" on one PostgreSQL schema: each its own pool, store, relayed hub and fan-out, as two
/// processes would have. The server is the one `BATON_TEST_POSTGRES_URL` names (see `scripts/start-postgres`).
struct TwoInstances {
    struct Instance {
        let store: PostgresSessionStore
        let hub: ConversationHub
        let metrics: BatonMetrics
        /// One element each time the instance's fan-out starts listening (after it caught up).
        let listening: AsyncStream<Void>

        /// The value of a counter in this instance's `/metrics` text, 0 when it was never counted.
        func counter(_ line: String) -> Int {
            metrics.text().split(separator: "\n").first { $0.hasPrefix(line + " ") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }

        /// Whether the counter `line` reaches `least` within `timeout`. An announcement is counted as sent once its
        /// statement returned, which may come after another instance has heard it.
        func counter(_ line: String, reaches least: Int, within timeout: Duration = .seconds(15)) async -> Bool {
            let deadline = ContinuousClock.now + timeout
            while counter(line) < least {
                guard ContinuousClock.now < deadline else { return false }
                await Task.yield()
            }
            return true
        }
    }

    let a: Instance
    let b: Instance
    let schema: String
    /// Every test has its own channel, so parallel tests do not hear each other.
    let channel: String
    let admin: PostgresClient
    private let tasks: [Task<Void, any Error>]

    static let logger = Logger(label: "baton.test.fan-out")

    /// - Parameter ping: how often each listener pings its connection, and how long it waits for the answer.
    static func start(
        ping: (interval: Duration, timeout: Duration) = (PostgresNotifications.defaultPingInterval, PostgresNotifications.defaultPingTimeout)
    ) async throws -> TwoInstances {
        let database = try await TestDatabase.fresh()
        var tasks: [Task<Void, any Error>] = []
        var instances: [Instance] = []
        for name in ["a", "b"] {
            var configuration = database.clientConfiguration
            configuration.options.additionalStartupParameters.append(("application_name", poolName(of: name, on: database.channel)))
            let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
            tasks.append(Task { await client.run() })
            let store = PostgresSessionStore(client: client, logger: logger)
            try await store.migrate()
            let (listening, listened) = AsyncStream.makeStream(of: Void.self)
            let relay = SignallingRelay(base: try database.notifications(on: store, ping: ping), listened: listened)
            let (hub, announcements, sessionsHeld) = ConversationHub.relayed()
            let metrics = BatonMetrics()
            let fanOut = HubFanOut(
                hub: hub, announcements: announcements, listening: sessionsHeld, relay: relay, store: store, instanceID: name, metrics: metrics, logger: logger)
            tasks.append(Task { try await fanOut.run() })
            instances.append(Instance(store: store, hub: hub, metrics: metrics, listening: listening))
        }
        // What is announced before an instance listens reaches it only through a catch-up; the tests want both ways.
        for instance in instances {
            var listened = instance.listening.makeAsyncIterator()
            _ = await listened.next()
        }
        return TwoInstances(a: instances[0], b: instances[1], schema: database.schema, channel: database.channel, tasks: tasks, admin: database.admin)
    }

    private init(a: Instance, b: Instance, schema: String, channel: String, tasks: [Task<Void, any Error>], admin: PostgresClient) {
        self.a = a
        self.b = b
        self.schema = schema
        self.channel = channel
        self.tasks = tasks
        self.admin = admin
    }

    /// The instances the session's row names as listening to it, in name order.
    func listeners(of session: SessionID) async throws -> [String] {
        let rows = try await admin.query("SELECT listeners FROM \(unescaped: schema).sessions WHERE id = \(session.rawValue)")
        var listeners: [String] = []
        for try await names in rows.decode([String].self) { listeners = names }
        return listeners.sorted()
    }

    /// Ends the fan-outs and the pools.
    func stop() {
        tasks.forEach { $0.cancel() }
    }

    /// Runs `body` against two instances started for it (``start(ping:)``) and stops them after it, within
    /// `withDeadline`'s `limit`.
    static func with(
        limit: Duration = .seconds(90),
        ping: (interval: Duration, timeout: Duration) = (PostgresNotifications.defaultPingInterval, PostgresNotifications.defaultPingTimeout),
        sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: @escaping @Sendable (TwoInstances) async throws -> Void
    ) async throws {
        try await withDeadline(limit, sourceLocation: sourceLocation) {
            let instances = try await start(ping: ping)
            defer { instances.stop() }
            try await body(instances)
        }
    }

    /// Cuts the connections listening on this test's channel, as a database restart or a network fault would.
    /// - Returns: how many were cut.
    func cutListeners() async throws -> Int {
        var count = 0
        for try await _ in try await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE starts_with(application_name, \(channel + " "))") {
            count += 1
        }
        return count
    }

    /// What `pg_stat_activity` shows for the pooled connections of `instance` (its store's and its relay's sends),
    /// which its listener's name (the channel, a space and more) never is.
    static func poolName(of instance: String, on channel: String) -> String { "pool \(channel) \(instance)" }

    /// Cuts the pooled connections of `instance`, its listener left alone, as an idle timeout or a proxy that drops
    /// quiet connections would.
    /// - Returns: how many were cut.
    func cutPool(of instance: String) async throws -> Int {
        var count = 0
        let name = Self.poolName(of: instance, on: channel)
        for try await _ in try await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = \(name)") {
            count += 1
        }
        return count
    }

    /// Stops the server processes behind this test's listening connections (SIGSTOP), as a server that froze or a
    /// network path that drops everything would: the connections stay open and nothing answers.
    /// - Returns: the processes, for `thaw`. The server must run on this machine (as `scripts/start-postgres`'s does).
    func freezeListeners() async throws -> [Int32] {
        var pids: [Int32] = []
        for try await pid in try await admin.query("SELECT pid FROM pg_stat_activity WHERE starts_with(application_name, \(channel + " "))").decode(Int32.self) {
            guard kill(pid, SIGSTOP) == 0 else { throw TestDatabase.SetupError("cannot stop the PostgreSQL process \(pid): errno \(errno)") }
            pids.append(pid)
        }
        return pids
    }

    /// Lets frozen server processes go on and ends their connections.
    func thaw(_ pids: [Int32]) async throws {
        for pid in pids {
            kill(pid, SIGCONT)
            try await admin.query("SELECT pg_terminate_backend(\(pid))")
        }
    }

    static var isSkipped: Bool { ProcessInfo.processInfo.environment["BATON_TEST_SKIP_POSTGRES"] == "1" }
}

/// A test instance's relay: PostgreSQL's, telling the test each time it starts listening.
struct SignallingRelay: HubRelay {
    let base: PostgresNotifications
    let listened: AsyncStream<Void>.Continuation

    func send(_ payload: String) async throws { try await base.send(payload) }

    func send(_ payloads: [(payload: String, to: [String]?)]) async throws { try await base.send(payloads) }

    func listen(as instance: String, onSubscribed: @Sendable () async -> Void, receive: @Sendable (String) async -> Void) async throws {
        try await base.listen(as: instance, onSubscribed: { await onSubscribed(); listened.yield() }, receive: receive)
    }

    func listen(to sessions: [SessionID], as instance: String) async throws { try await base.listen(to: sessions, as: instance) }

    func stopListening(to sessions: [SessionID], as instance: String) async throws { try await base.stopListening(to: sessions, as: instance) }

    func listeners(of session: SessionID) -> [String]? { base.listeners(of: session) }

    func announceInTransactions(with announcer: any TransactionAnnouncer) { base.announceInTransactions(with: announcer) }
}

/// A schema of its own and a notification channel of its own for one test, on the server `BATON_TEST_POSTGRES_URL`
/// names, so parallel tests neither see each other's rows nor hear each other's notifications.
struct TestDatabase {
    let settings: PostgresStorageSettings
    let schema: String
    let channel: String
    let admin: PostgresClient

    /// Connections whose tables are the test's schema's (through the `search_path` startup parameter).
    var clientConfiguration: PostgresClient.Configuration {
        var configuration = settings.clientConfiguration
        configuration.options.additionalStartupParameters = [("search_path", schema)]
        return configuration
    }

    /// The test's own channel on `store`, listened to on a connection of its own as in production, which
    /// `pg_stat_activity` shows with the channel's name.
    func notifications(
        on store: PostgresSessionStore,
        ping: (interval: Duration, timeout: Duration) = (PostgresNotifications.defaultPingInterval, PostgresNotifications.defaultPingTimeout)
    ) throws -> PostgresNotifications {
        store.notifications(
            channel: channel, listenerConfiguration: try settings.connectionConfiguration(applicationName: channel),
            pingInterval: ping.interval, pingTimeout: ping.timeout)
    }

    /// One client for creating schemas, shared by the tests of the process and never shut down (the process ends).
    static let shared: Result<(PostgresStorageSettings, PostgresClient), any Error> = Result {
        guard let url = ProcessInfo.processInfo.environment["BATON_TEST_POSTGRES_URL"], !url.isEmpty else {
            throw SetupError(
                "BATON_TEST_POSTGRES_URL is not set, so fan-out between instances cannot be tested. Run scripts/test, or "
                    + "`eval \"$(scripts/start-postgres)\"` before `swift test`, or set BATON_TEST_SKIP_POSTGRES=1 to skip these cases.")
        }
        let settings = try PostgresStorageSettings(url: url, maxConnections: 4)
        let admin = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: TwoInstances.logger)
        Task { await admin.run() }
        return (settings, admin)
    }

    static func fresh() async throws -> TestDatabase {
        let (settings, admin) = try shared.get()
        // Our own name of hex digits, so splicing it into the statement is safe.
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin.query("CREATE SCHEMA \(unescaped: "f_" + suffix)")
        return TestDatabase(settings: settings, schema: "f_" + suffix, channel: "hub_" + suffix, admin: admin)
    }

    struct SetupError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// Records what a hub subscription yields, so a test can wait for an event with a deadline.
actor EventRecorder {
    private(set) var events: [HubEvent] = []
    private var waiters: [UUID: (matches: @Sendable (HubEvent) -> Bool, continuation: CheckedContinuation<Bool, Never>)] = [:]

    init(_ stream: AsyncStream<HubEvent>) {
        Task { await self.consume(stream) }
    }

    private func consume(_ stream: AsyncStream<HubEvent>) async {
        for await event in stream {
            events.append(event)
            for (id, waiter) in waiters where waiter.matches(event) {
                waiters[id] = nil
                waiter.continuation.resume(returning: true)
            }
        }
    }

    /// Waits up to `timeout` for an event that satisfies `matches`: woken by the event itself, not by polling.
    func waitFor(within timeout: Duration = .seconds(15), _ matches: @escaping @Sendable (HubEvent) -> Bool) async -> Bool {
        if events.contains(where: matches) { return true }
        let id = UUID()
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.expire(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { waiters[id] = (matches, $0) }
    }

    private func expire(_ id: UUID) {
        waiters.removeValue(forKey: id)?.continuation.resume(returning: false)
    }

    func count(_ matches: @Sendable (HubEvent) -> Bool) -> Int { events.filter(matches).count }
}
