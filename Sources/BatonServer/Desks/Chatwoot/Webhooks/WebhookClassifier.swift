import Foundation
public import BatonCore

/// Turns a decoded webhook into what Baton must do: only agents' public outgoing messages reach the user.
///
/// Chatwoot sends an API inbox **every** message (private notes, templates, the integration's own posts), so
/// everything is ignored unless it is positively an agent's public reply: forwarding too much leaks agents'
/// notes or loops Baton's own posts back to the user, forwarding too little only loses a message.
public struct WebhookClassifier: Sendable {
    /// The prefix of the `source_id`s Baton sets on what it posts; messages carrying it are echoes.
    /// An empty prefix marks nothing as an echo.
    public var ownSourceIDPrefix: String

    /// Creates a classifier recognising Baton's own posts by `ownSourceIDPrefix`.
    public init(ownSourceIDPrefix: String) {
        self.ownSourceIDPrefix = ownSourceIDPrefix
    }

    /// The action for `webhook`. Total: every input gets an action, `.ignore` with a reason when nothing is to do.
    public func classify(_ webhook: ChatwootWebhook) -> WebhookAction {
        switch webhook {
        case .messageCreated(let message): classifyMessage(message, isUpdate: false)
        case .messageUpdated(let message): classifyMessage(message, isUpdate: true)
        case .conversationUpdated(let event) where Self.handBackNode(event) != nil:
            .handBack(
                Self.reference(for: event.conversation), nodeID: Self.handBackNode(event) ?? "",
                resolution: ResolutionDetails(labels: event.conversation.labels, attributes: event.conversation.customAttributes))
        case .conversationUpdated(let event) where Self.assignsAnAgent(event):
            .assigned(Self.reference(for: event.conversation), agentName: event.conversation.assignee?.name, agentAvatar: event.conversation.assignee?.avatarURL)
        case .conversationCreated(let event), .conversationStatusChanged(let event), .conversationUpdated(let event):
            classifyStatus(event.conversation, event: webhook.event)
        case .typingOn(let typing): classifyTyping(typing, on: true)
        case .typingOff(let typing): classifyTyping(typing, on: false)
        case .unknown(let name): .ignore(reason: "unknown event \"\(name)\"")
        }
    }

    /// A message read through the API (`GET …/messages`), judged by the same rules as a `message_updated` webhook:
    /// an agent's public reply is delivered, a deleted one retracted, everything else ignored.
    public func classify(apiMessage: JSONValue, conversationID: Int) -> WebhookAction {
        guard case .object(var fields) = apiMessage else { return .ignore(reason: "a message that is not an object") }
        fields["event"] = .string("message_updated")
        fields["conversation"] = .object(["id": .number(Double(conversationID))])
        do {
            return classify(try ChatwootWebhook.decode(Data(JSONValue.object(fields).jsonText.utf8)))
        } catch {
            return .ignore(reason: "unreadable message: \(error.description)")
        }
    }

    /// A conversation as the API returns it (`GET …/conversations/{id}`, the same members as its webhooks'), read
    /// as its status event: for reconciliation, when that event may have been lost.
    public func classify(apiConversation: JSONValue) -> WebhookAction {
        guard case .object(var fields) = apiConversation else { return .ignore(reason: "a conversation that is not an object") }
        fields["event"] = .string("conversation_status_changed")
        do {
            return classify(try ChatwootWebhook.decode(Data(JSONValue.object(fields).jsonText.utf8)))
        } catch {
            return .ignore(reason: "unreadable conversation: \(error.description)")
        }
    }

    /// Whether an API message is one of Chatwoot's activity lines ("Conversation was marked resolved by …"), which
    /// it writes for every status change (`Conversation#create_activity`) among others.
    public static func isActivity(apiMessage message: JSONValue) -> Bool {
        message["message_type"].flatMap { ChatwootWebhook.MessageType(json: $0) } == .activity
    }

    /// The `id` of a message read through the API, whatever the classifier makes of the message.
    public static func id(ofAPIMessage message: JSONValue) -> Int? {
        message["id"].flatMap(JSONReader.integer)
    }

