/// A canned answer the stand-in gives instead of handling matching requests (see ``ChatwootStandIn/injectFault(_:)``).
public struct FaultRule: Sendable, Identifiable {
    /// What to answer.
    public enum Response: Sendable {
        /// Any status with a body and content type.
        case custom(status: Int, body: String, contentType: String?)
        /// Handle the request normally (use with ``FaultRule/latency`` to only slow requests down).
        case passThrough
        /// Drop the connection without an answer, as a Chatwoot worker that dies mid-request (or its proxy) does;
        /// `afterHandling`: the request was carried out first. The recorded request has no status.
        case closeConnection(afterHandling: Bool)

        /// 401 `{"error":"Invalid Access Token"}`.
        public static let invalidAccessToken = Response.custom(status: 401, body: #"{"error":"Invalid Access Token"}"#, contentType: "application/json; charset=utf-8")
        /// 404 `{"error":"Resource could not be found"}`.
        public static let notFound = Response.custom(status: 404, body: #"{"error":"Resource could not be found"}"#, contentType: "application/json; charset=utf-8")
        /// rack-attack's throttle answer: 429, `text/plain`, `Retry later\n`, no Retry-After.
        public static let rateLimited = Response.custom(status: 429, body: "Retry later\n", contentType: "text/plain")
        /// Rails' production 500 page.
        public static let internalServerError = Response.custom(
            status: 500, body: StandInAPIError.internalServerError.text ?? "", contentType: "text/html; charset=utf-8")
        /// 422 `{"error": message}`.
        public static func unprocessable(_ message: String) -> Response {
            .custom(status: 422, body: JSONWriter.string(["error": .string(message)]), contentType: "application/json; charset=utf-8")
        }
        /// A JSON body with a status.
        public static func json(_ status: Int, _ body: JSONValue) -> Response {
            .custom(status: status, body: JSONWriter.string(body), contentType: "application/json; charset=utf-8")
        }
    }

    public let id: Int
    /// `GET`, `POST`, … or nil for any method.
    public let method: String?
    /// A path glob: `*` matches one segment, `**` any number of segments, e.g.
    /// `/api/v1/accounts/*/conversations/*/messages`.
    public let pathPattern: String
    public let response: Response
    /// How many more requests it applies to (nil: until removed).
    public internal(set) var remaining: Int?
    /// Added before answering.
    public let latency: Duration

    /// Whether a request matches.
    public func matches(method: String, path: String) -> Bool {
        if let m = self.method, m.uppercased() != method.uppercased() { return false }
        return Self.glob(pathPattern.split(separator: "/").map(String.init)[...], path.split(separator: "/").map(String.init)[...])
    }

    static func glob(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        if head == "**" {
            if glob(pattern.dropFirst(), path) { return true }
            return !path.isEmpty && glob(pattern, path.dropFirst())
        }
        guard let segment = path.first, head == "*" || head == segment else { return false }
        return glob(pattern.dropFirst(), path.dropFirst())
    }
}
