public import BatonCore
import Foundation

extension ChatwootWebhook {
    /// The conversation shape of webhooks (`webhook_data` in `app/presenters/conversations/event_data_presenter.rb`),
    /// reduced to what Baton uses. It is the whole body of conversation events and `conversation` elsewhere.
    public struct Conversation: Sendable, Hashable {
        /// The per-account display id, the one every URL and API body uses (never the database id).
        public var id: Int
        public var inboxID: Int?
        /// From `account.id` (Chatwoot 4.14.2+) or `account_id`; older versions send neither.
        public var accountID: Int?
        /// `open`, `resolved`, `pending` or `snoozed`, as sent (see ``ConversationStatus``).
        public var status: String?
        public var customAttributes: JSONValue
        public var additionalAttributes: JSONValue
        /// `labels`: the conversation's labels (its `label_list`).
        public var labels: [String] = []
        /// `contact_inbox.source_id`: the contact's id in this inbox, which Baton chose at handover.
        public var contactInboxSourceID: String?
        /// `meta.assignee`: the agent (or agent bot) the conversation is assigned to.
        public var assignee: Participant?
        /// `meta.sender`: the contact.
        public var contact: Participant?
        /// Seconds since 1970 with a fraction; grows with every change, so it orders status events.
        public var updatedAt: Double?
        /// `timestamp`: the last activity, seconds since 1970.
        public var timestamp: Double?
        /// The inbox's channel class (`Channel::Api`, `Channel::Whatsapp`, `Channel::WebWidget`…).
        public var channel: String?
        /// `messages[0]`: the conversation's newest message that is neither private nor an activity, as the payload
        /// was built (at job time); `nil` when it has none or it could not be read (it decides nothing on its own).
        public var newestMessage: NewestMessage?

        /// Creates a conversation.
        public init(
            id: Int, inboxID: Int? = nil, accountID: Int? = nil, status: String? = nil,
            customAttributes: JSONValue = .emptyObject, additionalAttributes: JSONValue = .emptyObject,
            contactInboxSourceID: String? = nil, assignee: Participant? = nil, contact: Participant? = nil,
            updatedAt: Double? = nil, timestamp: Double? = nil
        ) {
            self.id = id
            self.inboxID = inboxID
            self.accountID = accountID
            self.status = status
            self.customAttributes = customAttributes
            self.additionalAttributes = additionalAttributes
            self.contactInboxSourceID = contactInboxSourceID
            self.assignee = assignee
            self.contact = contact
            self.updatedAt = updatedAt
            self.timestamp = timestamp
        }

        init(_ reader: JSONReader) throws(ChatwootWebhookDecodingError) {
            id = try reader.requiredInt("id")
            inboxID = try reader.int("inbox_id")
            if let account = try reader.object("account"), let nested = try account.int("id") {
                accountID = nested
            } else {
                accountID = try reader.int("account_id")
            }
            status = try reader.string("status")
            customAttributes = try reader.attributes("custom_attributes")
            labels = try (reader.array("labels") ?? []).compactMap { if case .string(let label) = $0 { label } else { nil } }
            additionalAttributes = try reader.attributes("additional_attributes")
            contactInboxSourceID = try reader.object("contact_inbox")?.identifierString("source_id")
            let meta = try reader.object("meta")
            assignee = try meta?.object("assignee").map { reader throws(ChatwootWebhookDecodingError) in try Participant(reader) }
            contact = try meta?.object("sender").map { reader throws(ChatwootWebhookDecodingError) in try Participant(reader) }
            updatedAt = try reader.double("updated_at")
            timestamp = try reader.double("timestamp")
            channel = try reader.string("channel")
            if let first = try? reader.array("messages")?.first, let entry = try? JSONReader(first, path: reader.childPath("messages[0]")) {
                newestMessage = try? NewestMessage(entry)
            }
        }
    }

