public import BatonCore
public import Foundation
public import Logging
public import PostgresNIO
import Synchronization

/// Short messages between the Baton processes that share a database: `pg_notify` to send, `LISTEN` to receive.
/// Every process listens on the shared channel and on one of its own (``channel(of:)``), so a message meant for
/// some processes costs the others nothing. Delivery is best effort (a process that is not listening at that moment
/// misses the message), so receivers re-read the store after every (re)subscribe.
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
    /// Where the store's save statements find what announces their messages; nil for notifications not tied to a store.
    let announcer: TransactionAnnouncerSlot?
    /// What `pg_stat_activity` shows for a listening connection, before the instance's name.
    let listenerName: String
    let logger: Logger
    /// Gives up a statement whose connection closed without answering it.
    let watch = ClosedConnectionWatch()

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
        self.init(
            client: client, listenerConfiguration: listenerConfiguration, channel: channel, pingInterval: pingInterval, pingTimeout: pingTimeout,
            hubListeners: hubListeners, announcer: nil, logger: logger)
    }

    /// A store's notifications (`PostgresSessionStore.notifications`): `announcer` is where its save statements find
    /// what ``announceInTransactions(with:)`` gives.
    init(
        client: PostgresClient, listenerConfiguration: PostgresConnection.Configuration, channel: String, pingInterval: Duration, pingTimeout: Duration,
        hubListeners: HubListeners?, announcer: TransactionAnnouncerSlot?, logger: Logger
    ) {
        self.hubListeners = hubListeners
        self.announcer = announcer
        self.client = client
        self.listenerConfiguration = listenerConfiguration
        listenerName = Self.listenerName(of: listenerConfiguration)
        self.channel = channel
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
        self.logger = logger
    }

    /// Sends `payload` (at most 8000 bytes) to every listener, this process's included.
    public func send(_ payload: String) async throws {
        try await send([(payload, nil)])
    }

    /// Sends each payload to the instances named with it, on the channel of each (``channel(of:)``), or to every
    /// listener when it names none (nil), in one statement (one transaction). Each listener receives what is sent to
    /// it in this order, and at once; a payload that names no instance (an empty list) goes nowhere.
    ///
    /// A statement whose connection the server cut is sent again on another, as a read is: nothing else would
    /// bring what it carries, since the listeners did not lose their connections and do not catch up. A cut just
    /// after the commit can so deliver a batch twice; receivers take an event they have as a no-op (a socket drops
    /// a message it sent).
    public func send(_ payloads: [(payload: String, to: [String]?)]) async throws {
        var targets: [String] = []
        var texts: [String] = []
        for (payload, instances) in payloads {
            for channel in channels(of: instances) {
                targets.append(channel)
                texts.append(payload)
            }
        }
        guard texts.count > 1 else {
            // pg_notify takes bind parameters; the NOTIFY statement does not.
            if let text = texts.first { _ = try await client.repeatable("SELECT pg_notify(\(targets[0]), \(text))", logger: logger, watchedBy: watch) }
            return
        }
        // With ORDER BY, PostgreSQL calls a volatile function of the select list after sorting: in array order.
        _ = try await client.repeatable(
            """
            SELECT pg_notify(channel, payload) FROM unnest(\(targets)::text[], \(texts)::text[]) WITH ORDINALITY AS batch (channel, payload, position)
            ORDER BY position
            """,
            logger: logger, watchedBy: watch)
    }

    /// The channels that reach `instances`: each one's own, or the shared one (every listener) when they are not known
    /// or one of them has no channel of its own.
    func channels(of instances: [String]?) -> [String] { Self.channels(of: instances, shared: channel) }

    /// ``channels(of:)`` for the shared channel `shared`.
    static func channels(of instances: [String]?, shared: String) -> [String] {
        guard let instances else { return [shared] }
        let own = instances.compactMap { channel(of: $0, shared: shared) }
        return own.count == instances.count ? own : [shared]
    }

    /// The channel `instance` listens on besides the shared one, for what is meant for it alone: the shared channel's
    /// name, a dot and the instance's. Nil when that would not make a channel: longer than the 63 bytes PostgreSQL
    /// keeps of a name, or with a double quote (PostgresNIO's `LISTEN` quotes the name as it is).
    func channel(of instance: String) -> String? { Self.channel(of: instance, shared: channel) }

    /// ``channel(of:)`` for the shared channel `shared`.
    static func channel(of instance: String, shared: String) -> String? {
        let own = "\(shared).\(instance)"
        guard own.utf8.count <= longestName, !own.contains("\"") else { return nil }
        return own
    }

    /// Names `instance` among the listeners of `sessions` (see ``HubListeners``), waiting for each row's lock. The
    /// rows are locked in the order of their ids, as every write transaction locks them (`PostgresGroupCommit`), so
    /// a record of many sessions and a write of several never wait for each other in a circle.
    ///
    /// The names of instances that no longer listen are taken out of those rows on the way: an instance that died,
    /// or stopped before it could take its name off, would otherwise stay named for good (and have every event of
    /// those sessions announced to nobody). An instance listens exactly while its listening connection is open,
    /// and `pg_stat_activity` shows that connection by name (``applicationName(of:)``). A name is kept when that
    /// cannot be told: while a listener without an instance's name (a Baton from before the names) is connected;
    /// while `instance`'s own listener is not seen (it is reconnecting, or something between it and PostgreSQL
    /// renamed the connection); and when the name would not fit `application_name` as it is (63 bytes of printable
    /// ASCII). An instance whose listener was cut meanwhile names itself again in every session it holds once it
    /// listens again (`HubFanOut.catchUp`), and until then it hears nothing anyway.
    public func listen(to sessions: [SessionID], as instance: String) async throws {
        guard !sessions.isEmpty else { return }
        _ = try await client.repeatable(
            """
            UPDATE sessions SET listeners = array_append(ARRAY(
                SELECT name FROM unnest(listeners) AS name
                WHERE name <> \(instance) AND (\(listenerName) = ANY(alive.names) OR NOT \(applicationName(of: instance)) = ANY(alive.names)
                    OR \(listenerName) || ' ' || name = ANY(alive.names)
                    OR octet_length(\(listenerName) || ' ' || name) > \(Self.longestName) OR name !~ '^[ -~]*$')
            ), \(instance))
            FROM (SELECT id FROM sessions WHERE id = ANY(\(sessions.map(\.rawValue))) ORDER BY id FOR UPDATE) AS locked,
                (SELECT coalesce(array_agg(application_name), '{}') AS names FROM pg_stat_activity) AS alive
            WHERE sessions.id = locked.id
            """, logger: logger, watchedBy: watch)
    }

    /// The instances listening on this database now, this one included: each listening connection's instance name
    /// as `pg_stat_activity` shows it (cut to ``longestName`` bytes with the listener's name before it), and the
    /// address it connected from (nil over a Unix socket). An instance listens exactly while its listening connection
    /// is open, so one that died is not among them, and one that is stopped (`SIGSTOP`, a frozen VM) still is. `since`
    /// is when that connection was opened.
    public func listeningConnections() async throws -> [(name: String, address: String?, since: Date?)] {
        let prefix = listenerName + " "
        let rows = try await client.repeatable(
            """
            SELECT substr(application_name, length(\(prefix)) + 1) AS name, host(client_addr) AS address,
                extract(epoch FROM backend_start)::float8 AS since
            FROM pg_stat_activity WHERE datname = current_database() AND left(application_name, length(\(prefix))) = \(prefix)
            """, logger: logger, watchedBy: watch)
        return try rows.map { row in
            (try row["name"].decode(String.self), try row["address"].decode(String?.self), try row["since"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)))
        }
    }

    /// What `pg_stat_activity` shows for `instance`'s listening connection: the listener's application name, a
    /// space and the instance. PostgreSQL keeps `longestName` bytes of it, with every character outside
    /// printable ASCII turned into `?`.
    public func applicationName(of instance: String) -> String { "\(listenerName) \(instance)" }

    /// The most bytes PostgreSQL keeps of a name, `application_name` and a channel's among them (`NAMEDATALEN` less one).
    static let longestName = 63

    /// The application name the listener's configuration gives, or the one Baton gives it.
    static func listenerName(of configuration: PostgresConnection.Configuration) -> String {
        configuration.options.additionalStartupParameters.last { $0.0 == "application_name" }?.1 ?? "baton hub listener"
    }

    /// Takes `instance` off the listeners of `sessions`.
    public func stopListening(to sessions: [SessionID], as instance: String) async throws {
        guard !sessions.isEmpty else { return }
        _ = try await client.repeatable(
            """
            UPDATE sessions SET listeners = array_remove(listeners, \(instance))
            FROM (SELECT id FROM sessions WHERE id = ANY(\(sessions.map(\.rawValue))) ORDER BY id FOR UPDATE) AS locked
            WHERE sessions.id = locked.id AND \(instance) = ANY(listeners)
            """, logger: logger, watchedBy: watch)
    }

    /// The instances that listened to `session` when this process last wrote it (nil: not known here).
    public func listeners(of session: SessionID) -> [String]? { hubListeners?.listeners(of: session) }

    /// Has the store's save statements send what `announcer` gives for the messages they store (see
    /// ``TransactionAnnouncer``). Does nothing for notifications not tied to a store.
    public func announceInTransactions(with announcer: any TransactionAnnouncer) { self.announcer?.set(announcer, channel: channel) }

    /// Opens a connection for `instance`, named after it (``applicationName(of:)``), listens on it to the shared
    /// channel and to the instance's own, and passes every payload to `receive` in the order sent, until the
    /// connection drops or stops answering pings (it throws then) or the task is cancelled. `onSubscribed` runs once
    /// both `LISTEN`s are in place, before any payload.
    public func listen(
        as instance: String, onSubscribed: @Sendable () async -> Void, receive: @Sendable (String) async -> Void
    ) async throws {
        var configuration = listenerConfiguration
        configuration.options.additionalStartupParameters.removeAll { $0.0 == "application_name" }
        configuration.options.additionalStartupParameters.append(("application_name", applicationName(of: instance)))
        let connection = try await PostgresConnection.connect(configuration: configuration, id: Self.nextConnectionID(), logger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Closing the connection is what ends a listen that waits on a dead one.
                group.addTask { [self] in await keepAlive(connection) }
                defer { group.cancelAll() }
                let payloads = try await listen(on: connection, to: [channel] + (channel(of: instance).map { [$0] } ?? []))
                await onSubscribed()
                for try await payload in payloads { await receive(payload) }
                if !Task.isCancelled { throw ListenerClosed() }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    /// Listens on `channels` on `connection` and returns what arrives on any of them, in the order the server sent
    /// it: one stream for all, since a stream per channel, each read by a task of its own, could hand a receiver a
    /// payload before another that was sent first. Returns once every `LISTEN` is in place; the stream ends when the
    /// connection closes.
    private func listen(on connection: PostgresConnection, to channels: [String]) async throws -> AsyncThrowingStream<String, any Error> {
        let (payloads, arriving) = AsyncThrowingStream.makeStream(of: String.self)
        for channel in channels {
            // Called on the connection's event loop, in the order the notifications arrive, whatever their channel.
            connection.addListener(channel: channel) { _, notification in arriving.yield(notification.payload) }
        }
        connection.closeFuture.whenComplete { _ in arriving.finish(throwing: ListenerClosed()) }
        // A connection runs its statements in order: this one runs after the `LISTEN`s, and tells whether they took.
        var listening: Set<String> = []
        for try await name in try await connection.query("SELECT pg_listening_channels()", logger: logger).decode(String.self) {
            listening.insert(name)
        }
        guard listening.isSuperset(of: channels) else { throw NotListening(channels: channels.filter { !listening.contains($0) }) }
        return payloads
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

    /// PostgreSQL did not take a `LISTEN`.
    struct NotListening: Error, CustomStringConvertible {
        let channels: [String]
        var description: String { "PostgreSQL did not take LISTEN on \(channels.joined(separator: ", "))" }
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
            pingTimeout: pingTimeout, hubListeners: hubListeners, announcer: announcer, logger: logger)
    }
}
