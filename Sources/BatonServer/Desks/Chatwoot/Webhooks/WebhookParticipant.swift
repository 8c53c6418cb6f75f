extension ChatwootWebhook {
    /// Whoever wrote a message, types, or is assigned: a message's `sender`, a typing event's `user`,
    /// a conversation's `meta.assignee` / `meta.sender`.
    public struct Participant: Sendable, Hashable {
        /// What kind of Chatwoot record the participant is, from its `type` key.
        public enum Kind: Sendable, Hashable {
            /// A human agent or admin (`type: "user"`).
            case user
            /// An agent bot, e.g. the token Baton posts with (`type: "agent_bot"`).
            case agentBot
            /// The end user's contact record. Top-level message senders carry **no** `type` key for contacts
            /// (§4.3); push data says `"contact"`. Both land here.
            case contact
            /// A `type` Baton does not know.
            case other(String)
        }

        public var kind: Kind
        public var id: Int?
        public var name: String?
        public var email: String?
        /// A contact's phone number (`+4917612345678`), when Chatwoot has one.
        public var phoneNumber: String?
        /// The profile picture (`avatar_url`, else `thumbnail`), in payloads that carry one (an assignee's push data);
        /// `nil` when there is none (Chatwoot sends "").
        public var avatarURL: String?

        /// Creates a participant.
        public init(kind: Kind, id: Int? = nil, name: String? = nil, email: String? = nil) {
            self.kind = kind
            self.id = id
            self.name = name
            self.email = email
        }

        init(_ reader: JSONReader) throws(ChatwootWebhookDecodingError) {
            switch try reader.string("type") {
            case nil, "contact": kind = .contact
            case "user": kind = .user
            case "agent_bot": kind = .agentBot
            case let other?: kind = .other(other)
            }
            id = try reader.int("id")
            name = try reader.string("name")
            // Contacts may have no e-mail, and their `email` is a plain string when present.
            email = try reader.string("email")
            phoneNumber = try reader.string("phone_number")
            avatarURL = try [reader.string("avatar_url"), reader.string("thumbnail")].compactMap { $0 }.first { !$0.isEmpty }
        }
    }
}
