import Crypto
import Foundation

/// What a message create carries (`Messages::MessageBuilder` params).
struct MessageInput: Sendable {
    var content: String?
    /// `"outgoing"` (default), `"incoming"`, `"template"`…; nil means outgoing.
    var messageType: String?
    var isPrivate = false
    var contentType: String?
    var contentAttributes: JSONValue?
    var sourceId: String?
    var echoId: String?
    var externalCreatedAt: JSONValue?
    var senderType: String?
    var senderId: Int?
    var campaignId: JSONValue?
    var templateParams: JSONValue?
    var files: [UploadedFile] = []
    /// Written by the contact in their channel (WhatsApp, the widget…), not posted through the API: the API's
    /// "incoming only in API inboxes" rule does not apply.
    var fromChannel = false
    /// A template Chatwoot itself writes (`MessageTemplates::Template::*`: CSAT survey, out of office): no sender.
    var fromSystem = false
}

/// An exception raised while building a message. `MessagesController#create` renders every one as
/// 422 `{"error": message}`; elsewhere only validation failures are rescued.
struct MessageCreationError: Error {
    let message: String
    let validationErrors: [(attribute: String, message: String)]?

    static func invalid(_ errors: [(attribute: String, message: String)]) -> MessageCreationError {
        MessageCreationError(message: "Validation failed: " + errors.map(\.message).joined(separator: ", "), validationErrors: errors)
    }
}

extension StandInState {
    static let contentTypes = [
        "text", "input_text", "input_textarea", "input_email", "input_select", "cards", "form", "article", "incoming_email", "input_csat",
        "integrations", "sticker", "voice_call",
    ]

    /// `FileTypeHelper#file_type`.
    static func fileType(forMIME mime: String) -> String {
        let lower = mime.lowercased()
        if ["image/jpeg", "image/png", "image/gif", "image/bmp", "image/webp", "image/jpg"].contains(lower) { return "image" }
        if ["video/ogg", "video/mp4", "video/webm", "video/quicktime"].contains(lower) { return "video" }
        if lower.contains("audio/") { return "audio" }
        return "file"
    }

    /// `POST …/messages` as one transaction.
    func createMessage(ref: ConversationRef, caller: Caller, input: MessageInput) throws -> Message {
        try transaction {
            let conversation = try requireConversation(ref)
            return try buildMessage(conversationId: conversation.id, caller: caller, input: input)
        }
    }

