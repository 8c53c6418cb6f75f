/// A request that Chatwoot's OpenAPI spec (swagger.json) does not allow.
public struct SpecViolation: Sendable, Hashable, CustomStringConvertible {
    /// The ``RecordedRequest/id`` it was found in.
    public let requestId: Int
    /// The HTTP method (`GET`, `POST`, …).
    public let method: String
    /// The request path.
    public let path: String
    /// The matching swagger path template, when one matched.
    public let template: String?
    /// What is wrong, e.g. `body.inbox_id: expected integer, got string`.
    public let problem: String

    /// `METHOD path: problem`.
    public var description: String { "\(method) \(path): \(problem)" }
}
