/// Conversation status (Chatwoot's enum: open 0, resolved 1, pending 2, snoozed 3).
public enum ConversationStatus: String, Sendable, Hashable, CaseIterable {
    case open, resolved, pending, snoozed
}

/// Identifies a conversation the way every URL, API body and webhook does: account id + per-account display id.
public struct ConversationRef: Sendable, Hashable, CustomStringConvertible {
    /// Chatwoot's `account_id`.
    public let accountId: Int
    /// Chatwoot's `display_id`.
    public let displayId: Int
    public init(accountId: Int, displayId: Int) {
        self.accountId = accountId
        self.displayId = displayId
    }
    /// Chatwoot's `description`.
    public var description: String { "account \(accountId) conversation \(displayId)" }
}

/// A conversation. `id` is the database id; clients only ever see ``displayId``.
public struct Conversation: Sendable, Hashable, Identifiable {
    /// The record id.
    public let id: Int
    /// Chatwoot's `display_id`.
    public let displayId: Int
    /// Chatwoot's `account_id`.
    public let accountId: Int
    /// Chatwoot's `inbox_id`.
    public let inboxId: Int
    /// Chatwoot's `contact_id`.
    public let contactId: Int
    /// Chatwoot's `contact_inbox_id`.
    public let contactInboxId: Int
    /// Chatwoot's `uuid`.
    public let uuid: String
    /// Chatwoot's `status`.
    public internal(set) var status: ConversationStatus
    /// Chatwoot's `assignee_id`.
    public internal(set) var assigneeId: Int?
    /// Chatwoot's `assignee_agent_bot_id`.
    public internal(set) var assigneeAgentBotId: Int?
    /// Chatwoot's `team_id`.
    public internal(set) var teamId: Int?
    /// Chatwoot's `additional_attributes`.
    public internal(set) var additionalAttributes: JSONValue
    /// Chatwoot's `custom_attributes`.
    public internal(set) var customAttributes: JSONValue
    /// Chatwoot's `labels`.
    public internal(set) var labels: [String]
    /// Chatwoot's `priority`.
    public internal(set) var priority: String?
    /// Chatwoot's `snoozed_until`.
    public internal(set) var snoozedUntil: Instant?
    /// Chatwoot's `waiting_since`.
    public internal(set) var waitingSince: Instant?
    /// Chatwoot's `first_reply_created_at`.
    public internal(set) var firstReplyCreatedAt: Instant?
    /// Chatwoot's `agent_last_seen_at`.
    public internal(set) var agentLastSeenAt: Instant?
    /// Chatwoot's `assignee_last_seen_at`.
    public internal(set) var assigneeLastSeenAt: Instant?
    /// Chatwoot's `contact_last_seen_at`.
    public internal(set) var contactLastSeenAt: Instant?
    /// Chatwoot's `last_activity_at`.
    public internal(set) var lastActivityAt: Instant
    /// Chatwoot's `created_at`.
    public let createdAt: Instant
    /// Chatwoot's `updated_at`.
    public internal(set) var updatedAt: Instant

    /// The reference used by the public API.
    public var ref: ConversationRef { ConversationRef(accountId: accountId, displayId: displayId) }
}
