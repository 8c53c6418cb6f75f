/// An agent bot: the identity a bridge posts bot messages with (`sender.type == "agent_bot"`).
public struct AgentBot: Sendable, Hashable, Identifiable {
    /// The record id.
    public let id: Int
    /// nil for system bots (made through the Platform API).
    public internal(set) var accountId: Int?
    /// Chatwoot's `name`.
    public internal(set) var name: String
    /// Chatwoot's `description`.
    public internal(set) var description: String?
    /// Chatwoot's `outgoing_url`.
    public internal(set) var outgoingURL: String?
    /// Chatwoot's `access_token`.
    public internal(set) var accessToken: String
    /// Chatwoot's `secret`.
    public internal(set) var secret: String
    /// Chatwoot's `bot_config`.
    public internal(set) var botConfig: JSONValue
    /// Chatwoot's `created_at`.
    public let createdAt: Instant
}
