import Logging

/// Hummingbird's HTTP/WebSocket channel logs "Error handling upgrade result" at `error` when a connection ends
/// before its first request: a TCP health check, a client's unused spare connection, or Baton itself closing one
/// that stayed silent (`FirstRequestGuard`). None is an error; at a load balancer's probe rate they would bury the
/// real ones. This handler, given only to the connection handling, writes that line at `debug` instead.
struct EarlyCloseLogFilter: LogHandler {
    var base: any LogHandler

    static let upgradeFailure = "Error handling upgrade result"

    var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        guard event.level == .error, event.message.description == Self.upgradeFailure else { return base.log(event: event) }
        guard base.logLevel <= .debug else { return }
        var demoted = event
        demoted.level = .debug
        demoted.message = "connection closed before its first request"
        base.log(event: demoted)
    }
}

extension Logger {
    /// This logger, with early connection closes logged at `debug` (see `EarlyCloseLogFilter`).
    var quietAboutEarlyCloses: Logger {
        var logger = self
        logger.handler = EarlyCloseLogFilter(base: handler)
        return logger
    }
}
