import BatonCore
import Foundation

/// The conversation an agent-bot webhook is about, as its payload shows it at the event.
struct InboxConversation: Sendable, Hashable {
    var accountID: Int
    /// The display id, used in every API path.
    var conversationID: Int
    var inboxID: Int
    /// `Channel::Whatsapp`, `Channel::WebWidget`…
    var channelType: String
    /// `pending` while the bot has it, `open` once humans do, `resolved`, `snoozed`.
    var status: String
    /// The bot the conversation is assigned to (`meta.assignee_type == "AgentBot"`), if any.
    var assignedBotID: Int?
    /// Chatwoot's `updated_at`, to drop status events that arrive after newer ones.
    var updatedAt: Double?
    var contact: InboxContact
    /// Its labels and custom attributes: how the agents say it ended, when they give it back to the bot.
    var resolution = ResolutionDetails(labels: [], attributes: .object([:]))
}

/// The contact of a conversation (`meta.sender`).
struct InboxContact: Sendable, Hashable {
    var id: Int?
    var name: String?
    var email: String?
    var phoneNumber: String?
}

/// What an agent-bot webhook asks of Baton, decided from its payload alone (§5.5 of the webhook rules:
/// only the contact's public messages and the widget's choices are the bot's input; everything the bot, agents
/// or Chatwoot post comes back too and is ignored).
enum AgentBotEvent: Sendable, Hashable {
    /// The contact wrote (`message_created`, `incoming`, not private).
    case contactMessage(InboxConversation, messageID: Int, text: String, attachments: [Attachment])
    /// A widget visitor picked an option of the bot's `input_select` (`message_updated` with `submitted_values`).
    case choice(InboxConversation, messageID: Int, title: String, value: String)
    /// The contact's platform refused a message the bot sent (`message_updated` of the bot's own message with
    /// `content_attributes.external_error`: WhatsApp's 24-hour window had closed, the contact blocked the business…).
    case replyFailed(InboxConversation, messageID: Int, error: String)
    /// The conversation's status changed (`conversation_status_changed`, or the legacy opened/resolved pair).
    case status(InboxConversation)
    /// The conversation was assigned to a bot (`conversation_updated` whose changes include `assignee_agent_bot_id`).
    case assignedToBot(InboxConversation, botID: Int)
    /// An agent set the conversation's `baton_resume_at` to a flow node: the bot has the contact again from there.
    case handBack(InboxConversation, nodeID: String)
    /// A website visitor opened the widget of a conversation they have (`webwidget_triggered` with a
    /// `current_conversation`).
    case widgetOpened(InboxConversation)
    case ignore(String)
}

extension AgentBotEvent {
    /// Reads a webhook body. Throws when the body is not JSON or a field the event needs has a wrong type.
    static func decode(_ body: Data) throws(ChatwootWebhookDecodingError) -> AgentBotEvent {
        try decode(JSONReader.body(body) { ChatwootWebhookDecodingError(path: "$", reason: "the body is not JSON: \($0)") })
    }

    /// Reads a parsed webhook body.
    static func decode(_ root: JSONValue) throws(ChatwootWebhookDecodingError) -> AgentBotEvent {
        try decode(JSONReader(root, path: ""))
    }

    /// Reads a webhook body's top object.
    static func decode(_ reader: JSONReader) throws(ChatwootWebhookDecodingError) -> AgentBotEvent {
        guard let event = try reader.string("event") else { throw reader.error("event", "missing") }
        switch event {
        case "message_created":
            return try contactMessage(reader)
        case "message_updated":
            if let failure = try replyFailure(reader) { return failure }
            return try choice(reader)
        case "conversation_status_changed", "conversation_opened", "conversation_resolved":
            return .status(try conversation(reader))
        case "conversation_updated":
            let changes = try reader.array("changed_attributes") ?? []
            if let node = handBackNode(changes) { return .handBack(try conversation(reader), nodeID: node) }
            let botChange = changes.compactMap { $0["assignee_agent_bot_id"]?["current_value"] }.first
            guard let botChange, let botID = JSONReader.integer(botChange) else { return .ignore("conversation_updated") }
            return .assignedToBot(try conversation(reader), botID: botID)
        case "webwidget_triggered":
            // A first visit has no conversation to answer in yet: the flow starts with the visitor's first message.
            guard let current = try reader.object("current_conversation") else { return .ignore("webwidget_triggered without a conversation") }
            return .widgetOpened(try conversation(current))
        default:
            return .ignore("event \(event.prefix(40))")
        }
    }

