/// The link between a contact and an inbox, keyed by `source_id` (the API channel's session id).
public struct ContactInbox: Sendable, Hashable, Identifiable {
    public let id: Int
    public let contactId: Int
    public let inboxId: Int
    public internal(set) var sourceId: String
    public internal(set) var hmacVerified: Bool
    public let pubsubToken: String
    public let createdAt: Instant
    public internal(set) var updatedAt: Instant
}
