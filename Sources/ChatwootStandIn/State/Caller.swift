/// Who performs an operation: Chatwoot's `Current.user` (a User or an AgentBot), or nobody (contact/system).
enum Caller: Sendable {
    case user(User)
    case agentBot(AgentBot)
    /// The contact itself (Client API) or the system: no `Current.user`.
    case none

    /// `Current.user.name` for activity messages.
    var name: String? {
        switch self {
        case .user(let user): user.name
        case .agentBot(let bot): bot.name
        case .none: nil
        }
    }

    var userId: Int? {
        if case .user(let user) = self { return user.id }
        return nil
    }

    /// `"User 12"` / `"AgentBot 3"` for request records.
    var label: String? {
        switch self {
        case .user(let user): "User \(user.id)"
        case .agentBot(let bot): "AgentBot \(bot.id)"
        case .none: nil
        }
    }
}
