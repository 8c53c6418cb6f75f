public import BatonConfig
public import Logging
public import PostgresNIO
public import ServiceLifecycle

extension PostgresStorageSettings {
    /// The `PostgresClient` configuration these settings describe: address, credentials, TLS and pool size.
    public var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password?.value, database: database, tls: clientTLS)
        configuration.options.maximumConnections = maxConnections
        return configuration
    }

    var clientTLS: PostgresClient.Configuration.TLS {
        switch tls {
        case .disable:
            return .disable
        case .prefer, .require:
            // As libpq's modes of these names: encrypted, but the certificate is not checked.
            var unverified = TLSConfiguration.makeClientConfiguration()
            unverified.certificateVerification = .none
            return tls == .prefer ? .prefer(unverified) : .require(unverified)
        case .verifyFull:
            return .require(.makeClientConfiguration())
        }
    }
}

extension PostgresSessionStore {
    /// A store on a new connection pool for `settings`. Run `pool` (a `Service`) for as long as the store is used.
    public convenience init(settings: PostgresStorageSettings, logger: Logger) {
        self.init(client: PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger), logger: logger)
    }

    /// The connection pool, to run as a service (`ServiceGroup`, `app.addServices`) before the store is used.
    public var pool: any Service { client }
}
