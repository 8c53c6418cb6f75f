public import Logging

/// swift-log's text lines (`StreamLogHandler`), with the logger's metadata formatted when a line is written rather
/// than each time it changes.
///
/// `StreamLogHandler` formats its metadata on every change, and Hummingbird gives every request's logger its id:
/// that formatting was 1.5 % of the relay's processor time (a profile of the benchmark), for lines that are almost
/// never written. This handler keeps the metadata itself and hands it to the stream handler only for a line.
public struct TextLogHandler: LogHandler {
    /// Writes the lines; its own metadata stays empty until a line is written.
    private var lines: StreamLogHandler
    /// The logger's metadata, formatted only for a line.
    public var metadata: Logger.Metadata = [:]

    /// - Parameter lines: the handler that formats and writes each line (its metadata is replaced by this one's).
    public init(_ lines: StreamLogHandler) {
        self.lines = lines
    }

    /// The lowest level written.
    public var logLevel: Logger.Level {
        get { lines.logLevel }
        set { lines.logLevel = newValue }
    }

    /// Metadata added to every line (the request's id).
    public var metadataProvider: Logger.MetadataProvider? {
        get { lines.metadataProvider }
        set { lines.metadataProvider = newValue }
    }

    /// One item of the logger's metadata.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes the line, with the metadata formatted now.
    public func log(event: LogEvent) {
        var lines = self.lines
        lines.metadata = metadata
        lines.log(event: event)
    }
}