    /// `MessageBuilder#perform` + `Message` validations and `after_create_commit` callbacks.
    func buildMessage(conversationId: Int, caller: Caller, input: MessageInput) throws -> Message {
        guard let conversation = db.conversation(id: conversationId), let inbox = db.inbox(conversation.inboxId) else {
            throw StandInAPIError.notFound
        }
        let rawType = input.messageType ?? "outgoing"
        if inbox.channel != .api && rawType == "incoming" && !input.fromChannel {
            throw MessageCreationError(message: "Incoming messages are only allowed in Api inboxes", validationErrors: nil)
        }
        guard let messageType = MessageType(name: rawType) else {
            throw MessageCreationError(message: "'\(rawType)' is not a valid message_type", validationErrors: nil)
        }
        let contentType = input.contentType.flatMap { $0.isEmpty ? nil : $0 } ?? "text"
        guard Self.contentTypes.contains(contentType) else {
            throw MessageCreationError(message: "'\(contentType)' is not a valid content_type", validationErrors: nil)
        }
        // Sender: outgoing → the `sender_type: AgentBot` bot if given, else the token owner; otherwise the contact.
        let sender: MessageSender?
        if input.fromSystem {
            sender = nil
        } else if messageType == .outgoing {
            if input.senderType == "AgentBot", let botId = input.senderId, let bot = db.agentBot(botId),
                bot.accountId == nil || bot.accountId == conversation.accountId
            {
                sender = .agentBot(bot.id)
            } else {
                switch caller {
                case .user(let user): sender = .user(user.id)
                case .agentBot(let bot): sender = .agentBot(bot.id)
                case .none: sender = nil
                }
            }
        } else {
            sender = .contact(conversation.contactId)
        }
        var contentAttributes = input.contentAttributes ?? .emptyObject
        try Self.validateItems(contentType: contentType, attributes: contentAttributes)
        if let external = input.externalCreatedAt, !external.isNull { contentAttributes = contentAttributes.setting("external_created_at", external) }
        var additionalAttributes = JSONValue.emptyObject
        if let campaign = input.campaignId, !campaign.isNull { additionalAttributes = additionalAttributes.setting("campaign_id", campaign) }
        if let template = input.templateParams, template.isObject { additionalAttributes = additionalAttributes.setting("template_params", template) }

        // Validations (`before_validation :prevent_message_flooding`, length limits).
        let now = now()
        var errors: [(attribute: String, message: String)] = []
        let windowStart = now.adding(seconds: -60)
        let recent = db.messages.filter { $0.conversationId == conversationId && $0.createdAt >= windowStart }.count
        if recent >= messagesPerMinuteLimit { errors.append(("base", "Too many messages")) }
        if let content = input.content, content.rubyLength > 150_000 { errors.append(("content", "Content is too long (maximum is 150000 characters)")) }
        if let source = input.sourceId, source.rubyLength > 20_000 { errors.append(("source_id", "Source is too long (maximum is 20000 characters)")) }
        if !errors.isEmpty { throw MessageCreationError.invalid(errors) }

        let messageId = nextId("message")
        let attachments = input.files.map { file in storeAttachment(file, messageId: messageId, accountId: conversation.accountId) }
        let message = Message(
            id: messageId, accountId: conversation.accountId, inboxId: conversation.inboxId, conversationId: conversationId,
            conversationDisplayId: conversation.displayId, messageType: messageType, content: input.content, contentType: contentType,
            contentAttributes: contentAttributes, additionalAttributes: additionalAttributes, isPrivate: input.isPrivate, status: .sent,
            sourceId: input.sourceId, sender: sender, attachments: attachments, createdAt: now, updatedAt: now)
        db.messages.append(message)
        runAfterCreateCallbacks(message, caller: caller)
        return db.message(messageId) ?? message
    }

    /// `ContentAttributeValidator` for the types with `items` (`app/validators/content_attribute_validator.rb`).
    static func validateItems(contentType: String, attributes: JSONValue) throws {
        let allowed: [String: Set<String>] = [
            "input_select": ["title", "value"], "cards": ["title", "description", "media_url", "actions"],
            "form": ["type", "placeholder", "label", "name", "options", "default", "required", "pattern", "title", "pattern_error"],
            "article": ["title", "description", "link"],
        ]
        guard let keys = allowed[contentType] else { return }
        guard case .array(let items)? = attributes["items"] else {
            // `items.reject` on nil: the controller renders the NoMethodError as 422.
            throw MessageCreationError(message: "undefined method `reject' for nil", validationErrors: nil)
        }
        if items.isEmpty { throw MessageCreationError.invalid([("content_attributes", "Content attributes At least one item is required.")]) }
        let invalid = items.flatMap { item -> [String] in
            guard case .object(let members) = item else { return [] }
            return members.map(\.0).filter { !keys.contains($0) }
        }
        if !invalid.isEmpty {
            let list = Array(Set(invalid)).sorted().map { ":" + $0 }.joined(separator: ", ")
            throw MessageCreationError.invalid([("content_attributes", "Content attributes contains invalid keys for items : [\(list)]")])
        }
        if contentType == "cards", items.contains(where: { $0["actions"] == nil }) {
            throw MessageCreationError.invalid([("content_attributes", "Content attributes contains items missing actions")])
        }
    }

