/// The channel behind an inbox. Only API inboxes get webhooks and accept `incoming` messages from the API.
public enum InboxChannel: String, Sendable, Hashable {
    /// `Channel::Api`
    case api = "Channel::Api"
    /// `Channel::WebWidget` (present so the "incoming only in API inboxes" rule can be exercised).
    case webWidget = "Channel::WebWidget"
}

/// An inbox with its channel record folded in.
public struct Inbox: Sendable, Hashable, Identifiable {
    /// The record id.
    public let id: Int
    /// Chatwoot's `account_id`.
    public let accountId: Int
    /// Chatwoot's `name`.
    public internal(set) var name: String
    /// Chatwoot's `channel`.
    public let channel: InboxChannel
    /// The id of the channel record (`channel_id`).
    public let channelId: Int
    /// `Channel::Api#webhook_url`; empty or nil means no webhooks.
    public internal(set) var webhookURL: String?
    /// `Channel::Api#secret`: the webhook signing key.
    public internal(set) var secret: String
    /// `Channel::Api#hmac_token`: the Client-API identity key (not used for webhooks).
    public internal(set) var hmacToken: String
    /// `Channel::Api#identifier`: the Client-API inbox identifier.
    public internal(set) var inboxIdentifier: String
    /// The connected agent bot (`agent_bot_inbox`), which makes new conversations start `pending`.
    public internal(set) var agentBotId: Int?
    /// Chatwoot's `lock_to_single_conversation`.
    public internal(set) var lockToSingleConversation: Bool
    /// Chatwoot's `created_at`.
    public let createdAt: Instant
    /// Chatwoot's `updated_at`.
    public internal(set) var updatedAt: Instant
}
