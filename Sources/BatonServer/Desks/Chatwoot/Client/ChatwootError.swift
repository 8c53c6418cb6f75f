/// A failed Chatwoot API call, sorted by what the caller can do about it.
public struct ChatwootError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// 401: the token is unknown, or not allowed to do this (Chatwoot answers 401 for refusals too).
        case unauthorized
        /// 404: no such account, inbox, contact or conversation.
        case notFound
        /// 422: Chatwoot refused the request's content (validation, "Too many messages", duplicates).
        case unprocessable
        /// 429: rate limited ("Retry later", no Retry-After).
        case rateLimited
        /// 5xx or another unexpected status.
        case server
        /// No answer: connection refused, timeout, DNS.
        case unreachable
        /// A 2xx whose body is not what Chatwoot sends.
        case invalidResponse
    }

    public var kind: Kind
    /// The HTTP status, when there was an answer.
    public var status: Int?
    /// What Chatwoot said (its `error` or `message`), or what went wrong. Never contains the token.
    public var message: String
    /// The call, e.g. `POST /conversations`.
    public var operation: String
    /// The request was sent but no answer came: Chatwoot may have carried it out, so a retry looks first.
    public var mayHaveArrived = false
    /// No answer came in time (or Baton gave up waiting): Chatwoot may still be carrying it out, so a retry that
    /// looked now could miss it and make a second copy. Not so when Chatwoot's side closed the connection: the
    /// request was done with, carried out or not, and a retry can look at once.
    public var mayStillBeProcessed = false

    public init(kind: Kind, status: Int?, message: String, operation: String) {
        self.kind = kind
        self.status = status
        self.message = message
        self.operation = operation
    }

    public var description: String {
        "\(operation): \(status.map { "HTTP \($0) " } ?? "")\(kind.rawValue): \(message)"
    }

    /// Whether the same call may succeed later without any change (rate limits, outages).
    public var isTransient: Bool { kind == .rateLimited || kind == .server || kind == .unreachable }

    static func kind(forStatus status: Int) -> Kind {
        switch status {
        case 401, 403: .unauthorized
        case 404: .notFound
        case 422, 400: .unprocessable
        case 429: .rateLimited
        default: .server
        }
    }
}
