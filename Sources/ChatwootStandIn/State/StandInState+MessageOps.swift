/// Message reads and updates: `MessageFinder`, status PATCH, delete, and the webhook-failure status update.
extension StandInState {
    /// `MessageFinder#perform`: latest 20; `before` 20 older; `after` ≤100 newer; both: between (≤1000). Ascending.
    func listMessages(ref: ConversationRef, before: Int?, after: Int?) throws -> (Conversation, [Message]) {
        let conversation = try requireConversation(ref)
        let all = db.messages.filter { $0.conversationId == conversation.id }
        let page: [Message]
        switch (after, before) {
        case let (after?, before?): page = Array(all.filter { $0.id >= after && $0.id < before }.prefix(1000))
        case let (nil, before?): page = Array(all.filter { $0.id < before }.suffix(20))
        case let (after?, nil): page = Array(all.filter { $0.id > after }.prefix(100))
        case (nil, nil): page = Array(all.suffix(20))
        }
        return (conversation, page)
    }

    /// The message `id` of a conversation, or 404.
    func requireMessage(_ id: Int, in conversation: Conversation) throws -> Message {
        guard let message = db.message(id), message.conversationId == conversation.id else { throw StandInAPIError.notFound }
        return message
    }

    /// `PATCH …/messages/{id}`: API inboxes only (403), then `Messages::StatusUpdateService`.
    func updateMessageStatus(ref: ConversationRef, messageId: Int, status: String?, externalError: String?) throws -> Message {
        try transaction {
            let conversation = try requireConversation(ref)
            guard db.inbox(conversation.inboxId)?.channel == .api else {
                throw StandInAPIError(status: 403, json: ["error": "Message status update is only allowed for API inboxes"])
            }
            let message = try requireMessage(messageId, in: conversation)
            applyStatusUpdate(messageId: message.id, status: status ?? "", externalError: externalError)
            return db.message(message.id) ?? message
        }
    }

    /// `Messages::StatusUpdateService#perform`: unknown statuses and read→delivered are ignored; `external_error`
    /// is written only for `failed`. A real change emits `message_updated`. Returns whether something changed.
    @discardableResult
    func applyStatusUpdate(messageId: Int, status raw: String, externalError: String?) -> Bool {
        guard let index = messageIndex(messageId), let status = MessageStatus(rawValue: raw) else { return false }
        var message = db.messages[index]
        if message.status == .read && status == .delivered { return false }
        let before = message
        message.status = status
        let newError: JSONValue = status == .failed ? .string(externalError) : .null
        // Rails' store accessor leaves the key out when nil is written over nil.
        if newError != (message.contentAttributes["external_error"] ?? .null) {
            message.contentAttributes = message.contentAttributes.setting("external_error", newError)
        }
        guard message.status != before.status || message.contentAttributes != before.contentAttributes else { return false }
        message.updatedAt = now()
        replaceMessage(at: index, with: message)
        emit(WebhookEvent(kind: .messageUpdated(messageId: messageId), inboxId: message.inboxId))
        return true
    }

    /// A failed webhook delivery of a message event (`Webhooks::Trigger#handle_error` for API inboxes), or a channel's
    /// platform that could not deliver the message (its status callback, e.g. `Whatsapp::IncomingMessageService`).
    func markMessageFailed(messageId: Int, error: String) {
        _ = try? transaction { applyStatusUpdate(messageId: messageId, status: "failed", externalError: error) }
    }

    /// `DELETE …/messages/{id}`: content "This message was deleted", `content_attributes` `{deleted: true}`,
    /// attachments destroyed → `message_updated`.
    func deleteMessage(ref: ConversationRef, messageId: Int) throws -> Message {
        try transaction {
            let conversation = try requireConversation(ref)
            let message = try requireMessage(messageId, in: conversation)
            guard let index = messageIndex(message.id) else { throw StandInAPIError.notFound }
            let blobIds = Set(message.attachments.map(\.blobId))
            db.blobs.removeAll { blobIds.contains($0.id) }
            var deleted = db.messages[index]
            deleted.content = "This message was deleted"
            deleted.contentType = "text"
            deleted.contentAttributes = ["deleted": true]
            deleted.attachments = []
            deleted.updatedAt = now()
            replaceMessage(at: index, with: deleted)
            emit(WebhookEvent(kind: .messageUpdated(messageId: message.id), inboxId: message.inboxId))
            return deleted
        }
    }
}
