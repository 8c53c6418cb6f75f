/// One HTTP request the stand-in received, kept for assertions.
public struct RecordedRequest: Sendable, Hashable, Identifiable {
    /// Sequence number (1-based, in arrival order).
    public let id: Int
    /// The HTTP method (`GET`, `POST`, …).
    public let method: String
    /// The path without the query string.
    public let path: String
    /// The raw query string (without `?`), if any.
    public let query: String?
    /// Header names (lowercased) and values, in arrival order. The `api_access_token` value is replaced by
    /// `"<redacted>"` so logs and test failures never show a secret.
    public let headers: [(name: String, value: String)]
    /// The raw body.
    public let body: [UInt8]
    /// Who the token belongs to (`"User 12"`, `"AgentBot 3"`, `"unknown"`, or nil without a token).
    public internal(set) var tokenOwner: String?
    /// The status the stand-in answered with (nil while the request is in flight).
    public internal(set) var responseStatus: Int?
    /// The received time.
    public let receivedAt: Instant

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
    /// The body parsed as JSON, if it is JSON.
    public var json: JSONValue? { try? JSONParser.parse(body) }
    /// The first value of a header (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first(where: { $0.name == lower })?.value
    }

    public static func == (lhs: RecordedRequest, rhs: RecordedRequest) -> Bool { lhs.id == rhs.id && lhs.responseStatus == rhs.responseStatus }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}
