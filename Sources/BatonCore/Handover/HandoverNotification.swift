public import Foundation

/// Something a handover's outside owner (the bot of a `Channel.api` session) is told at its callback URL: saved
/// as an outbox `event` job in the transaction of the change it tells of, so it is sent once the change is
/// committed, retried until it is taken, and in order with the session's other notifications.
public struct HandoverNotification: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, Hashable, CaseIterable {
        /// The desk opened the conversation: the user waits for an agent.
        case queued = "handover.queued"
        /// An agent took the conversation.
        case agentAssigned = "handover.agent_assigned"
        /// An agent wrote to the user (`messageID`).
        case agentMessage = "handover.agent_message"
        /// An agent deleted a message they had written to the user (`messageID`, now retracted).
        case agentMessageDeleted = "handover.agent_message_deleted"
        /// A reply whose webhook came late went before replies the agent wrote after it: one of those was stored again
        /// behind it (`messageID`, the copy, whose `movedFrom` is the id it had).
        case agentMessageMoved = "handover.agent_message_moved"
        /// The desk never took a user's message (`messageID`): it was refused for good, or not taken within the
        /// delivery budget. The user is told with a notice, as on every channel.
        case userMessageUndelivered = "handover.user_message_undelivered"
        /// An agent started or stopped typing (the payload's `typing`). Never stored: told once, as it happens.
        case agentTyping = "handover.agent_typing"
        /// An agent resolved the conversation (or gave the user back without resolving, `reason: returned`).
        case resolved = "handover.resolved"
        /// An agent reopened a resolved conversation: the agent has the user again.
        case reopened = "handover.reopened"
        /// The outside bot (or the user, through it) ended the handover.
        case cancelled = "handover.cancelled"
        /// Baton closed it after the user, or every agent, stayed silent too long (the endpoint's timers).
        case inactive = "handover.inactive"
        /// The desk could not open it (`reason`, `detail`).
        case failed = "handover.failed"
    }

    /// Unique per notification and the same on every attempt to deliver it, so a receiver can drop a repeat.
    public var id: String
    public var kind: Kind
    /// When the change it tells of was committed.
    public var createdAt: Date
    /// The handover as it was after the change.
    public var handover: Snapshot
    /// The message it is about: the agent's, for `agentMessage`, `agentMessageDeleted` and `agentMessageMoved`; the
    /// user's, for `userMessageUndelivered`.
    public var messageID: Int64?

    public init(id: String, kind: Kind, createdAt: Date, handover: Snapshot, messageID: Int64? = nil) {
        self.id = id
        self.kind = kind
        self.createdAt = createdAt
        self.handover = handover
        self.messageID = messageID
    }

    /// What a receiver needs of the handover, taken when the notification is made (later changes have their own).
    public struct Snapshot: Codable, Sendable, Hashable {
        public var number: Int
        public var phase: HandoverState.Phase
        public var inboxID: Int?
        public var conversationID: Int?
        /// An agent took it (and has not resolved it since).
        public var agentAssigned: Bool
        /// The agent who took it, when users may see agents' names.
        public var agentName: String?
        /// Why it failed or ended otherwise than resolved (`HandoverOutcome.Reason`'s words, or `returned`).
        public var reason: String?
        /// Words for logs, never containing secrets.
        public var detail: String?
        /// What the agents left on the desk's conversation, while it is resolved or handed back (when the desk said).
        public var resolution: ResolutionDetails?

        public init(_ handover: HandoverState) {
            number = handover.number
            phase = handover.phase
            inboxID = handover.inboxID
            conversationID = handover.conversationID
            agentAssigned = handover.phase == .active && handover.agentJoined == true
            agentName = agentAssigned ? handover.agentName : nil
            reason = handover.ending.flatMap { $0.reason?.rawValue ?? ($0.status == .returned ? "returned" : nil) }
            detail = handover.ending?.detail
            resolution = handover.phase == .resolved || handover.phase == .returned ? handover.resolution : nil
        }
    }

    /// The notifications a step that turned handover `before` into `after` owes, in the order they happened. Pure.
    public static func kinds(from before: HandoverState?, to after: HandoverState?) -> [Kind] {
        guard let after else { return [] }
        // A new handover: what came before belongs to the earlier one, whose own steps told of it.
        let previous = before?.number == after.number ? before : nil
        var kinds: [Kind] = []
        // The desk's conversation opened in this step (an agent may have resolved it before Baton heard it open).
        if after.conversationID != nil, previous?.conversationID == nil { kinds.append(.queued) }
        switch (previous?.phase, after.phase) {
        case (.resolved?, .active), (.inactive?, .active):
            kinds.append(.reopened)
        case (let old, .resolved) where old != .resolved:
            kinds.append(.resolved)
        case (let old, .returned) where old != .returned:
            kinds.append(.resolved)
        case (let old, .cancelled) where old != .cancelled:
            kinds.append(.cancelled)
        case (let old, .inactive) where old != .inactive:
            kinds.append(.inactive)
        case (let old, .failed) where old != .failed:
            kinds.append(.failed)
        default:
            break
        }
        // A reopen counts the agent as there already; only a first assignment in a running handover is told.
        if after.phase == .active, after.agentJoined == true, previous?.agentJoined != true, !kinds.contains(.reopened) {
            kinds.append(.agentAssigned)
        }
        return kinds
    }
}
