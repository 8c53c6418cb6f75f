public import BatonCore

extension ChatwootWebhook {
    /// The body of `message_created` / `message_updated` (`Message#webhook_data`, `app/models/message.rb`).
    public struct MessageEvent: Sendable, Hashable {
        /// Chatwoot's message id: what Baton dedupes and retracts by.
        public var id: Int
        /// Raw Markdown as the agent typed it; `nil` for attachment-only messages.
        public var content: String?
        /// `nil` when the key is missing (such a message is never delivered).
        public var messageType: MessageType?
        /// `text`, `input_csat`, `cards`, … as sent.
        public var contentType: String?
        /// `content_attributes`, always an object: `deleted`, `external_error`, `external_created_at`, `in_reply_to`, …
        public var contentAttributes: JSONValue
        /// `private`: `true` for an agents-only note; `nil` when the key is missing.
        public var isPrivate: Bool?
        /// The `source_id` the poster set, echoed back; Baton marks its own posts with a prefix.
        public var sourceID: String?
        /// `nil` for template and system messages.
        public var sender: Participant?
        /// Empty when the key is absent (no attachments).
        public var attachments: [AttachmentPayload]
        /// Top-level `account.id`.
        public var accountID: Int?
        /// Top-level `inbox.id`.
        public var inboxID: Int?
        public var conversation: Conversation
        /// ISO 8601 (`2026-06-17T10:15:03.482Z`); a numeric timestamp is kept as its decimal text.
        public var createdAt: String?

        /// Creates a message event.
        public init(
            id: Int, content: String? = nil, messageType: MessageType? = nil, contentType: String? = nil,
            contentAttributes: JSONValue = .emptyObject, isPrivate: Bool? = nil, sourceID: String? = nil,
            sender: Participant? = nil, attachments: [AttachmentPayload] = [], accountID: Int? = nil,
            inboxID: Int? = nil, conversation: Conversation, createdAt: String? = nil
        ) {
            self.id = id
            self.content = content
            self.messageType = messageType
            self.contentType = contentType
            self.contentAttributes = contentAttributes
            self.isPrivate = isPrivate
            self.sourceID = sourceID
            self.sender = sender
            self.attachments = attachments
            self.accountID = accountID
            self.inboxID = inboxID
            self.conversation = conversation
            self.createdAt = createdAt
        }

        /// Whether an agent deleted the message (`content_attributes.deleted`); its content then reads
        /// "This message was deleted" and must never reach the user.
        public var isDeleted: Bool {
            switch contentAttributes["deleted"] {
            case .bool(true), .string("true"): true
            default: false
            }
        }

        /// `content_attributes.external_error`: why Chatwoot marked the message failed (e.g. our webhook answered 500).
        public var externalError: String? {
            if case .string(let text)? = contentAttributes["external_error"] { return text }
            return nil
        }

        init(_ reader: JSONReader) throws(ChatwootWebhookDecodingError) {
            id = try reader.requiredInt("id")
            content = try reader.string("content")
            messageType = try reader.value("message_type").map { value throws(ChatwootWebhookDecodingError) in
                guard let type = MessageType(json: value) else {
                    throw reader.typeError("message_type", expected: "a string or an integer", got: value)
                }
                return type
            }
            contentType = try reader.string("content_type")
            contentAttributes = try reader.attributes("content_attributes")
            isPrivate = try reader.bool("private")
            sourceID = try reader.identifierString("source_id")
            sender = try reader.object("sender").map { reader throws(ChatwootWebhookDecodingError) in try Participant(reader) }
            var attachments: [AttachmentPayload] = []
            for (index, element) in (try reader.array("attachments") ?? []).enumerated() {
                attachments.append(try AttachmentPayload(JSONReader(element, path: reader.childPath("attachments[\(index)]"))))
            }
            self.attachments = attachments
            accountID = try reader.object("account")?.int("id")
            inboxID = try reader.object("inbox")?.int("id")
            conversation = try Conversation(reader.requiredObject("conversation"))
            createdAt = try reader.identifierString("created_at")
        }
    }

    /// A message's `message_type`: a string at the top level of webhooks, an integer in REST responses and
    /// `conversation.messages[]` (0 incoming, 1 outgoing, 2 activity, 3 template). Both are accepted.
    public enum MessageType: Sendable, Hashable {
        /// From the contact (or posted as the contact, like Baton's replay of the user's turns).
        case incoming
        /// From an agent, an agent bot or an integration.
        case outgoing
        /// Chatwoot's own system lines ("Conversation was resolved by …"); never sent to API-inbox webhooks.
        case activity
        /// Greeting, out-of-office, CSAT.
        case template
        /// A value Baton does not know, as text.
        case other(String)

        /// Parses a string (`"outgoing"`, or a numeric string) or an integer; `nil` for any other JSON.
        public init?(json: JSONValue) {
            switch json {
            case .string(let text):
                switch text.lowercased() {
                case "incoming": self = .incoming
                case "outgoing": self = .outgoing
                case "activity": self = .activity
                case "template": self = .template
                default: self = JSONReader.integer(json).map(Self.init(code:)) ?? .other(text)
                }
            case .number:
                guard let code = JSONReader.integer(json) else { return nil }
                self = Self(code: code)
            default:
                return nil
            }
        }

        init(code: Int) {
            switch code {
            case 0: self = .incoming
            case 1: self = .outgoing
            case 2: self = .activity
            case 3: self = .template
            default: self = .other(String(code))
            }
        }
    }
}
