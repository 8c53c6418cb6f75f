/// An event handed to the webhook dispatcher. The payload is built when it is delivered (as Chatwoot's
/// `WebhookListener` does at job time), except `changed_attributes` and typing details which are captured now.
struct WebhookEvent: Sendable {
    enum Kind: Sendable {
        case conversationCreated(conversationId: Int)
        /// `changed_attributes` is always null for this event in practice (`Conversation#notify_status_change`).
        case conversationStatusChanged(conversationId: Int)
        /// `changed_attributes`: `[{"attr":{"previous_value":…,"current_value":…}}, …]`.
        case conversationUpdated(conversationId: Int, changedAttributes: JSONValue)
        case messageCreated(messageId: Int)
        case messageUpdated(messageId: Int)
        /// `user` is the typer's `webhook_data`.
        case typing(on: Bool, conversationId: Int, user: JSONValue, isPrivate: Bool)
    }

    let kind: Kind
    let inboxId: Int
    /// The payload frozen at event time (only with ``WebhookOptions/buildPayloadsAtEventTime``).
    var prebuilt: PreparedWebhook?
    /// True when the payload was frozen at event time (then a nil ``prebuilt`` means "nothing to send").
    var frozen = false

    init(kind: Kind, inboxId: Int) {
        self.kind = kind
        self.inboxId = inboxId
    }

    /// The event name in the payload.
    var name: String {
        switch kind {
        case .conversationCreated: "conversation_created"
        case .conversationStatusChanged: "conversation_status_changed"
        case .conversationUpdated: "conversation_updated"
        case .messageCreated: "message_created"
        case .messageUpdated: "message_updated"
        case .typing(let on, _, _, _): on ? "conversation_typing_on" : "conversation_typing_off"
        }
    }

    /// The message id for message events (used to mark the message failed when delivery fails).
    var messageId: Int? {
        switch kind {
        case .messageCreated(let id), .messageUpdated(let id): id
        default: nil
        }
    }
}
