/// A contact (end user) of an account.
public struct Contact: Sendable, Hashable, Identifiable {
    public let id: Int
    public let accountId: Int
    public internal(set) var name: String
    public internal(set) var email: String?
    public internal(set) var phoneNumber: String?
    public internal(set) var identifier: String?
    public internal(set) var blocked: Bool
    public internal(set) var additionalAttributes: JSONValue
    public internal(set) var customAttributes: JSONValue
    public internal(set) var lastActivityAt: Instant?
    public let createdAt: Instant
    public internal(set) var updatedAt: Instant
}
