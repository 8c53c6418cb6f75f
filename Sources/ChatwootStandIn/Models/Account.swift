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
}
