/// An agent's availability setting in one account (`account_users.availability`, Chatwoot's enum
/// online 0, offline 1, busy 2; the column default is online).
public enum AgentAvailability: String, Sendable, Hashable, CaseIterable {
    case online, busy, offline
}
