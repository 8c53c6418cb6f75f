public import Logging
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        var line = "{"
        JSONText.appendMember("time", string: UTCTimestamp.now(), to: &line, first: true)
        JSONText.appendMember("level", string: event.level.rawValue, to: &line)
        JSONText.appendMember("message", string: event.message.description, to: &line)
        JSONText.appendMember("logger", string: label, to: &line)
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            line += ","
            JSONText.appendString(key, to: &line)
            line += ":"
            JSONText.append(value, to: &line)
        }
        line += "}\n"
        output.write(line)
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

/// The JSON text of log fields: strings escaped as RFC 8259 asks, metadata values as strings, objects and arrays.
enum JSONText {
    static func appendMember(_ key: String, string value: String, to line: inout String, first: Bool = false) {
        if !first { line += "," }
        appendString(key, to: &line)
        line += ":"
        appendString(value, to: &line)
    }

    static func append(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let text): appendString(text, to: &line)
        case .stringConvertible(let convertible): appendString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                append(element, to: &line)
            }
            line += "]"
        case .dictionary(let members):
            line += "{"
            for (index, (key, element)) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { line += "," }
                appendString(key, to: &line)
                line += ":"
                append(element, to: &line)
            }
            line += "}"
        }
    }

    static func appendString(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            // The other controls, and the line and paragraph separators some JavaScript readers split on.
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                line += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }
}

/// `2026-12-04T02:30:00.123Z`, from the system clock, without a formatter (they are not cheap, nor all thread-safe).
enum UTCTimestamp {
    static func now() -> String {
        let milliseconds = Int((Date().timeIntervalSince1970 * 1000).rounded(.down))
        return format(seconds: milliseconds / 1000, milliseconds: milliseconds % 1000)
    }

    static func format(seconds: Int, milliseconds: Int) -> String {
        var time = seconds
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds), 3))Z"
    }
}