    // MARK: - Messages

    private func classifyMessage(_ message: ChatwootWebhook.MessageEvent, isUpdate: Bool) -> WebhookAction {
        if let sourceID = message.sourceID, isOwn(sourceID) {
            return .ignore(reason: "echo of our own post (source_id \(sourceID))")
        }
        switch message.messageType {
        case .outgoing?: break
        case .incoming?: return .ignore(reason: "incoming message (the user's side)")
        case .template? where message.contentType == "input_csat" && !isUpdate:
            return survey(message)
        case .template?: return .ignore(reason: "template message (greeting, out-of-office or CSAT answer)")
        case .activity?: return .ignore(reason: "activity message")
        case .other(let type)?: return .ignore(reason: "unknown message_type \"\(type)\"")
        case nil: return .ignore(reason: "message without message_type")
        }
        if message.isDeleted {
            // Deleting a private note never concerns the user; a deleted public reply is taken back.
            guard isUpdate, message.isPrivate != true else { return .ignore(reason: "deleted private note or deleted new message") }
            return .retract(chatwootMessageID: message.id, conversation: reference(for: message))
        }
        switch message.isPrivate {
        case false?: break
        case true?: return .ignore(reason: "private note")
        // Without the flag the message could be a note: not forwarding is the safe side.
        case nil: return .ignore(reason: "message without the private flag")
        }
        switch message.sender?.kind {
        case .user?: break
        case .agentBot?: return .ignore(reason: "bot message (sender is an agent bot)")
        case .contact?: return .ignore(reason: "outgoing message with a contact sender")
        case .other(let type)?: return .ignore(reason: "sender of unknown type \"\(type)\"")
        case nil: return .ignore(reason: "message without sender (system or template)")
        }
        let attachments = message.attachments.compactMap(\.batonAttachment)
        let text = message.content ?? ""
        if text.isEmpty && attachments.isEmpty {
            return .ignore(reason: "nothing to deliver (no text and no attachment with a web URL)")
        }
        var reply = AgentMessage(
            chatwootMessageID: message.id, conversation: reference(for: message), text: text,
            attachments: attachments, agentName: message.sender?.name, createdAt: message.createdAt)
        if !isUpdate { reply.openStatus = Self.openStatus(of: message.conversation, agentWroteAt: reply.sentAt?.timeIntervalSince1970) }
        return .deliver(reply)
    }

    /// The status event of the conversation an agent just wrote in, when it is open or pending, with its time (an
    /// untimed one cannot be shown to be newer than a resolve); read as its status webhook would be. Only a new
    /// message says an agent is there: an update (an edit, a delivery status) may be of one written long ago.
    /// `agentWroteAt`, the message's creation; without it, the conversation's save (the message was there by then).
    static func openStatus(of conversation: ChatwootWebhook.Conversation, agentWroteAt: Double?) -> HandoverEvent? {
        guard let raw = conversation.status, let status = ConversationStatus(payload: raw), status.provider.isOpen, let updatedAt = conversation.updatedAt
        else { return nil }
        return .providerStatus(
            status.provider, conversationID: conversation.id, updatedAt: updatedAt, newestUserMessageAt: conversation.newestMessage?.createdByTheUserAt,
            agentWroteAt: agentWroteAt ?? updatedAt)
    }

