public import BatonConfig
public import Logging
public import PostgresNIO
public import ServiceLifecycle

extension PostgresStorageSettings {
    /// The `PostgresClient` configuration these settings describe: address, credentials, TLS and pool size.
    public var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch tlsSettings {
            case nil: .disable
            case (let configuration, required: false)?: .prefer(configuration)
            case (let configuration, required: true)?: .require(configuration)
            }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password?.value, database: database, tls: tls)
        configuration.options.maximumConnections = maxConnections
        return configuration
    }

    /// The configuration of one connection outside the pool, such as the hub's `LISTEN` connection.
    /// - Parameter applicationName: what `pg_stat_activity` shows for the connection, so an operator can tell it.
    /// - Throws: when the TLS settings cannot be turned into an SSL context.
    public func connectionConfiguration(applicationName: String? = nil) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            switch tlsSettings {
            case nil: .disable
            case (let configuration, required: false)?: .prefer(try NIOSSLContext(configuration: configuration))
            case (let configuration, required: true)?: .require(try NIOSSLContext(configuration: configuration))
            }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password?.value, database: database, tls: tls)
        if let applicationName { configuration.options.additionalStartupParameters = [("application_name", applicationName)] }
        return configuration
    }

    /// The TLS configuration and whether the server must accept it; `nil` for no encryption.
    var tlsSettings: (TLSConfiguration, required: Bool)? {
        switch tls {
        case .disable:
            return nil
        case .prefer, .require:
            // As libpq's modes of these names: encrypted, but the certificate is not checked.
            var unverified = TLSConfiguration.makeClientConfiguration()
            unverified.certificateVerification = .none
            return (unverified, required: tls == .require)
        case .verifyFull:
            return (.makeClientConfiguration(), required: true)
        }
    }
}

extension PostgresSessionStore {
    /// A store on a new connection pool for `settings`. Run `pool` (a `Service`) for as long as the store is used.
    /// Its writes share one transaction at a time (``PostgresSessionStore/defaultWriteTransactions``); the rest of
    /// the pool is left to reads, claims and the hub.
    public convenience init(settings: PostgresStorageSettings, logger: Logger) {
        self.init(client: PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger), logger: logger)
    }

    /// The connection pool, to run as a service (`ServiceGroup`, `app.addServices`) before the store is used.
    public var pool: any Service { client }
}
