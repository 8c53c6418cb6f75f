/// A user's role in one account.
public enum UserRole: String, Sendable, Hashable, CaseIterable {
    case administrator
    case agent
}

/// A human agent or administrator with an API access token.
public struct User: Sendable, Hashable, Identifiable {
    /// The record id.
    public let id: Int
    /// Chatwoot's `name`.
    public internal(set) var name: String
    /// Chatwoot's `display_name`, shown to contacts as `available_name` (falls back to `name`).
    public internal(set) var displayName: String?
    /// Chatwoot's `email`.
    public internal(set) var email: String
    /// The `api_access_token` value.
    public internal(set) var accessToken: String
    /// Role per account id (Chatwoot's `account_users`).
    public internal(set) var roles: [Int: UserRole]
    /// The availability setting per account id (`account_users.availability`); an account missing here has the
    /// column default, online.
    public internal(set) var availabilities: [Int: AgentAvailability] = [:]
    /// The blob of the profile picture (`has_one_attached :avatar`); `avatar_url` and `thumbnail` are "" without one.
    public internal(set) var avatarBlobId: Int?

    /// The availability setting in `account`.
    public func availability(in account: Int) -> AgentAvailability { availabilities[account] ?? .online }

    /// `available_name`: the display name when set, else the name.
    public var availableName: String { (displayName?.isEmpty == false ? displayName : nil) ?? name }
}
