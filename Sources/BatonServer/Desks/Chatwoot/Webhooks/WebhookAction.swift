public import BatonCore
public import Foundation

/// What Baton must do about one webhook, as decided by ``WebhookClassifier``.
public enum WebhookAction: Sendable, Hashable {
    /// An agent's message for the user: event message_created (or message_updated for a not-deleted eligible
    /// message: Baton dedupes by id), message_type outgoing, private false, sender.type "user", source_id not
    /// starting with Baton's prefix.
    case deliver(AgentMessage)
    /// message_updated with content_attributes.deleted == true for an outgoing message: retract it.
    case retract(chatwootMessageID: Int, conversation: ConversationRef)
    /// conversation_status_changed, or conversation_updated (status read from `status`), or conversation_created:
    /// the conversation's current status, with updated_at so Baton can ignore stale events; when it is resolved,
    /// its labels and custom attributes (how the agents say it ended); its newest message when the user sent it
    /// (whose late arrival may be what reopened it).
    case status(
        ConversationRef, status: ConversationStatus, updatedAt: Double?, resolution: ResolutionDetails? = nil, newestUserMessageAt: Double? = nil)
    /// conversation_updated whose changes give the conversation a human assignee (an agent took it; the status
    /// did not change in the same save).
    case assigned(ConversationRef, agentName: String?, agentAvatar: String?)
    /// message_created of Chatwoot's satisfaction survey (a `template` message, content_type `input_csat`) with the
    /// conversation uuid read from its link.
    case survey(SurveyRequest)
    /// conversation_updated whose changes set the conversation's `baton_resume_at` attribute: an agent gives the
    /// user back to the bot at that flow node, without resolving; with the conversation's labels and attributes then.
    case handBack(ConversationRef, nodeID: String, resolution: ResolutionDetails? = nil)
    /// Agent typing (not is_private), from conversation_typing_on/off; typing by bots/contacts is ignored.
    case typing(ConversationRef, on: Bool, agentName: String?)
    /// Everything else, with the reason (echo of our own post, incoming, private note, template, bot message,
    /// typing of a private note, unknown event…).
    case ignore(reason: String)
}

extension WebhookAction {
    /// What a `status` action tells the handover (from a webhook, or the API read as one); `nil` for other actions.
    public var statusEvent: HandoverEvent? {
        guard case .status(let conversation, let status, let updatedAt, let resolution, let newestUserMessageAt) = self else { return nil }
        return .providerStatus(
            status.provider, conversationID: conversation.conversationID, updatedAt: updatedAt, resolution: resolution,
            newestUserMessageAt: newestUserMessageAt)
    }
}

/// Which Chatwoot conversation an action is about, with what Baton needs to find its session.
public struct ConversationRef: Sendable, Hashable {
    /// `nil` when Chatwoot did not send it (conversation `account` exists since 4.14.2).
    public var accountID: Int?
    public var inboxID: Int?
    /// The display id.
    public var conversationID: Int
    /// `contact_inbox.source_id`.
    public var sourceID: String?
    /// The conversation's `custom_attributes`, where Baton stores its session id at handover.
    public var customAttributes: JSONValue

    /// Creates a reference.
    public init(
        accountID: Int? = nil, inboxID: Int? = nil, conversationID: Int, sourceID: String? = nil,
        customAttributes: JSONValue = .emptyObject
    ) {
        self.accountID = accountID
        self.inboxID = inboxID
        self.conversationID = conversationID
        self.sourceID = sourceID
        self.customAttributes = customAttributes
    }
}

/// How an agent gives the user back to the bot without resolving: by setting a conversation custom attribute.
public enum HandBack {
    /// The attribute's key; its value names the flow node the bot goes on at.
    public static let attribute = "baton_resume_at"

    /// The node a `custom_attributes` change chose: `baton_resume_at` set to a new, non-empty text; else `nil`.
    static func node(previous: JSONValue?, current: JSONValue?) -> String? {
        guard case .string(let value)? = current?[attribute], previous?[attribute] != current?[attribute] else { return nil }
        let node = value.trimmingCharacters(in: .whitespacesAndNewlines)
        return node.isEmpty ? nil : String(node.prefix(200))
    }
}

/// Chatwoot's satisfaction survey, sent when a conversation is resolved (`app/services/csat_survey_service.rb`).
public struct SurveyRequest: Sendable, Hashable {
    public var chatwootMessageID: Int
    public var conversation: ConversationRef
    /// The survey's question, the link taken out.
    public var text: String
    /// From the link `<FRONTEND_URL>/survey/responses/<uuid>`.
    public var conversationUUID: String
    /// `emoji` or `star` (`content_attributes.display_type`).
    public var displayType: String
}

/// A Chatwoot conversation status; `resolved` ends a handover.
public enum ConversationStatus: String, Sendable, Hashable {
    case open, resolved, pending, snoozed

    /// The status as the handover lifecycle knows it.
    public var provider: ProviderStatus { ProviderStatus(rawValue: rawValue) ?? .open }

    /// A payload's `status`, in any case (Chatwoot sends it lower case, which is read without making a copy: every
    /// agent reply's webhook carries one).
    init?(payload raw: String) {
        guard let status = Self(rawValue: raw) ?? Self(rawValue: raw.lowercased()) else { return nil }
        self = status
    }
}

/// An agent's message to forward to the end user.
public struct AgentMessage: Sendable, Hashable {
    /// Chatwoot's message id: Baton's dedupe key (a message may arrive again as message_updated).
    public var chatwootMessageID: Int
    public var conversation: ConversationRef
    /// The content as-is (Markdown; the webchat renders it inertly); `""` for attachment-only messages.
    public var text: String
    /// The message's files with web URLs, in Chatwoot's order.
    public var attachments: [Attachment]
    /// The agent's display name (`sender.name`).
    public var agentName: String?
    /// When Chatwoot created the message (ISO 8601), as sent.
    public let createdAt: String?
    /// `createdAt` as a time (read once: the relay needs it twice).
    public let sentAt: Date?
    /// The conversation's status as a new message's webhook carries it (not an update's), when it is open or pending
    /// and timed: an agent writes in an open conversation, so a handover of it that ended here was reopened (and that
    /// event was lost), or Baton's close of it was not made yet.
    public var openStatus: HandoverEvent?

    /// Creates an agent message.
    public init(
        chatwootMessageID: Int, conversation: ConversationRef, text: String, attachments: [Attachment] = [],
        agentName: String? = nil, createdAt: String? = nil, openStatus: HandoverEvent? = nil
    ) {
        self.chatwootMessageID = chatwootMessageID
        self.conversation = conversation
        self.text = text
        self.attachments = attachments
        self.agentName = agentName
        self.createdAt = createdAt
        sentAt = Self.time(createdAt)
        self.openStatus = openStatus
    }

    /// `createdAt` as a time: Chatwoot sends seconds since 1970 in its API's messages and in a webhook's nested
    /// message, ISO 8601 at a webhook's top level (`app/models/message.rb`, `push_event_data` and `webhook_data`).
    static func time(_ createdAt: String?) -> Date? {
        guard let createdAt else { return nil }
        if let seconds = Double(createdAt) { return Date(timeIntervalSince1970: seconds) }
        return (try? Date(createdAt, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)))
            ?? (try? Date(createdAt, strategy: .iso8601))
    }
}
