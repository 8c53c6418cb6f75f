/// A Chatwoot account (tenant). Conversation display ids are numbered per account.
public struct Account: Sendable, Hashable, Identifiable {
    /// The record id.
    public let id: Int
    /// Chatwoot's `name`.
    public internal(set) var name: String
    /// A suspended account answers every Application-API call with 401 `Account is suspended`.
    public internal(set) var suspended: Bool
    /// The last display id handed out in this account (Chatwoot's `conv_dpid_seq_<account>`).
    public internal(set) var lastDisplayId: Int
    /// `Account#settings["keep_pending_on_bot_failure"]` (console/DB only): a failed agent-bot webhook leaves
    /// pending conversations pending instead of opening them.
    public internal(set) var keepPendingOnBotFailure = false
}
