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
        /// Agent bots only: the status changed to `open` / `resolved` (the legacy pair of `conversation_status_changed`).
        case conversationOpened(conversationId: Int)
        case conversationResolved(conversationId: Int)
        /// Agent bots only: a website visitor opened the widget (`event_info` as the widget sent it).
        case webwidgetTriggered(contactInboxId: Int, eventInfo: JSONValue)
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
        case .conversationOpened: "conversation_opened"
        case .conversationResolved: "conversation_resolved"
        case .webwidgetTriggered: "webwidget_triggered"
        }
    }

    /// Whether `AgentBotListener` sends it to agent bots: message and conversation events and the widget's
    /// trigger; never `conversation_created` or typing (`app/listeners/agent_bot_listener.rb`).
    var goesToAgentBots: Bool {
        switch kind {
        case .conversationCreated, .typing: false
        default: true
        }
    }

    /// Whether the API inbox's `WebhookListener` sends it (the legacy status pair and the widget trigger are bot-only).
    var goesToAPIInbox: Bool {
        switch kind {
        case .conversationOpened, .conversationResolved, .webwidgetTriggered: false
        default: true
        }
    }

    /// The conversation the event is about, when there is one.
    var conversationId: Int? {
        switch kind {
        case .conversationCreated(let id), .conversationStatusChanged(let id), .conversationUpdated(let id, _), .typing(_, let id, _, _),
            .conversationOpened(let id), .conversationResolved(let id):
            id
        case .messageCreated, .messageUpdated, .webwidgetTriggered: nil
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