    /// A conversation payload's `messages[0]` (`Message#push_event_data`), reduced to when and from whom.
    public struct NewestMessage: Sendable, Hashable {
        /// Chatwoot's id for the message (an entry without one is not read).
        public var id: Int
        /// `message_type`, an integer here (0 incoming, from the contact: for Baton's inboxes, the user).
        public var messageType: MessageType?
        /// `created_at`: whole seconds since 1970.
        public var createdAt: Double?
        /// `updated_at`: ISO 8601 to the millisecond, truncated (Rails' `as_json`), as seconds since 1970.
        public var updatedAt: Double?

        init(_ reader: JSONReader) throws(ChatwootWebhookDecodingError) {
            id = try reader.requiredInt("id")
            messageType = reader.value("message_type").flatMap(MessageType.init(json:))
            createdAt = try reader.double("created_at")
            updatedAt = try reader.string("updated_at").flatMap { text in
                (try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)))?.timeIntervalSince1970
            }
        }

        /// When the user created the message at the latest, if the user sent it: its `updated_at` (to the
        /// millisecond; it only grows), or the second after its `created_at` if that is earlier (a later update, an
        /// edit or a transcription, says nothing of its creation). `nil` when it is not the user's or has no
        /// `updated_at`: the millisecond is needed to tell it from a resolve.
        public var createdByTheUserAt: Double? {
            guard messageType == .incoming, let updatedAt else { return nil }
            return min(updatedAt, (createdAt ?? .infinity) + 1)
        }
    }

    /// The body of `conversation_created`, `conversation_status_changed` and `conversation_updated`.
    public struct ConversationEvent: Sendable, Hashable {
        public var conversation: Conversation
        /// `changed_attributes`; `nil` when sent as `null` (always, in practice, for status changes) or absent.
        public var changedAttributes: [ChangedAttribute]?

        /// Creates a conversation event.
        public init(conversation: Conversation, changedAttributes: [ChangedAttribute]? = nil) {
            self.conversation = conversation
            self.changedAttributes = changedAttributes
        }

        init(_ reader: JSONReader) throws(ChatwootWebhookDecodingError) {
            conversation = try Conversation(reader)
            guard let entries = try reader.array("changed_attributes") else {
                changedAttributes = nil
                return
            }
            var changes: [ChangedAttribute] = []
            for (index, entry) in entries.enumerated() {
                let entryReader = try JSONReader(entry, path: reader.childPath("changed_attributes[\(index)]"))
                // Each entry is `{"<attr>": {"previous_value": …, "current_value": …}}`, normally with one key.
                for name in entryReader.names.sorted() {
                    let values = try entryReader.requiredObject(name)
                    changes.append(
                        ChangedAttribute(
                            name: name, previousValue: values.member("previous_value") ?? .null,
                            currentValue: values.member("current_value") ?? .null))
                }
            }
            changedAttributes = changes
        }
    }

    /// One entry of `changed_attributes`.
    public struct ChangedAttribute: Sendable, Hashable {
        /// The attribute, e.g. `status`, `assignee_id`, `custom_attributes`.
        public var name: String
        public var previousValue: JSONValue
        public var currentValue: JSONValue

        /// Creates a change.
        public init(name: String, previousValue: JSONValue, currentValue: JSONValue) {
            self.name = name
            self.previousValue = previousValue
            self.currentValue = currentValue
        }
    }

    /// The body of `conversation_typing_on` / `conversation_typing_off`.
    public struct TypingEvent: Sendable, Hashable {
        /// Who types: an agent (`user`), an agent bot, or the contact through the Client API.
        public var user: Participant?
        public var conversation: Conversation
        /// `true` when an agent types a private note; `nil` when the key is missing.
        public var isPrivate: Bool?

        /// Creates a typing event.
        public init(user: Participant?, conversation: Conversation, isPrivate: Bool?) {
            self.user = user
            self.conversation = conversation
            self.isPrivate = isPrivate
        }

        init(_ reader: JSONReader) throws(ChatwootWebhookDecodingError) {
            user = try reader.object("user").map { reader throws(ChatwootWebhookDecodingError) in try Participant(reader) }
            conversation = try Conversation(reader.requiredObject("conversation"))
            isPrivate = try reader.bool("is_private")
        }
    }
}