    /// The node of a `custom_attributes` change that sets `baton_resume_at`, if any.
    static func handBackNode(_ changes: [JSONValue]) -> String? {
        guard let change = changes.compactMap({ $0["custom_attributes"] }).first else { return nil }
        return HandBack.node(previous: change["previous_value"], current: change["current_value"])
    }

    private static func contactMessage(_ reader: JSONReader) throws(ChatwootWebhookDecodingError) -> AgentBotEvent {
        guard try reader.string("message_type") == "incoming" else { return .ignore("not the contact's message") }
        if try reader.bool("private") == true { return .ignore("private note") }
        let messageID = try reader.requiredInt("id")
        var attachments: [Attachment] = []
        for (index, value) in (try reader.array("attachments") ?? []).enumerated() {
            let payload = try ChatwootWebhook.AttachmentPayload(JSONReader(value, path: reader.childPath("attachments[\(index)]")))
            if let attachment = payload.batonAttachment { attachments.append(attachment) }
        }
        return .contactMessage(try conversation(reader), messageID: messageID, text: try reader.string("content") ?? "", attachments: attachments)
    }

    /// A bot's message the channel could not deliver: outgoing, sent by an agent bot, with the platform's error. (An
    /// agent's failed message is the agents' to see in Chatwoot, where it shows as failed.)
    private static func replyFailure(_ reader: JSONReader) throws(ChatwootWebhookDecodingError) -> AgentBotEvent? {
        guard try reader.string("message_type") == "outgoing", try reader.object("sender")?.string("type") == "agent_bot",
            let error = try reader.object("content_attributes")?.string("external_error"), !error.isEmpty
        else { return nil }
        return .replyFailed(try conversation(reader), messageID: try reader.requiredInt("id"), error: error)
    }

    /// Only the first `submitted_values` on the bot's own options message is an answer; the rest of
    /// `message_updated` (delivery receipts, `source_id`, deletions) is noise.
    private static func choice(_ reader: JSONReader) throws(ChatwootWebhookDecodingError) -> AgentBotEvent {
        guard try reader.string("message_type") == "outgoing", try reader.string("content_type") == "input_select",
            let submitted = try reader.object("content_attributes")?.array("submitted_values")?.first
        else { return .ignore("message_updated") }
        let value = try JSONReader(submitted, path: "content_attributes.submitted_values[0]")
        let chosenTitle = try value.identifierString("title")
        let chosenValue = try value.identifierString("value")
        guard let title = chosenTitle ?? chosenValue else { return .ignore("empty choice") }
        return .choice(try conversation(reader), messageID: try reader.requiredInt("id"), title: title, value: chosenValue ?? title)
    }

    /// The conversation of a message event (its `conversation`) or a conversation event (the root), read as every
    /// Chatwoot webhook's conversation is (`ChatwootWebhook.Conversation`); account and inbox fall back to the
    /// message's own.
    private static func conversation(_ reader: JSONReader) throws(ChatwootWebhookDecodingError) -> InboxConversation {
        let webhook = try ChatwootWebhook.Conversation(try reader.object("conversation") ?? reader)
        var accountID = webhook.accountID
        if accountID == nil { accountID = try reader.object("account")?.int("id") }
        guard let accountID else { throw reader.error("account", "missing") }
        var inboxID = webhook.inboxID
        if inboxID == nil { inboxID = try reader.object("inbox")?.int("id") }
        let sender = webhook.contact
        return InboxConversation(
            accountID: accountID, conversationID: webhook.id, inboxID: inboxID ?? 0, channelType: webhook.channel ?? "", status: webhook.status ?? "",
            assignedBotID: webhook.assignee?.kind == .agentBot ? webhook.assignee?.id : nil, updatedAt: webhook.updatedAt,
            contact: InboxContact(id: sender?.id, name: sender?.name, email: sender?.email, phoneNumber: sender?.phoneNumber),
            resolution: ResolutionDetails(labels: webhook.labels, attributes: webhook.customAttributes))
    }
}
