/// A contact (end user) of an account.
public struct Contact: Sendable, Hashable, Identifiable {
    /// The record id.
    public let id: Int
    /// Chatwoot's `account_id`.
    public let accountId: Int
    /// Chatwoot's `name`.
    public internal(set) var name: String
    /// Chatwoot's `email`.
    public internal(set) var email: String?
    /// Chatwoot's `phone_number`.
    public internal(set) var phoneNumber: String?
    /// Chatwoot's `identifier`.
    public internal(set) var identifier: String?
    /// Chatwoot's `blocked`.
    public internal(set) var blocked: Bool
    /// Chatwoot's `additional_attributes`.
    public internal(set) var additionalAttributes: JSONValue
    /// Chatwoot's `custom_attributes`.
    public internal(set) var customAttributes: JSONValue
    /// Chatwoot's `last_activity_at`.
    public internal(set) var lastActivityAt: Instant?
    /// Chatwoot's `created_at`.
    public let createdAt: Instant
    /// Chatwoot's `updated_at`.
    public internal(set) var updatedAt: Instant
}
