import Foundation

/// What happens on the contact's side of channel inboxes (WhatsApp, the website widget, e-mail…): contacts write
/// into the conversation their channel picks, the widget reports openings and option choices, and replies are
/// handed to the platform (`SendReplyJob`), which stores its message id or fails them.
extension StandInState {
    /// A message the contact writes in their channel: their contact and contact inbox are found or made, the
    /// conversation is the one the channel picks (§ `set_conversation` in the channels' incoming services), and the
    /// message is created as `incoming` (reopening a resolved conversation, to `pending` when a bot is connected).
    func contactWrites(inboxId: Int, contact: ChannelContact, content: String?, files: [UploadedFile], sourceId: String?) throws -> Message {
        try transaction {
            guard let inbox = db.inbox(inboxId) else { throw StandInAPIError.notFound }
            let link = try channelContactInbox(inbox: inbox, contact: contact)
            let conversationId = try channelConversation(inbox: inbox, link: link)
            var input = MessageInput()
            input.content = content
            input.messageType = "incoming"
            input.fromChannel = true
            input.files = files
            input.sourceId = sourceId ?? Self.platformMessageId(for: inbox.channel)
            if inbox.channel == .webWidget { input.contentAttributes = ["in_reply_to": .null] }
            do {
                return try buildMessage(conversationId: conversationId, caller: .none, input: input)
            } catch let error as MessageCreationError {
                throw StandInAPIError.unprocessable(error.message)
            }
        }
    }

    /// The contact of conversation `ref` writes again in their channel (API inboxes: into that conversation, as
    /// the integration would post it).
    func contactWritesAgain(ref: ConversationRef, content: String) throws -> Message {
        let conversation = try requireConversation(ref)
        guard let inbox = db.inbox(conversation.inboxId), let link = db.contactInbox(conversation.contactInboxId), let contact = db.contact(conversation.contactId)
        else { throw StandInAPIError.notFound }
        if inbox.channel == .api {
            var input = MessageInput()
            input.content = content
            input.messageType = "incoming"
            return try createMessage(ref: ref, caller: .none, input: input)
        }
        let who = ChannelContact(sourceId: link.sourceId, name: contact.name, phoneNumber: contact.phoneNumber, email: contact.email)
        return try contactWrites(inboxId: inbox.id, contact: who, content: content, files: [], sourceId: nil)
    }

    /// The widget's `POST /api/v1/widget/events {"name":"webwidget.triggered"}`: the inbox's bot gets
    /// `webwidget_triggered` with the visitor's contact inbox (created on the first visit).
    func widgetTriggered(inboxId: Int, contact: ChannelContact, eventInfo: JSONValue) throws {
        try transaction {
            guard let inbox = db.inbox(inboxId), inbox.channel == .webWidget else { throw StandInAPIError.notFound }
            let link = try channelContactInbox(inbox: inbox, contact: contact)
            emit(WebhookEvent(kind: .webwidgetTriggered(contactInboxId: link.id, eventInfo: eventInfo), inboxId: inbox.id))
        }
    }

    /// A widget visitor picks an option of an `input_select` (or submits a form): the message's
    /// `content_attributes.submitted_values` is written once (`Api::V1::Widget::MessagesController#update`) → `message_updated`.
    func widgetSubmits(messageId: Int, values: JSONValue) throws -> Message {
        try transaction {
            guard let index = messageIndex(messageId), db.inbox(db.messages[index].inboxId)?.channel == .webWidget else { throw StandInAPIError.notFound }
            var message = db.messages[index]
            message.contentAttributes = message.contentAttributes.setting("submitted_values", values)
            message.updatedAt = now()
            replaceMessage(at: index, with: message)
            emit(WebhookEvent(kind: .messageUpdated(messageId: messageId), inboxId: message.inboxId))
            return message
        }
    }

    private func channelContactInbox(inbox: Inbox, contact: ChannelContact) throws -> ContactInbox {
        if let existing = db.contactInboxes.first(where: { $0.inboxId == inbox.id && $0.sourceId == contact.sourceId }) { return existing }
        var input = ContactInput()
        input.name = contact.name
        input.phoneNumber = contact.phoneNumber
        input.email = contact.email
        let (_, link) = try createContact(accountId: inbox.accountId, input: input, inboxId: inbox.id, sourceId: contact.sourceId)
        guard let link else { throw StandInAPIError.internalServerError }
        return link
    }

    /// The conversation a contact's message lands in: the widget's last one whatever its status; other channels'
    /// last non-resolved one, else a new one (`lock_to_single_conversation`: the last one, whatever its status).
    private func channelConversation(inbox: Inbox, link: ContactInbox) throws -> Int {
        let mine = db.conversations.filter { $0.contactInboxId == link.id }
        let reused =
            inbox.channel.startsNewConversationAfterResolve && !inbox.lockToSingleConversation ? mine.last { $0.status != .resolved } : mine.last
        if let reused { return reused.id }
        var input = ConversationInput()
        input.inboxId = inbox.id
        input.contactId = link.contactId
        input.sourceId = link.sourceId
        return try createConversation(accountId: inbox.accountId, caller: .none, input: input).id
    }

    /// `SendReplyJob` → the channel's `SendOn…Service`: the platform takes the message and its id is stored in
    /// `source_id` (`message_updated`), or it refuses it and the message is `failed` with the platform's error.
    func sendReply(_ message: Message, channel: InboxChannel) {
        guard let index = messageIndex(message.id) else { return }
        var sent = db.messages[index]
        if let refusal = Self.platformRefusal(message, channel: channel) {
            sent.status = .failed
            sent.contentAttributes = sent.contentAttributes.setting("external_error", .string(refusal))
        } else {
            sent.sourceId = Self.platformMessageId(for: channel)
        }
        sent.updatedAt = now()
        replaceMessage(at: index, with: sent)
        emit(WebhookEvent(kind: .messageUpdated(messageId: message.id), inboxId: message.inboxId))
    }

    /// What the platform refuses that Chatwoot does not check (§5.7): WhatsApp's interactive limits (reply buttons'
    /// titles ≤ 20 characters, list rows ≤ 10 with titles ≤ 24), TikTok's text with an image.
    static func platformRefusal(_ message: Message, channel: InboxChannel) -> String? {
        switch channel {
        case .whatsapp:
            guard message.contentType == "input_select", message.attachments.isEmpty, case .array(let items)? = message.contentAttributes["items"] else {
                return nil
            }
            let titles = items.map { $0["title"]?.stringValue ?? "" }
            if titles.count <= 3, titles.contains(where: { $0.count > 20 }) { return "(#131009) Parameter value is not valid: button title length invalid" }
            if titles.count > 10 { return "(#131009) Parameter value is not valid: too many rows" }
            if titles.count > 3, titles.contains(where: { $0.count > 24 }) { return "(#131009) Parameter value is not valid: row title length invalid" }
            return nil
        case .tiktok:
            return !message.attachments.isEmpty && !(message.content ?? "").isEmpty ? "TikTok does not send text and an image in one message" : nil
        default:
            return nil
        }
    }

    /// A platform-style message id (`wamid.…` for WhatsApp).
    static func platformMessageId(for channel: InboxChannel) -> String? {
        let token = UUID().uuidString.replacingOccurrences(of: "-", with: "")
        switch channel {
        case .whatsapp: return "wamid.HBgL" + token
        case .webWidget, .api: return nil
        case .email: return "<\(token.lowercased())@mail.example>"
        default: return token.lowercased()
        }
    }
}
