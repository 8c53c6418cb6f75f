import Synchronization
import AsyncHTTPClient
import BotStandIn
import NIOCore
import NIOHTTP1
import StandInJSON

/// A whole answer.
struct Reply: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: JSONValue? { try? JSONValue.parse(text) }
    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// A streamed answer read to its end, or to the error that ended it.
struct Streamed: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let text: String
    /// The error that ended reading the body early (nil when it ended cleanly).
    let failure: String?

    func header(_ name: String) -> String? { headers.first(name: name) }

    /// SSE: the `data:` payloads in order and the comment lines, with blocks split on blank lines.
    var dataEvents: [String] {
        blocks.compactMap { block in
            let data = block.filter { $0.hasPrefix("data:") }.map { String($0.dropFirst(5).drop(while: { $0 == " " })) }
            return data.isEmpty ? nil : data.joined(separator: "\n")
        }
    }
    var comments: [String] { blocks.flatMap { $0.filter { $0.hasPrefix(":") } } }
    /// The JSON events (everything but `[DONE]`).
    var chunks: [JSONValue] { dataEvents.filter { $0 != "[DONE]" }.compactMap { try? JSONValue.parse($0) } }
    var sawDone: Bool { dataEvents.last == "[DONE]" }
    /// The chunks that have a first choice.
    var choiceChunks: [JSONValue] { chunks.filter { $0["choices"]?[0] != nil } }
    /// The streamed text, `delta.content` joined.
    var content: String { choiceChunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined() }

    private var blocks: [[String]] {
        text.replacingAll("\r\n", with: "\n").split(separator: "\n\n", omittingEmptySubsequences: true).map { $0.split(separator: "\n").map(String.init) }
    }
}

enum HTTP {
    static func request(_ method: HTTPMethod, _ url: String, json: JSONValue?, raw: String?, headers: [(String, String)]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json.compactString))
        } else if let raw {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: raw))
        }
        return request
    }

    /// Sends a request and reads the whole answer.
    static func send(
        _ url: String, method: HTTPMethod = .POST, json: JSONValue? = nil, raw: String? = nil, headers: [(String, String)] = [],
        timeout: TimeAmount = .seconds(10)
    ) async throws -> Reply {
        let response = try await HTTPClient.shared.execute(request(method, url, json: json, raw: raw, headers: headers), timeout: timeout)
        let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Array(body.readableBytesView))
    }

    /// Sends a request and reads the body chunk by chunk until it ends or fails; `onChunk` sees the text so far.
    static func stream(
        _ url: String, json: JSONValue, headers: [(String, String)] = [], timeout: TimeAmount = .seconds(10),
        onChunk: @Sendable (String) -> Void = { _ in }
    ) async throws -> Streamed {
        let response = try await HTTPClient.shared.execute(request(.POST, url, json: json, raw: nil, headers: headers), timeout: timeout)
        var text = ""
        var failure: String?
        do {
            for try await buffer in response.body {
                text += String(buffer: buffer)
                onChunk(text)
            }
        } catch {
            failure = String(describing: error)
        }
        return Streamed(status: Int(response.status.code), headers: response.headers, text: text, failure: failure)
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

/// A list several tasks append to (a test's record of what happened in which order).
final class Tally: Sendable {
    private let items = Mutex<[String]>([])
    func append(_ item: String) { items.withLock { $0.append(item) } }
    var all: [String] { items.withLock { $0 } }
}
