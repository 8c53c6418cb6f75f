public import Logging
import BatonCore
import Foundation
import Synchronization

/// A log handler writing one JSON object per line (`log.format: json`), for log collectors (Loki, Elasticsearch,
/// CloudWatch, `docker logs | jq`):
///
///     {"time":"2026-12-04T02:30:00.123Z","level":"info","message":"handover opened","logger":"baton","conversation":"7","request_id":"…","session":"…"}
///
/// `time` (UTC, milliseconds), `level`, `message` and `logger` come first; then the metadata by key: the logger's,
/// the request's id (`request_id`, from `RequestScope` while a request is handled) and the statement's own
/// (`session`, `endpoint`, `conversation`, `error`…). Baton's statements never carry a secret, and carry message
/// bodies only below `info`.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let label: String
    private let output: JSONLogOutput

    public init(label: String, output: JSONLogOutput = .standardOutput, metadataProvider: Logger.MetadataProvider? = RequestScope.metadataProvider) {
        self.label = label
        self.output = output
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: Logger.Metadata.Value] = [:]
        for source in [metadata, metadataProvider?.get() ?? [:], event.metadata ?? [:]] {
            for (key, value) in source { fields[Self.fieldName(key)] = value }
        }
        if let error = event.error, fields["error"] == nil { fields["error"] = .string(String(describing: error)) }
        // The first four in a fixed order for people reading raw lines; BatonCore's writer escapes.
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(UInt8(ascii: "{"))
        let leading: [(String, String)] = [("time", RFC3339.string(Date())), ("level", event.level.rawValue), ("message", event.message.description), ("logger", label)]
        for (index, (key, value)) in leading.enumerated() {
            if index > 0 { line.append(UInt8(ascii: ",")) }
            Self.append(key, .string(value), to: &line)
        }
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            line.append(UInt8(ascii: ","))
            Self.append(key, Self.json(value), to: &line)
        }
        line.append(contentsOf: Array("}\n".utf8))
        output.write(String(decoding: line, as: UTF8.self))
    }

    private static func append(_ key: String, _ value: JSONValue, to line: inout [UInt8]) {
        JSONValue.string(key).write(into: &line)
        line.append(UInt8(ascii: ":"))
        value.write(into: &line)
    }

    /// Metadata as JSON: strings, arrays and objects as they are.
    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let members): .object(members.mapValues(json))
        }
    }

    /// Hummingbird names the request's id `hb.request.id`; collectors query fields with dots in them badly.
    static func fieldName(_ key: String) -> String {
        key == "hb.request.id" ? "request_id" : key
    }
}

/// Where JSON lines go: standard output by default; a test passes its own.
public struct JSONLogOutput: Sendable {
    private let writeLine: @Sendable (String) -> Void

    public init(_ writeLine: @escaping @Sendable (String) -> Void) {
        self.writeLine = writeLine
    }

    func write(_ line: String) { writeLine(line) }

    /// One `write` per line under a lock, so lines from concurrent tasks never interleave.
    public static let standardOutput: JSONLogOutput = {
        let lock = Mutex(())
        return JSONLogOutput { line in
            lock.withLock { _ in FileHandle.standardOutput.write(Data(line.utf8)) }
        }
    }()
}
