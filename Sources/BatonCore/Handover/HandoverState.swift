public import Foundation

/// Where a session's handover stands. Kept in `ConversationState`, so it is saved with the turn that changes it.
public struct HandoverState: Codable, Sendable, Hashable {
    public enum Phase: String, Codable, Sendable, Hashable {
        /// The flow asked for agents; the provider conversation is being opened.
        case opening
        /// Agents and user talk; user messages go to the provider.
        case active
        /// An agent resolved the conversation; the bot has the user again (an agent may reopen).
        case resolved
        /// The user cancelled.
        case cancelled
        /// It could not start.
        case failed
        /// Baton closed it because the user, or every agent, stayed quiet too long (see `HandoverTimers`).
        case inactive
        /// An agent gave the user back to the bot at a node of their choice, without resolving the conversation.
        case returned
    }

    public var phase: Phase
    /// The handover node that started it (the flow resumes below it, or at its `onResolve`).
    public var nodeID: String
    /// Counts the session's handovers, so each one has its own provider conversation.
    public var number: Int
    /// The provider's inbox.
    public var inboxID: Int?
    /// The provider's contact and conversation, once opened.
    public var contactID: Int?
    public var conversationID: Int?
    /// The id of the last transcript message handed to the outbox for the provider (or passed over: the agents'
    /// own replies are never posted back).
    public var syncedThrough: Int64
    /// The provider's time of the newest status event applied, to ignore events that arrive late.
    public var statusUpdatedAt: Double?
    /// Baton closed it for silence and asked the desk to close the conversation, which has not yet said it did:
    /// until it does, the conversation's being open is not an agent reopening it.
    public var closeRequested: Bool?
    /// Said to the user once the provider has opened the conversation.
    public var acceptedMessage: MessageContent?
    /// The provider's newest message id that reconciliation has read up to (every message up to it was seen).
    public var reconciledThrough: Int64?
    /// A status event that arrived while the conversation was still being opened (webhooks are unordered and
    /// may beat the API's answer); applied as soon as the conversation is known.
    public var earlyStatus: EarlyStatus?
    /// The desk opened the conversation itself, not a handover node (see `HandoverEvent.deskTookOver`): when it
    /// ends, the flow hears `error` with reason `opened_in_desk`.
    public var openedInDesk: Bool?
    /// What led the flow to the handover node when it was not the flow's own order.
    public var trigger: HandoverTrigger?
    /// An agent took the conversation (it was assigned to one): until then the user is queued.
    public var agentJoined: Bool?
    /// The name of the agent who took it, when users may see agents' names.
    public var agentName: String?
    /// The picture (an http(s) URL) of the agent who took it, when users may see agents' names.
    public var agentAvatar: String?
    /// The handover's timers, the node's over the endpoint's defaults; `nil` when none runs.
    public var timers: HandoverTimers?
    /// When the desk conversation opened (the handover became active); kept with or without timers.
    public var openedAt: Date?
    /// When the user last wrote to the agents (or the opening): the user-inactivity clock.
    public var userWroteAt: Date?
    /// Since when the user has been waiting for an agent's answer; `nil` while they are not: the agent-inactivity clock.
    public var waitingSince: Date?
    /// An agent has written to the user in this handover (reminders stop; its first reply is measured).
    public var agentAnswered: Bool?
    /// How many "still waiting" reminders the user got, and when the last one went.
    public var remindersSent: Int?
    public var lastReminderAt: Date?
    /// How it ended when an agent did not resolve it (it failed to open, went inactive, was handed back): what the
    /// flow was told, kept for the notifications of a session an outside bot owns.
    public var ending: HandoverOutcome?
    /// What the agents left on the desk's conversation when they resolved it or handed the user back (phase
    /// `resolved` or `returned`), when the desk said.
    public var resolution: ResolutionDetails?
    /// When (on the desk's clock) the user's message was created that reopened the resolved conversation when it
    /// arrived late (it was on its way as the agent resolved); kept until the conversation is resolved again:
    /// Baton resolves it, and a reopening after that is an agent's.
    public var reopenedByUserMessageAt: Double?

    /// A provider status event kept until its conversation is known.
    public struct EarlyStatus: Codable, Sendable, Hashable {
        public var status: ProviderStatus
        public var conversationID: Int
        public var updatedAt: Double?
        /// What the agents left on the conversation, kept with a resolve so it is not lost when it is applied.
        public var resolution: ResolutionDetails?
        public init(status: ProviderStatus, conversationID: Int, updatedAt: Double?, resolution: ResolutionDetails? = nil) {
            self.status = status
            self.conversationID = conversationID
            self.updatedAt = updatedAt
            self.resolution = resolution
        }
    }

    public init(
        phase: Phase, nodeID: String, number: Int, inboxID: Int? = nil, contactID: Int? = nil, conversationID: Int? = nil,
        syncedThrough: Int64 = 0, statusUpdatedAt: Double? = nil, acceptedMessage: MessageContent? = nil
    ) {
        self.phase = phase
        self.nodeID = nodeID
        self.number = number
        self.inboxID = inboxID
        self.contactID = contactID
        self.conversationID = conversationID
        self.syncedThrough = syncedThrough
        self.statusUpdatedAt = statusUpdatedAt
        self.acceptedMessage = acceptedMessage
    }

    /// Moves the position past messages the provider itself sent (an agent's reply, stored after `previousLast` up
    /// to `newLast`) when nothing before them waits to be posted, so they never become outbox jobs.
    public mutating func passOver(after previousLast: Int64, through newLast: Int64) {
        if phase == .active, syncedThrough == previousLast { syncedThrough = newLast }
    }

    /// Whether user messages belong to agents now.
    public var isLive: Bool { phase == .opening || phase == .active }

    /// Whether an agent may still bring it back by reopening its conversation: an agent resolved it, or Baton closed
    /// it for silence (see `ConversationMachine`'s status events).
    public var canBeReopened: Bool { phase == .resolved || phase == .inactive }
}
