public import Logging
public import PostgresNIO

/// Short messages between the Baton processes that share a database: `pg_notify` to send, `LISTEN` on one
/// connection of the pool to receive. Delivery is best effort (a process that is not listening at that moment
/// misses the message), so receivers re-read the store after every (re)subscribe.
public struct PostgresNotifications: Sendable {
    /// The notification channel; per database, shared by every process that uses the same name.
    public let channel: String
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, channel: String, logger: Logger) {
        self.client = client
        self.channel = channel
        self.logger = logger
    }

    /// Sends `payload` (at most 8000 bytes) to every listener, this process's included.
    public func send(_ payload: String) async throws {
        // pg_notify takes bind parameters; the NOTIFY statement does not.
        try await client.query("SELECT pg_notify(\(channel), \(payload))", logger: logger)
    }

    /// Holds one pooled connection and passes every payload to `receive`, until the connection drops (it throws
    /// then) or the task is cancelled. `onSubscribed` runs once `LISTEN` is in place, before any payload.
    public func listen(onSubscribed: @Sendable () async -> Void, receive: @Sendable (String) async -> Void) async throws {
        try await client.withConnection { connection in
            try await connection.listen(on: channel) { notifications in
                await onSubscribed()
                for try await notification in notifications { await receive(notification.payload) }
            }
        }
    }
}

extension PostgresSessionStore {
    /// Notifications over this store's connection pool (a listener keeps one of its connections).
    public func notifications(channel: String = "baton_hub") -> PostgresNotifications {
        PostgresNotifications(client: client, channel: channel, logger: logger)
    }
}
