public import BatonConfig
public import BatonCore
public import Foundation
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
    let now: @Sendable () -> Date
    private let buckets = Mutex<[SessionID: (tokens: Double, at: Date)]>([:])

    public init(_ settings: LimitSettings, now: @escaping @Sendable () -> Date = Date.init) {
        self.settings = settings
        self.now = now
        burst = Double(max(5, settings.messagesPerMinute / 4))
    }

    /// Takes one message's worth from the session's bucket, or throws why not.
    public func admit(_ text: String, sessionID: SessionID) throws(MessageLimitError) {
        if text.count > settings.maxMessageLength { throw .tooLong(max: settings.maxMessageLength) }
        let perSecond = Double(settings.messagesPerMinute) / 60
        let now = now()
        let wait: Double? = buckets.withLock { buckets in
            if buckets.count > 50_000 { buckets = buckets.filter { now.timeIntervalSince($0.value.at) < 120 } }
            var bucket = buckets[sessionID] ?? (burst, now)
            // A clock set back refills nothing rather than taking tokens away.
            let elapsed = max(0, now.timeIntervalSince(bucket.at))
            bucket.tokens = min(burst, bucket.tokens + elapsed * perSecond)
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

    /// The `reason` label of `baton_requests_refused_total`.
    var metricLabel: String {
        switch self {
        case .rateLimited: "rate"
        case .tooLong: "length"
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