    /// Stores the bytes as a blob and returns the attachment record.
    private func storeAttachment(_ file: UploadedFile, messageId: Int, accountId: Int) -> Attachment {
        let blobId = nextId("blob")
        let blob = Blob(
            id: blobId, key: Tokens.secure(length: 28).lowercased(), signedId: Tokens.signedBlobId(blobId, key: Self.signingKey),
            filename: file.filename, contentType: file.contentType, data: file.data)
        db.blobs.append(blob)
        return Attachment(
            id: nextId("attachment"), messageId: messageId, accountId: accountId, fileType: Self.fileType(forMIME: file.contentType), blobId: blobId,
            filename: file.filename, contentType: file.contentType, byteSize: file.data.count)
    }

    static let signingKey = SymmetricKey(data: Array("chatwoot-standin-active-storage".utf8))

    /// `Message#execute_after_create_commit_callbacks`, in Chatwoot's order.
    private func runAfterCreateCallbacks(_ message: Message, caller: Caller) {
        guard let conversation = db.conversation(id: message.conversationId), let inbox = db.inbox(message.inboxId) else { return }
        // reopen_conversation (incoming only): snoozed → open; resolved → pending with an active bot, else open.
        if message.messageType == .incoming {
            if conversation.status == .snoozed {
                saveConversation(conversation.id, caller: caller) { $0.status = .open }
            } else if conversation.status == .resolved {
                let reopenedByContact: Bool
                if case .contact = message.sender, !message.isPrivate { reopenedByContact = inbox.channel == .api } else { reopenedByContact = false }
                let target: ConversationStatus = inbox.agentBotId != nil ? .pending : .open
                saveConversation(conversation.id, caller: caller, contactReopened: reopenedByContact && target == .open) { $0.status = target }
            }
        }
        setConversationActivity(conversation.id, at: message.createdAt)
        // dispatch_create_events: MESSAGE_CREATED goes to the webhook for incoming/outgoing/template only.
        if message.messageType != .activity {
            emit(WebhookEvent(kind: .messageCreated(messageId: message.id), inboxId: message.inboxId))
        }
        if (message.messageType == .outgoing || message.messageType == .template) && !message.isPrivate && inbox.channel.sendsThroughPlatform {
            sendReply(message, channel: inbox.channel)
        }
        if isValidFirstReply(message) {
            saveConversation(conversation.id, caller: caller) {
                $0.firstReplyCreatedAt = message.createdAt
                $0.waitingSince = nil
            }
        } else {
            updateWaitingSince(message, caller: caller)
        }
        executeMessageTemplateHooks(message)
        if case .contact(let contactId) = message.sender { touchContact(contactId, at: now()) }
    }

    /// `human_response?`: an outgoing message by a User.
    private func isHumanResponse(_ message: Message) -> Bool {
        guard message.messageType == .outgoing, case .user = message.sender else { return false }
        return message.contentAttributes["automation_rule_id"] == nil && message.additionalAttributes["campaign_id"] == nil
    }

    /// `Message#valid_first_reply?`.
    private func isValidFirstReply(_ message: Message) -> Bool {
        guard isHumanResponse(message), !message.isPrivate, let conversation = db.conversation(id: message.conversationId),
            conversation.firstReplyCreatedAt == nil
        else { return false }
        let humanOutgoing = db.messages.filter {
            $0.conversationId == conversation.id && $0.messageType == .outgoing && !$0.isPrivate && $0.sender?.typeName != "AgentBot"
                && $0.additionalAttributes["campaign_id"] == nil
        }
        return humanOutgoing.count <= 1
    }

    /// `Message#update_waiting_since`.
    private func updateWaitingSince(_ message: Message, caller: Caller) {
        guard let conversation = db.conversation(id: message.conversationId) else { return }
        if conversation.waitingSince != nil && !message.isPrivate {
            let botResponse = message.messageType == .outgoing && message.sender?.typeName == "AgentBot"
            if isHumanResponse(message) || botResponse {
                saveConversation(conversation.id, caller: caller) { $0.waitingSince = nil }
            }
        }
        if message.messageType == .incoming, db.conversation(id: conversation.id)?.waitingSince == nil {
            saveConversation(conversation.id, caller: caller) { $0.waitingSince = message.createdAt }
        }
    }
}
