public import BatonCore
public import Logging
public import PostgresNIO
import Synchronization

/// Short messages between the Baton processes that share a database: `pg_notify` to send, `LISTEN` to receive.
/// Delivery is best effort (a process that is not listening at that moment misses the message), so receivers
/// re-read the store after every (re)subscribe.
///
/// Sending goes through the pool. Listening holds a connection of its own, outside the pool: a listener whose
/// connection is cut must notice at once and reconnect, with nothing of the pool's (leases, idle connections,
/// back-off after a failed connect) between it and the server. That connection is pinged, so a connection that
/// died without a word (a dropped network path, a server that froze) is noticed too, within `pingInterval` plus
/// `pingTimeout`.
public struct PostgresNotifications: Sendable {
    /// How long the listening connection may stay quiet before it is pinged, by default.
    public static let defaultPingInterval = Duration.seconds(30)
    /// How long a ping may go unanswered before the connection is taken for dead, by default.
    public static let defaultPingTimeout = Duration.seconds(10)

    /// The notification channel; per database, shared by every process that uses the same name.
    public let channel: String
    let client: PostgresClient
    let listenerConfiguration: PostgresConnection.Configuration
    let pingInterval: Duration
    let pingTimeout: Duration
    /// The store's record of who listens where; nil for notifications not tied to a store.
    let hubListeners: HubListeners?
    let logger: Logger

    /// - Parameters:
    ///   - client: the pool that sends.
    ///   - listenerConfiguration: how to open the listening connection (`PostgresStorageSettings.connectionConfiguration()`).
    ///   - pingInterval: how long the listening connection may stay quiet before it is asked for a sign of life.
    ///   - pingTimeout: how long that answer may take before the connection is taken for dead and closed.
    public init(
        client: PostgresClient, listenerConfiguration: PostgresConnection.Configuration, channel: String,
        pingInterval: Duration = defaultPingInterval, pingTimeout: Duration = defaultPingTimeout, hubListeners: HubListeners? = nil,
        logger: Logger
    ) {
        self.hubListeners = hubListeners
        self.client = client
        self.listenerConfiguration = listenerConfiguration
        self.channel = channel
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
        self.logger = logger
    }

    /// Sends `payload` (at most 8000 bytes) to every listener, this process's included.
    public func send(_ payload: String) async throws {
        // pg_notify takes bind parameters; the NOTIFY statement does not.
        try await client.query("SELECT pg_notify(\(channel), \(payload))", logger: logger)
    }

    /// Sends `payloads` in one statement (one transaction): listeners receive them in this order, and at once.
    public func send(_ payloads: [String]) async throws {
        guard payloads.count > 1 else {
            if let payload = payloads.first { try await send(payload) }
            return
        }
        // With ORDER BY, PostgreSQL calls a volatile function of the select list after sorting: in array order.
        try await client.query(
            "SELECT pg_notify(\(channel), payload) FROM unnest(\(payloads)::text[]) WITH ORDINALITY AS batch (payload, position) ORDER BY position",
            logger: logger)
    }

    /// Names `instance` among the listeners of `sessions` (see ``HubListeners``), waiting for each row's lock. The
    /// rows are locked in the order of their ids, as every write transaction locks them (`PostgresGroupCommit`), so
    /// a record of many sessions and a write of several never wait for each other in a circle.
    public func listen(to sessions: [SessionID], as instance: String) async throws {
        guard !sessions.isEmpty else { return }
        try await client.query(
            """
            UPDATE sessions SET listeners = array_append(array_remove(listeners, \(instance)), \(instance))
            FROM (SELECT id FROM sessions WHERE id = ANY(\(sessions.map(\.rawValue))) ORDER BY id FOR UPDATE) AS locked
            WHERE sessions.id = locked.id
            """, logger: logger)
    }

    /// Takes `instance` off the listeners of `sessions`.
    public func stopListening(to sessions: [SessionID], as instance: String) async throws {
        guard !sessions.isEmpty else { return }
        try await client.query(
            """
            UPDATE sessions SET listeners = array_remove(listeners, \(instance))
            FROM (SELECT id FROM sessions WHERE id = ANY(\(sessions.map(\.rawValue))) ORDER BY id FOR UPDATE) AS locked
            WHERE sessions.id = locked.id AND \(instance) = ANY(listeners)
            """, logger: logger)
    }

    /// The instances that listened to `session` when this process last wrote it (nil: not known here).
    public func listeners(of session: SessionID) -> [String]? { hubListeners?.listeners(of: session) }

    /// Opens a connection, listens on it and passes every payload to `receive`, until the connection drops or stops
    /// answering pings (it throws then) or the task is cancelled. `onSubscribed` runs once `LISTEN` is in place,
    /// before any payload.
    public func listen(onSubscribed: @Sendable () async -> Void, receive: @Sendable (String) async -> Void) async throws {
        let connection = try await PostgresConnection.connect(configuration: listenerConfiguration, id: Self.nextConnectionID(), logger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Closing the connection is what ends a listen that waits on a dead one.
                group.addTask { [self] in await keepAlive(connection) }
                defer { group.cancelAll() }
                try await connection.listen(on: channel) { notifications in
                    await onSubscribed()
                    for try await notification in notifications { await receive(notification.payload) }
                }
                if !Task.isCancelled { throw ListenerClosed() }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    /// Pings `connection` every `pingInterval` and closes it when a ping fails or takes longer than `pingTimeout`.
    func keepAlive(_ connection: PostgresConnection) async {
        while true {
            do { try await Task.sleep(for: pingInterval) } catch { return }
            let alive = await withTaskGroup(of: Bool.self) { group in
                group.addTask { (try? await connection.query("SELECT 1", logger: logger).collect()) != nil }
                group.addTask { [pingTimeout] in
                    try? await Task.sleep(for: pingTimeout)
                    return false
                }
                let first = await group.next() ?? false
                // A ping that hangs ends only when its connection closes, so close before waiting for it.
                if !first { try? await connection.close() }
                group.cancelAll()
                return first
            }
            if !alive {
                if !Task.isCancelled { logger.warning("the hub's listening connection stopped answering; reconnecting") }
                return
            }
        }
    }

    /// The notification stream ended without an error (the connection closed quietly).
    struct ListenerClosed: Error, CustomStringConvertible {
        var description: String { "the listening connection closed" }
    }

    private static let connectionIDs = Atomic<Int>(0)
    static func nextConnectionID() -> Int { connectionIDs.add(1, ordering: .relaxed).newValue }
}

extension PostgresNotifications: CustomStringConvertible {
    /// The channel only: the listener's configuration holds the database password, and service lists are logged.
    public var description: String { "PostgresNotifications(channel: \(channel))" }
}

extension PostgresSessionStore {
    /// Notifications sent over this store's connection pool, received on a connection of their own made from
    /// `listenerConfiguration` (see `PostgresNotifications.init` for the pings).
    public func notifications(
        channel: String = "baton_hub", listenerConfiguration: PostgresConnection.Configuration,
        pingInterval: Duration = PostgresNotifications.defaultPingInterval, pingTimeout: Duration = PostgresNotifications.defaultPingTimeout
    ) -> PostgresNotifications {
        PostgresNotifications(
            client: client, listenerConfiguration: listenerConfiguration, channel: channel, pingInterval: pingInterval,
            pingTimeout: pingTimeout, hubListeners: hubListeners, logger: logger)
    }
}
