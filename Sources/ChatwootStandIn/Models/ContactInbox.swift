/// The link between a contact and an inbox, keyed by `source_id` (the API channel's session id).
public struct ContactInbox: Sendable, Hashable, Identifiable {
    /// The record id.
    public let id: Int
    /// Chatwoot's `contact_id`.
    public let contactId: Int
    /// Chatwoot's `inbox_id`.
    public let inboxId: Int
    /// Chatwoot's `source_id`.
    public internal(set) var sourceId: String
    /// Chatwoot's `hmac_verified`.
    public internal(set) var hmacVerified: Bool
    /// Chatwoot's `pubsub_token`.
    public let pubsubToken: String
    /// Chatwoot's `created_at`.
    public let createdAt: Instant
    /// Chatwoot's `updated_at`.
    public internal(set) var updatedAt: Instant
}
