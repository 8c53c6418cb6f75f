/// A contact as their channel knows them (the stand-in finds or creates the Chatwoot contact from it).
public struct ChannelContact: Sendable, Hashable {
    /// `contact_inbox.source_id`: a WhatsApp number's digits, a widget visitor's UUID, an e-mail address…
    public var sourceId: String
    public var name: String
    public var phoneNumber: String?
    public var email: String?

    public init(sourceId: String, name: String, phoneNumber: String? = nil, email: String? = nil) {
        self.sourceId = sourceId
        self.name = name
        self.phoneNumber = phoneNumber
        self.email = email
    }
}

/// The contact's side of channel inboxes (WhatsApp, Instagram, e-mail, the website widget…), where agent bots
/// answer first.
extension ChatwootStandIn {
    /// The contact writes in their channel. The conversation is the one Chatwoot's channel picks: on WhatsApp,
    /// Instagram, Telegram, SMS… the last one not resolved, else a new one (`pending` when a bot is connected);
    /// in the widget the last one, reopened if resolved (`pending` with a bot). The inbox's bot gets the webhooks.
    @discardableResult
    public func contactWrites(inbox: Int, as contact: ChannelContact, content: String?, attachments: [StandInFile] = [], sourceId: String? = nil)
        async throws -> Message
    {
        try await state.contactWrites(inboxId: inbox, contact: contact, content: content, files: attachments.map(\.uploaded), sourceId: sourceId)
    }

    /// A website visitor opens the widget: the inbox's bot gets `webwidget_triggered`.
    public func widgetOpened(inbox: Int, by contact: ChannelContact, referer: String = "https://shop.example/") async throws {
        let info: JSONValue = [
            "initiated_at": ["timestamp": "Thu Dec 03 2026 10:00:00 GMT+0000 (Coordinated Universal Time)"], "referer": .string(referer),
            "widget_language": "en", "browser_language": "en",
            "browser": ["browser_name": "Chrome", "browser_version": "131.0", "device_name": "Unknown", "platform_name": "Linux", "platform_version": "0"],
        ]
        try await state.widgetTriggered(inboxId: inbox, contact: contact, eventInfo: info)
    }

    /// The contact's platform reports it could not deliver a message (a WhatsApp status `failed`: the 24-hour window
    /// had closed, the contact blocked the business…): the message is `failed` with the platform's error in
    /// `content_attributes.external_error`, and `message_updated` goes out.
    public func platformFails(message messageId: Int, error: String) async {
        await state.markMessageFailed(messageId: messageId, error: error)
    }

    /// A widget visitor picks an option of the bot's `input_select` message: its `submitted_values` is set and the
    /// bot gets `message_updated` (no incoming message is created).
    @discardableResult
    public func widgetChooses(_ title: String, value: String, message messageId: Int) async throws -> Message {
        try await state.widgetSubmits(messageId: messageId, values: [["title": .string(title), "value": .string(value)]])
    }
}
