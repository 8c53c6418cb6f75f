/// The stand-in's whole state at one moment: its "database" plus what it recorded.
///
/// A value: reading it never races with requests in flight. Get one with ``ChatwootStandIn/snapshot()`` or
/// inside ``ChatwootStandIn/waitUntil(timeout:_:)`` probes.
public struct StandInSnapshot: Sendable {
    /// Chatwoot's `accounts`.
    public internal(set) var accounts: [Account] = []
    /// Chatwoot's `users`.
    public internal(set) var users: [User] = []
    /// Chatwoot's `agent_bots`.
    public internal(set) var agentBots: [AgentBot] = []
    /// Chatwoot's `inboxes`.
    public internal(set) var inboxes: [Inbox] = []
    /// Teams of every account.
    public internal(set) var teams: [Team] = []
    /// Chatwoot's `contacts`.
    public internal(set) var contacts: [Contact] = []
    /// Chatwoot's `contact_inboxes`.
    public internal(set) var contactInboxes: [ContactInbox] = []
    /// Chatwoot's `conversations`.
    public internal(set) var conversations: [Conversation] = []
    /// Conversations whose contact said they type (the typing event with the contact as its user), by conversation
    /// record id, with when they last said so: what Chatwoot's dashboard shows as "… is typing" (the console too).
    public internal(set) var contactsTyping: [Int: Instant] = [:]
    /// All messages in creation order (ids ascending).
    public internal(set) var messages: [Message] = []
    /// Chatwoot's `csat_survey_responses`.
    public internal(set) var csatSurveyResponses: [CsatSurveyResponse] = []
    /// Chatwoot's `blobs`.
    public internal(set) var blobs: [Blob] = []
    /// Every HTTP request received, in arrival order.
    public internal(set) var requests: [RecordedRequest] = []
    /// Every webhook attempt, in completion order.
    public internal(set) var deliveries: [WebhookDelivery] = []
    /// Every request that did not match swagger.json.
    public internal(set) var specViolations: [SpecViolation] = []
    /// Webhook events handed to the dispatcher and not yet finished (0 = webhooks are idle).
    public internal(set) var pendingWebhooks = 0

    // MARK: Lookups

    /// The account with `id`.
    public func account(_ id: Int) -> Account? { accounts.first { $0.id == id } }
    /// The user with `id`.
    public func user(_ id: Int) -> User? { users.first { $0.id == id } }
    /// The agent bot with `id`.
    public func agentBot(_ id: Int) -> AgentBot? { agentBots.first { $0.id == id } }
    /// The inbox with `id`.
    public func inbox(_ id: Int) -> Inbox? { inboxes.first { $0.id == id } }

    public func team(_ id: Int) -> Team? { teams.first { $0.id == id } }
    /// The contact with `id`.
    public func contact(_ id: Int) -> Contact? { contacts.first { $0.id == id } }
    /// The contact-inbox with `id`.
    public func contactInbox(_ id: Int) -> ContactInbox? { contactInboxes.first { $0.id == id } }
    /// The conversation with database id `id`.
    public func conversation(id: Int) -> Conversation? { conversations.first { $0.id == id } }
    /// The conversation a reference points to.
    public func conversation(_ ref: ConversationRef) -> Conversation? {
        conversations.first { $0.accountId == ref.accountId && $0.displayId == ref.displayId }
    }
    /// The message with `id`.
    public func message(_ id: Int) -> Message? { messages.first { $0.id == id } }
    /// The blob with `id`.
    public func blob(_ id: Int) -> Blob? { blobs.first { $0.id == id } }

    /// Messages of a conversation in creation order (including private notes and activity messages).
    public func messages(in ref: ConversationRef) -> [Message] {
        guard let conversation = conversation(ref) else { return [] }
        return messages.filter { $0.conversationId == conversation.id }
    }

    /// Contacts of an account.
    public func contacts(account: Int) -> [Contact] { contacts.filter { $0.accountId == account } }
    /// Conversations of an account, by display id.
    public func conversations(account: Int) -> [Conversation] { conversations.filter { $0.accountId == account } }
    /// Agent bots owned by an account.
    public func agentBots(account: Int) -> [AgentBot] { agentBots.filter { $0.accountId == account } }
    /// Deliveries of one event name.
    public func deliveries(event: String) -> [WebhookDelivery] { deliveries.filter { $0.event == event } }
}
