public import BatonConfig
public import BatonCore
public import Hummingbird
import Synchronization

/// Why a user message was refused before it reached the flow.
public enum MessageLimitError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The session sent more than its rate allows; try again after `retryAfter` seconds.
    case rateLimited(retryAfter: Int)
    /// The text is longer than `max` characters.
    case tooLong(max: Int)

    public var description: String {
        switch self {
        case .rateLimited(let seconds): "too many messages from this session; try again in \(seconds) s"
        case .tooLong(let max): "messages are limited to \(max) characters"
        }
    }
}

/// Per-session limits on user messages: a token bucket per session (refilled at `messagesPerMinute`, holding a
/// burst), and a maximum length. Kept in memory: a restart forgives, which is harmless.
public final class MessageLimits: Sendable {
    let settings: LimitSettings
    let burst: Double
    private let buckets = Mutex<[SessionID: (tokens: Double, at: ContinuousClock.Instant)]>([:])

    public init(_ settings: LimitSettings) {
        self.settings = settings
        burst = Double(max(5, settings.messagesPerMinute / 4))
    }

    /// Takes one message's worth from the session's bucket, or throws why not.
    public func admit(_ text: String, sessionID: SessionID, now: ContinuousClock.Instant = .now) throws(MessageLimitError) {
        if text.count > settings.maxMessageLength { throw .tooLong(max: settings.maxMessageLength) }
        let perSecond = Double(settings.messagesPerMinute) / 60
        let wait: Double? = buckets.withLock { buckets in
            if buckets.count > 50_000 { buckets = buckets.filter { now - $0.value.at < .seconds(120) } }
            var bucket = buckets[sessionID] ?? (burst, now)
            let elapsed = now - bucket.at
            bucket.tokens = min(burst, bucket.tokens + (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * perSecond)
            bucket.at = now
            defer { buckets[sessionID] = bucket }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / perSecond }
            bucket.tokens -= 1
            return nil
        }
        if let wait { throw .rateLimited(retryAfter: max(1, Int(wait.rounded(.up)))) }
    }
}

extension MessageLimitError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch self {
        case .rateLimited: .tooManyRequests
        case .tooLong: .contentTooLarge
        }
    }

    /// The webchat's and the REST API's error code.
    public var code: String {
        switch self {
        case .rateLimited: "rate_limited"
        case .tooLong: "text_too_long"
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try APIError(status, code, description).response(from: request, context: context)
        if case .rateLimited(let seconds) = self { response.headers[.retryAfter] = String(seconds) }
        return response
    }
}
