/// An agent bot: the identity a bridge posts bot messages with (`sender.type == "agent_bot"`).
public struct AgentBot: Sendable, Hashable, Identifiable {
    public let id: Int
    /// nil for system bots (made through the Platform API).
    public internal(set) var accountId: Int?
    public internal(set) var name: String
    public internal(set) var description: String?
    public internal(set) var outgoingURL: String?
    public internal(set) var accessToken: String
    public internal(set) var secret: String
    public internal(set) var botConfig: JSONValue
    public let createdAt: Instant
}
