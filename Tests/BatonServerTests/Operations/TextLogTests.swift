@testable import BatonServer
import Logging
import Synchronization
import Testing

/// `log.format: text`: swift-log's lines, with the metadata formatted only when a line is written.
@Suite("Operations: text logs")
struct TextLogTests {
    /// Collects what a handler writes.
    final class Lines: TextOutputStream, Sendable {
        private let written = Mutex<[String]>([])
        var all: [String] { written.withLock { $0 } }
        func write(_ string: String) { written.withLock { $0.append(string) } }
    }

    /// A line without its timestamp, the one part that differs between two handlers writing it.
    static func untimed(_ line: String) -> Substring {
        line.drop(while: { $0 != " " })
    }

    @Test func linesAreSwiftLogsOwnWithTheMetadataSetBeforeThem() throws {
        let provider = Logger.MetadataProvider { ["request_id": "r1"] }
        let expected = Lines()
        let written = Lines()
        var stream = Logger(label: "baton") { StreamLogHandler(label: $0, stream: expected, metadataProvider: provider) }
        var text = Logger(label: "baton") { TextLogHandler(StreamLogHandler(label: $0, stream: written, metadataProvider: provider)) }
        for index in 0..<3 {
            stream[metadataKey: "session"] = "s\(index)"
            text[metadataKey: "session"] = "s\(index)"
        }
        text.logLevel = .warning
        #expect(text.logLevel == .warning && text[metadataKey: "session"] == "s2")
        text.logLevel = .info
        for logger in [stream, text] {
            logger.debug("below the level: not written", metadata: ["never": "1"])
            logger.info("handover opened", metadata: ["conversation": "7"])
            logger.error("failed", metadata: ["error": "boom"])
        }
        #expect(written.all.count == 2)
        #expect(written.all.map(Self.untimed) == expected.all.map(Self.untimed))
        #expect(written.all.first?.contains("session=s2") == true && written.all.first?.contains("request_id=r1") == true)
    }
}
