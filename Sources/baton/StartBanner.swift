import BatonConfig
import Foundation
import Logging

/// What `serve` tells whoever started it: the URLs to open, where the data is. Plain lines on standard output for
/// `log.format: text`; with `json`, log lines like every other (`url`, `endpoint` and `detail` as fields), so a
/// collector never meets a line it cannot parse.
struct StartBanner {
    struct Line {
        let title: String
        /// The endpoint's id (the JSON field, as in every other line) and name (the text).
        let endpoint: (id: String, name: String)?
        let url: String?
        let detail: String?

        init(_ title: String, endpoint: (id: String, name: String)? = nil, url: String? = nil, detail: String? = nil) {
            self.title = title
            self.endpoint = endpoint
            self.url = url
            self.detail = detail
        }

        /// `  Webchat (Demo): http://…`; the first line unindented.
        var text: String {
            let subject = endpoint.map { "\(title) (\($0.name))" } ?? title
            guard let value = url ?? detail else { return subject }
            return "\(subject): \(value)"
        }

        var metadata: Logger.Metadata {
            var fields: Logger.Metadata = [:]
            if let endpoint { fields["endpoint"] = .string(endpoint.id) }
            if let url { fields["url"] = .string(url) }
            if let detail { fields["detail"] = .string(detail) }
            return fields
        }
    }

    let format: LogFormat
    let logger: Logger

    /// The lines, the first as a heading and the others under it.
    func show(_ lines: [Line]) {
        switch format {
        case .json:
            for line in lines { logger.info("\(line.title)", metadata: line.metadata) }
        case .text:
            let text = lines.enumerated().map { $0.offset == 0 ? $0.element.text : "  " + $0.element.text }.joined(separator: "\n")
            // Written straight to the descriptor so the URLs show at once even when stdout is a pipe.
            FileHandle.standardOutput.write(Data((text + "\n").utf8))
        }
    }

    /// One sentence for whoever started Baton, before it runs.
    func say(_ sentence: String) {
        show([Line(sentence)])
    }
}
