import Foundation

/// Where a PostgreSQL store lives, read from a `postgres://user:password@host:port/database?sslmode=…` URL.
///
/// The URL holds the password, so it is kept as a `Secret` and the settings describe themselves without it.
public struct PostgresStorageSettings: Sendable, Hashable, CustomStringConvertible {
    /// How the connection is encrypted, named as libpq names its `sslmode`s so URLs can be copied from other tools.
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Never encrypt.
        case disable
        /// Encrypt when the server offers it, without checking its certificate (libpq's default).
        case prefer
        /// Always encrypt, without checking the certificate.
        case require
        /// Always encrypt, and check the certificate and host name against the system's trusted roots.
        case verifyFull = "verify-full"
    }

    /// The URL as given (with its password): pass it only to the store.
    public var url: Secret
    public var host: String
    public var port: Int
    public var username: String
    public var password: Secret?
    public var database: String
    public var tls: TLSMode
    /// How many connections one Baton process opens at most.
    public var maxConnections: Int
    /// Where the hub's listener connects instead of `url`, when that goes through a pooler in transaction mode
    /// (PgBouncer's `pool_mode = transaction` hands each transaction any server connection, so a `LISTEN` would
    /// hear nothing): straight to PostgreSQL. Checked like `url` when set.
    public var listenURL: Secret?

    /// Parses `url`; the error never quotes it, since it may hold a password.
    public init(url: String, maxConnections: Int = 20) throws(PostgresURLError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else { throw PostgresURLError("must be a URL of the form postgres://user:password@host:port/database") }
        guard let host = components.host, !host.isEmpty else { throw PostgresURLError("the URL names no host") }
        guard let user = components.user, !user.isEmpty else { throw PostgresURLError("the URL names no user (postgres://user:password@host/database)") }
        let database = String(components.path.dropFirst())
        guard !database.isEmpty, !database.contains("/") else { throw PostgresURLError("the URL names no database (postgres://user:password@host/database)") }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else { throw PostgresURLError("unsupported URL parameter '\(item.name)'; only 'sslmode' is read") }
            guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                throw PostgresURLError("sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            tls = mode
        }
        self.url = Secret(url)
        // Brackets belong to the URL syntax of an IPv6 address, not to the address.
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        // URLComponents hands user, password and path back percent-decoded.
        self.username = user
        self.password = components.password.map(Secret.init)
        self.database = database
        self.tls = tls
        self.maxConnections = maxConnections
    }

    /// The settings the hub's listener connects with: `listenURL`'s when it is set, else these.
    public func listenerSettings() throws(PostgresURLError) -> PostgresStorageSettings {
        guard let listenURL else { return self }
        return try PostgresStorageSettings(url: listenURL.value, maxConnections: 1)
    }

    /// The URL without its password, for logs and the start banner.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "postgres://\(username)@\(host):\(port)/\(database)"
    }
}

/// Why a PostgreSQL URL cannot be used. The message never contains the URL itself.
public struct PostgresURLError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