    /// Chatwoot replaces the survey's content in webhooks to non-widget inboxes by "Please rate this conversation,
    /// <link>" or "<csat_config.message> <link>" (`app/presenters/message_content_presenter.rb`); the link ends with the
    /// conversation's uuid, which webhooks carry nowhere else.
    private func survey(_ message: ChatwootWebhook.MessageEvent) -> WebhookAction {
        let content = message.content ?? ""
        guard let marker = content.range(of: "/survey/responses/") else { return .ignore(reason: "survey without its link") }
        let uuid = content[marker.upperBound...].prefix { $0.isHexDigit || $0 == "-" }
        guard uuid.count == 36 else { return .ignore(reason: "survey link without a conversation uuid") }
        // The text before the link, without the default's trailing comma and the URL's scheme and host.
        var question = String(content[..<marker.lowerBound])
        if let scheme = question.range(of: "http", options: .backwards) { question = String(question[..<scheme.lowerBound]) }
        question = question.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ",")))
        if question == "Please rate this conversation" { question += "." }
        let displayType: String = if case .string(let type)? = message.contentAttributes["display_type"], type == "star" { "star" } else { "emoji" }
        return .survey(
            SurveyRequest(
                chatwootMessageID: message.id, conversation: reference(for: message), text: question.isEmpty ? "Please rate this conversation." : question,
                conversationUUID: uuid.lowercased(), displayType: displayType))
    }

    private func isOwn(_ sourceID: String) -> Bool {
        !ownSourceIDPrefix.isEmpty && sourceID.hasPrefix(ownSourceIDPrefix)
    }

    /// The conversation of a message, with the message's top-level account and inbox filling what an older
    /// Chatwoot leaves out of the conversation.
    private func reference(for message: ChatwootWebhook.MessageEvent) -> ConversationRef {
        var ref = Self.reference(for: message.conversation)
        ref.accountID = ref.accountID ?? message.accountID
        ref.inboxID = ref.inboxID ?? message.inboxID
        return ref
    }

    static func reference(for conversation: ChatwootWebhook.Conversation) -> ConversationRef {
        ConversationRef(
            accountID: conversation.accountID, inboxID: conversation.inboxID, conversationID: conversation.id,
            sourceID: conversation.contactInboxSourceID, customAttributes: conversation.customAttributes)
    }

    // MARK: - Conversations

    /// Every conversation event reports the current `status`; Baton compares `updatedAt` to drop stale ones
    /// (Chatwoot delivers events out of order and builds payloads at job time).
    private func classifyStatus(_ conversation: ChatwootWebhook.Conversation, event: String) -> WebhookAction {
        guard let raw = conversation.status else { return .ignore(reason: "\(event) without status") }
        guard let status = ConversationStatus(payload: raw) else {
            return .ignore(reason: "\(event) with unknown status \"\(raw)\"")
        }
        // Every conversation event carries its labels and attributes; what they are when it is resolved is how the
        // agents say it ended.
        let resolution = status == .resolved ? ResolutionDetails(labels: conversation.labels, attributes: conversation.customAttributes) : nil
        return .status(
            Self.reference(for: conversation), status: status, updatedAt: conversation.updatedAt, resolution: resolution,
            newestUserMessageAt: conversation.newestMessage?.createdByTheUserAt)
    }

    /// The node an agent chose by setting `baton_resume_at` in this save, if any.
    static func handBackNode(_ event: ChatwootWebhook.ConversationEvent) -> String? {
        guard let change = event.changedAttributes?.first(where: { $0.name == "custom_attributes" }) else { return nil }
        return HandBack.node(previous: change.previousValue, current: change.currentValue)
    }

    /// Whether the save gave the conversation a human assignee and left its status alone.
    static func assignsAnAgent(_ event: ChatwootWebhook.ConversationEvent) -> Bool {
        guard let changes = event.changedAttributes, !changes.contains(where: { $0.name == "status" }) else { return false }
        return changes.contains { $0.name == "assignee_id" && $0.currentValue != .null } && event.conversation.assignee?.kind == .user
    }

    // MARK: - Typing

    private func classifyTyping(_ typing: ChatwootWebhook.TypingEvent, on: Bool) -> WebhookAction {
        switch typing.isPrivate {
        case false?: break
        case true?: return .ignore(reason: "typing of a private note")
        case nil: return .ignore(reason: "typing event without is_private")
        }
        switch typing.user?.kind {
        case .user?: break
        case .agentBot?: return .ignore(reason: "typing by an agent bot")
        case .contact?: return .ignore(reason: "typing by the contact")
        case .other(let type)?: return .ignore(reason: "typing by unknown type \"\(type)\"")
        case nil: return .ignore(reason: "typing event without user")
        }
        return .typing(Self.reference(for: typing.conversation), on: on, agentName: typing.user?.name)
    }
}
