public import StandInJSON

/// One HTTP request a stand-in received, kept so tests can check what the client sent.
public struct RecordedRequest: Sendable, Identifiable {
    /// Sequence number, 1-based, in arrival order.
    public let id: Int
    /// `GET`, `POST`, …
    public let method: String
    /// The path without the query string.
    public let path: String
    /// The raw query string (without `?`), if any.
    public let query: String?
    /// Header names (lower-cased) and values in arrival order, secrets included: tests check the auth headers.
    public let headers: [(name: String, value: String)]
    /// The raw body (empty when it went over the size limit).
    public let body: [UInt8]

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON; nil when it is not JSON.
    public var json: JSONValue? { try? JSONParser.parse(body) }

    /// The first value of a header (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }

    /// The first value of a query parameter, percent-decoded.
    public func queryItem(_ name: String) -> String? {
        QueryString.items(query).first { $0.name == name }?.value
    }
}

/// ``OpenAIStandIn/waitForRequests(count:timeout:)`` or ``RasaStandIn/waitForRequests(count:timeout:)`` gave up.
public struct StandInWaitTimeout: Error, CustomStringConvertible {
    /// How many requests were wanted.
    public let wanted: Int
    /// How many had arrived when the time was up.
    public let arrived: Int
    public var description: String { "waited for \(wanted) request(s), \(arrived) arrived in time" }
}
