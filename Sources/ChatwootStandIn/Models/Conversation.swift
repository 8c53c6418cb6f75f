/// Conversation status (Chatwoot's enum: open 0, resolved 1, pending 2, snoozed 3).
public enum ConversationStatus: String, Sendable, Hashable, CaseIterable {
    case open, resolved, pending, snoozed
}

/// Identifies a conversation the way every URL, API body and webhook does: account id + per-account display id.
public struct ConversationRef: Sendable, Hashable, CustomStringConvertible {
    public let accountId: Int
    public let displayId: Int
    public init(accountId: Int, displayId: Int) {
        self.accountId = accountId
        self.displayId = displayId
    }
    public var description: String { "account \(accountId) conversation \(displayId)" }
}

/// A conversation. `id` is the database id; clients only ever see ``displayId``.
public struct Conversation: Sendable, Hashable, Identifiable {
    public let id: Int
    public let displayId: Int
    public let accountId: Int
    public let inboxId: Int
    public let contactId: Int
    public let contactInboxId: Int
    public let uuid: String
    public internal(set) var status: ConversationStatus
    public internal(set) var assigneeId: Int?
    public internal(set) var assigneeAgentBotId: Int?
    public internal(set) var teamId: Int?
    public internal(set) var additionalAttributes: JSONValue
    public internal(set) var customAttributes: JSONValue
    public internal(set) var labels: [String]
    public internal(set) var priority: String?
    public internal(set) var snoozedUntil: Instant?
    public internal(set) var waitingSince: Instant?
    public internal(set) var firstReplyCreatedAt: Instant?
    public internal(set) var agentLastSeenAt: Instant?
    public internal(set) var assigneeLastSeenAt: Instant?
    public internal(set) var contactLastSeenAt: Instant?
    public internal(set) var lastActivityAt: Instant
    public let createdAt: Instant
    public internal(set) var updatedAt: Instant

    /// The reference used by the public API.
    public var ref: ConversationRef { ConversationRef(accountId: accountId, displayId: displayId) }
}
