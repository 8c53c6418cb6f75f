public import BatonConfig
public import BatonCore
public import Foundation
public import Hummingbird

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

/// Per-session limits on user messages: a maximum length, and a rate (`messagesPerMinute`, with a burst of a
/// quarter of it, at least 5) taken from the session's ``RateBucket`` inside the message's own write, so it holds
/// across instances and a refused message stores nothing.
public struct MessageLimits: Sendable {
    let settings: LimitSettings
    let burst: Double

    public init(_ settings: LimitSettings) {
        self.settings = settings
        burst = Double(max(5, settings.messagesPerMinute / 4))
    }

    /// Throws when the text is longer than the limit.
    public func checkLength(_ text: String) throws(MessageLimitError) {
        if text.count > settings.maxMessageLength { throw .tooLong(max: settings.maxMessageLength) }
    }

    /// Takes one message's worth from the session's bucket at `now`, or throws how long to wait.
    public func take(from bucket: inout RateBucket?, at now: Date) throws(MessageLimitError) {
        let perSecond = Double(settings.messagesPerMinute) / 60
        let (taken, wait) = RateBucket.take(from: bucket, at: now, perSecond: perSecond, burst: burst)
        bucket = taken
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
