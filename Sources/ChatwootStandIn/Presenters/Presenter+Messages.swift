extension Presenter {
    /// The sender's `push_event_data` (nil for system/template messages).
    func senderPush(_ sender: MessageSender?, accountId: Int) -> JSONValue? {
        switch sender {
        case .user(let id): db.user(id).map { userPush($0, accountId: accountId) }
        case .contact(let id): db.contact(id).map(contactPush)
        case .agentBot(let id): db.agentBot(id).map(agentBotPush)
        case nil: nil
        }
    }

    /// The sender's `webhook_data` (`null` for system/template messages).
    func senderWebhook(_ sender: MessageSender?) -> JSONValue {
        switch sender {
        case .user(let id): db.user(id).map(userWebhook) ?? .null
        case .contact(let id): db.contact(id).map(contactWebhook) ?? .null
        case .agentBot(let id): db.agentBot(id).map(agentBotWebhook) ?? .null
        case nil: .null
        }
    }

    /// `Attachment#push_event_data` for uploaded files.
    func attachment(_ attachment: Attachment) -> JSONValue {
        let blob = db.blob(attachment.blobId)
        let signedId = blob?.signedId ?? ""
        let name = Self.escapePathSegment(attachment.filename)
        var dataURL = "\(frontendURL)/rails/active_storage/blobs/redirect/\(signedId)/\(name)"
        if attachment.fileType == "audio" { dataURL += "?disposition=inline" }
        let thumbURL =
            attachment.fileType == "image"
            ? "\(frontendURL)/rails/active_storage/representations/redirect/\(signedId)/\(Self.variationKey)/\(name)" : ""
        var members: [(String, JSONValue)] = [
            ("id", .int(attachment.id)), ("message_id", .int(attachment.messageId)), ("file_type", .string(attachment.fileType)),
            ("account_id", .int(attachment.accountId)), ("extension", .string(Self.fileExtension(attachment.filename))),
            ("content_type", .string(attachment.contentType)), ("data_url", .string(dataURL)), ("thumb_url", .string(thumbURL)),
            ("file_size", .int(attachment.byteSize)), ("width", .null), ("height", .null),
        ]
        if attachment.fileType == "audio" { members.append(("transcribed_text", "")) }
        return .object(members)
    }

    /// The 250px-wide `resize_to_fill` variation key Chatwoot uses for thumbnails (from the webhook samples).
    static let variationKey =
        "eyJfcmFpbHMiOnsiZGF0YSI6eyJmb3JtYXQiOiJwbmciLCJyZXNpemVfdG9fZmlsbCI6WzI1MCxudWxsXX0sInB1ciI6InZhcmlhdGlvbiJ9fQ==--6d3b1f0c2e8a7d4b9c5e1f2a3b4c5d6e7f8a9b0c"

    /// `ActiveStorage::Filename#extension_without_delimiter`, nil when the name has none.
    static func fileExtension(_ filename: String) -> String? {
        guard let dot = filename.lastIndex(of: "."), dot != filename.startIndex else { return nil }
        let ext = filename[filename.index(after: dot)...]
        return ext.isEmpty ? nil : String(ext)
    }

    /// Percent-encodes a filename for use as one URL path segment.
    static func escapePathSegment(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if byte < 0x80, c.isLetter || c.isNumber || "-._~".contains(c) {
                out.append(c)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }

    /// `conversation_push_event_data` inside a message's push data.
    func messageConversationPush(_ conversation: Conversation) -> JSONValue {
        [
            "assignee_id": .int(conversation.assigneeId), "unread_count": .int(unreadCount(conversation)),
            "last_activity_at": .int(conversation.lastActivityAt.unixSeconds),
            "contact_inbox": ["source_id": .string(db.contactInbox(conversation.contactInboxId)?.sourceId)],
        ]
    }

    /// `Message#push_event_data`: all columns, then conversation, echo_id, attachments and sender.
    func messagePush(_ message: Message, echoId: String? = nil, normalizeContent: Bool = false) -> JSONValue {
        let content = normalizeContent ? Self.webhookContent(message.content) : message.content
        var members: [(String, JSONValue)] = [
            ("id", .int(message.id)), ("content", .string(content)), ("account_id", .int(message.accountId)),
            ("inbox_id", .int(message.inboxId)), ("conversation_id", .int(message.conversationDisplayId)),
            ("message_type", .int(message.messageType.rawValue)), ("created_at", .int(message.createdAt.unixSeconds)),
            ("updated_at", .string(message.updatedAt.iso8601)), ("private", .bool(message.isPrivate)),
            ("status", .string(message.status.rawValue)), ("source_id", .string(message.sourceId)),
            ("content_type", .string(message.contentType)), ("content_attributes", message.contentAttributes),
            ("sender_type", .string(message.sender?.typeName)), ("sender_id", .int(message.sender?.id)),
            ("external_source_ids", .emptyObject), ("additional_attributes", message.additionalAttributes),
            ("processed_message_content", .string(content)), ("sentiment", .emptyObject),
        ]
        if let conversation = db.conversation(id: message.conversationId) {
            members.append(("conversation", messageConversationPush(conversation)))
        }
        if let echoId, !echoId.isEmpty { members.append(("echo_id", .string(echoId))) }
        if !message.attachments.isEmpty { members.append(("attachments", .array(message.attachments.map(attachment)))) }
        if let sender = senderPush(message.sender, accountId: message.accountId) { members.append(("sender", sender)) }
        return .object(members)
    }

    /// `views/api/v1/models/_message.json.jbuilder` (REST responses).
    func messageAPI(_ message: Message, echoId: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .int(message.id)), ("content", .string(message.content)), ("inbox_id", .int(message.inboxId)),
        ]
        if let echoId, !echoId.isEmpty { members.append(("echo_id", .string(echoId))) }
        members += [
            ("conversation_id", .int(message.conversationDisplayId)), ("message_type", .int(message.messageType.rawValue)),
            ("content_type", .string(message.contentType)), ("status", .string(message.status.rawValue)),
            ("content_attributes", message.contentAttributes), ("created_at", .int(message.createdAt.unixSeconds)),
            ("private", .bool(message.isPrivate)), ("source_id", .string(message.sourceId)),
        ]
        if let sender = senderPush(message.sender, accountId: message.accountId) { members.append(("sender", sender)) }
        if !message.attachments.isEmpty { members.append(("attachments", .array(message.attachments.map(attachment)))) }
        return .object(members)
    }

    /// `Message#webhook_data` + `event` (top-level message webhooks; `message_type` is the enum name).
    func messageWebhook(_ message: Message, event: String) -> JSONValue? {
        guard let conversation = db.conversation(id: message.conversationId), let inbox = db.inbox(message.inboxId) else { return nil }
        var members: [(String, JSONValue)] = [
            ("account", accountWebhook(message.accountId)), ("additional_attributes", message.additionalAttributes),
            ("content_attributes", message.contentAttributes), ("content_type", .string(message.contentType)),
            ("content", .string(webhookContent(of: message))), ("conversation", conversationWebhook(conversation)),
            ("created_at", .string(message.createdAt.iso8601)), ("id", .int(message.id)), ("inbox", inboxWebhook(inbox)),
            ("message_type", .string(message.messageType.name)), ("private", .bool(message.isPrivate)),
            ("sender", senderWebhook(message.sender)), ("source_id", .string(message.sourceId)),
        ]
        if !message.attachments.isEmpty { members.append(("attachments", .array(message.attachments.map(attachment)))) }
        members.append(("event", .string(event)))
        return .object(members)
    }

    /// `Messages::WebhookContentNormalizer`: `\`+newline hard breaks become newlines, trailing newlines go.
    static func webhookContent(_ content: String?) -> String? {
        guard var text = content else { return nil }
        text = text.replacingAll("\\\r\n", with: "\n").replacingAll("\\\n", with: "\n")
        while text.hasSuffix("\n") || text.hasSuffix("\r\n") { text.removeLast() }
        return text
    }

    /// `Conversation#unread_incoming_messages.count`: incoming messages since the agent last looked, at most 10.
    func unreadCount(_ conversation: Conversation) -> Int {
        // Newest first, stopping at the cap: this runs for every message webhook.
        db.messages.reversed().lazy.filter { message in
            message.conversationId == conversation.id && message.messageType == .incoming
                && (conversation.agentLastSeenAt.map { seen in message.createdAt > seen } ?? true)
        }.prefix(10).count
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
