public import BatonConfig
public import Logging

extension Logger {
    /// Baton's logger as `log` configures it: swift-log's text lines on standard error, or JSON lines on standard
    /// output; either way with the id of the request being handled.
    public static func baton(_ settings: LogSettings, label: String = "baton", jsonOutput: JSONLogOutput = .standardOutput) -> Logger {
        var logger = switch settings.format {
        case .text: Logger(label: label) { TextLogHandler(.standardError(label: $0, metadataProvider: RequestScope.metadataProvider)) }
        case .json: Logger(label: label) { JSONLogHandler(label: $0, output: jsonOutput) }
        }
        logger.logLevel = Logger.Level(rawValue: settings.level) ?? .info
        return logger
    }
}
