import AsyncHTTPClient
import BatonCore
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix

/// What the bot providers share: one request under the turn's deadline, and the mapping of what can go wrong to
/// the closed set of `BotFailure`s.
struct BotHTTP: Sendable {
    let http: HTTPClient
    /// The whole turn: from sending the request to the answer's last byte.
    let timeout: Duration
    /// Removed from every text that could reach a log or the flow (an error body that echoes the key).
    let secrets: [String]

    /// An answer's biggest body: a chat answer is kilobytes; more is a bot gone wrong.
    static let maxBody = 4 << 20

    /// Runs `exchange` (send, read the answer) within the deadline; past it, the request is cancelled and the
    /// turn fails as `timeout`.
    func withDeadline(_ exchange: @escaping @Sendable () async -> BotCall) async -> BotCall {
        await withTaskGroup(of: BotCall?.self) { group in
            group.addTask { await exchange() }
            group.addTask { [timeout] in
                try? await Task.sleep(for: timeout)
                return Task.isCancelled ? nil : .failed(.timeout, detail: "no complete answer within \(timeout.inSeconds) s")
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failed(.timeout, detail: "no complete answer within \(timeout.inSeconds) s")
        }
    }

    /// Sends the request; a failure to get an answer's head comes back as the turn's outcome.
    func send(_ request: HTTPClientRequest) async -> Result<HTTPClientResponse, BotCallError> {
        do {
            // The deadline of `withDeadline` governs; this one only keeps a request from outliving the turn.
            return .success(try await http.execute(request, timeout: .seconds(Int64(timeout.inSeconds.rounded(.up)) + 1)))
        } catch {
            if Task.isCancelled { return .failure(BotCallError(.failed(.timeout, detail: "no answer in time"))) }
            if let client = error as? HTTPClientError, [.deadlineExceeded, .readTimeout].contains(client) {
                return .failure(BotCallError(.failed(.timeout, detail: "no answer in time")))
            }
            let words = redact(String(describing: error))
            // Refused, unresolvable, no route: the request never went out, and a bot that restarts is back in a
            // moment. A connection that broke once the request was sent is not tried again: a bot that keeps
            // state (Rasa's tracker) would take the user's message twice.
            guard Self.neverSent(error) else { return .failure(BotCallError(.failed(.unreachable, detail: "the connection broke before an answer: \(words)"))) }
            return .failure(BotCallError(.retry(.unreachable, detail: "could not reach the bot: \(words)", after: nil)))
        }
    }

    /// Whether the error says the request was never sent: the connection could not be made.
    static func neverSent(_ error: any Error) -> Bool {
        if error is NIOConnectionError { return true }
        if let client = error as? HTTPClientError, client == .connectTimeout { return true }
        if let io = error as? IOError { return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(io.errnoCode) }
        if case ChannelError.connectTimeout = error { return true }
        return false
    }

    /// Reads a whole (non-streamed) answer body.
    func body(of response: HTTPClientResponse) async -> Result<ByteBuffer, BotCallError> {
        do {
            return .success(try await response.body.collect(upTo: Self.maxBody))
        } catch {
            if Task.isCancelled { return .failure(BotCallError(.failed(.timeout, detail: "no complete answer in time"))) }
            if error is NIOTooManyBytesError { return .failure(BotCallError(.failed(.malformed, detail: "the answer is larger than \(Self.maxBody) bytes"))) }
            return .failure(BotCallError(.failed(.malformed, detail: redact("the answer broke off: \(String(describing: error))"))))
        }
    }

    /// A status other than 2xx as the turn's outcome: 401/403 refused, 429 rate limited (after `Retry-After`),
    /// 408/409/5xx retried, other 4xx rejected. The HTTP status decides; the body is only words for the log.
    func failure(status: Int, headers: HTTPHeaders, body: ByteBuffer?) -> BotCall {
        let text = body.map { redact(Self.errorText($0)) } ?? ""
        let raw = body.map { String(buffer: $0) } ?? ""
        let detail = "the bot answered HTTP \(status)" + (text.isEmpty ? "" : ": \(text)")
        switch status {
        case 401, 403:
            return .failed(.refused, detail: detail)
        case 429:
            // OpenAI's "insufficient_quota" is a 429 no waiting helps.
            // OpenAI says so in the error's `code` and `type`, not its message: the whole body is searched.
            if raw.contains("insufficient_quota") { return .failed(.rateLimited, detail: detail) }
            return .retry(.rateLimited, detail: detail, after: Self.retryAfter(headers))
        case 408, 409, 500...599:
            return .retry(.serverError, detail: detail, after: Self.retryAfter(headers))
        default:
            return .failed(.rejected, detail: detail)
        }
    }

    /// `retry-after-ms` (milliseconds, Azure) or `Retry-After` (seconds, fractions accepted, or an HTTP date).
    static func retryAfter(_ headers: HTTPHeaders, now: Date = Date()) -> Duration? {
        if let text = headers.first(name: "retry-after-ms"), let milliseconds = Double(text.trimmingCharacters(in: .whitespaces)), milliseconds >= 0 {
            return .milliseconds(Int64(milliseconds))
        }
        guard let text = headers.first(name: "retry-after")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(text), seconds >= 0 { return .milliseconds(Int64(seconds * 1000)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
    }

    /// An error body's message: OpenAI-style `{"error":{"message":…}}`, vLLM's `{"error":"…"}`, or the text.
    static func errorText(_ body: ByteBuffer) -> String {
        let raw = String(buffer: body)
        if let json = try? JSONValue(jsonText: raw) {
            if case .string(let message)? = json["error"]?["message"] { return clipped(message) }
            if case .string(let message)? = json["error"] { return clipped(message) }
            if case .string(let message)? = json["message"] { return clipped(message) }
        }
        return clipped(raw.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func clipped(_ text: String) -> String { text.count > 300 ? String(text.prefix(300)) + "…" : text }

    func redact(_ text: String) -> String {
        secrets.filter { !$0.isEmpty }.reduce(text) { $0.replacingOccurrences(of: $1, with: "<redacted>") }
    }
}

/// A turn's outcome met before the answer could be read; carried through `Result`.
struct BotCallError: Error {
    let call: BotCall
    init(_ call: BotCall) { self.call = call }
}
