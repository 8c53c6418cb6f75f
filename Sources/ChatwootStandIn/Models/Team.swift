/// A team of agents (`app/models/team.rb`). Conversations can be assigned to one.
public struct Team: Sendable, Hashable, Identifiable {
    /// The record id.
    public let id: Int
    public let accountId: Int
    /// Chatwoot's `name`, downcased on save.
    public internal(set) var name: String
    public internal(set) var description: String?
    /// Chatwoot's `allow_auto_assign` (default true).
    public internal(set) var allowAutoAssign: Bool
    public let createdAt: Instant
}
