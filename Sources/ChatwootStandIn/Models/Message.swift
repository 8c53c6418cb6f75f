/// Message type (Chatwoot's enum; REST bodies carry the raw value, the top level of webhooks the name).
public enum MessageType: Int, Sendable, Hashable, CaseIterable {
    case incoming = 0, outgoing = 1, activity = 2, template = 3

    /// The enum name: `"incoming"`, `"outgoing"`, `"activity"`, `"template"`.
    public var name: String {
        switch self {
        case .incoming: "incoming"
        case .outgoing: "outgoing"
        case .activity: "activity"
        case .template: "template"
        }
    }

    init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }
}

/// Delivery status of a message.
public enum MessageStatus: String, Sendable, Hashable, CaseIterable {
    case sent, delivered, read, failed
}

/// Who wrote a message.
public enum MessageSender: Sendable, Hashable {
    case user(Int)
    case contact(Int)
    case agentBot(Int)

    /// Chatwoot's `sender_type` column value.
    public var typeName: String {
        switch self {
        case .user: "User"
        case .contact: "Contact"
        case .agentBot: "AgentBot"
        }
    }

    /// The sender's id.
    public var id: Int {
        switch self {
        case .user(let id), .contact(let id), .agentBot(let id): id
        }
    }
}

/// A message in a conversation.
public struct Message: Sendable, Hashable, Identifiable {
    /// The record id.
    public let id: Int
    /// Chatwoot's `account_id`.
    public let accountId: Int
    /// Chatwoot's `inbox_id`.
    public let inboxId: Int
    /// The conversation's database id (see ``conversationDisplayId`` for the public one).
    public let conversationId: Int
    /// The conversation display id.
    public let conversationDisplayId: Int
    /// Chatwoot's `message_type`.
    public let messageType: MessageType
    /// Chatwoot's `content`.
    public internal(set) var content: String?
    /// Chatwoot's `content_type`.
    public internal(set) var contentType: String
    /// Chatwoot's `content_attributes`.
    public internal(set) var contentAttributes: JSONValue
    /// Chatwoot's `additional_attributes`.
    public internal(set) var additionalAttributes: JSONValue
    /// Chatwoot's `private`.
    public let isPrivate: Bool
    /// Chatwoot's `status`.
    public internal(set) var status: MessageStatus
    /// Chatwoot's `source_id`.
    public internal(set) var sourceId: String?
    /// Chatwoot's `sender`.
    public let sender: MessageSender?
    /// Chatwoot's `attachments`.
    public internal(set) var attachments: [Attachment]
    /// Chatwoot's `created_at`.
    public let createdAt: Instant
    /// Chatwoot's `updated_at`.
    public internal(set) var updatedAt: Instant

    /// The conversation reference.
    public var conversation: ConversationRef { ConversationRef(accountId: accountId, displayId: conversationDisplayId) }
    /// `content_attributes.deleted == true`.
    public var isDeleted: Bool { contentAttributes["deleted"]?.boolValue == true }
}
