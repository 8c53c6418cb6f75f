public import Foundation

/// Provider work a conversation is owed. A job is saved in the same store transaction as the step that asked for
/// it (the user message it carries, the handover it opens), so a crash can delay it but never lose it; the outbox
/// worker carries jobs out in order per session, retrying what the provider cannot take now.
///
/// A session has two queues, each run in order: its `event` jobs (notifications for an outside bot's callback
/// URL), and everything else. A callback that is down never holds the user's messages back from the agents.
public enum OutboxJob: Codable, Sendable, Hashable {
    /// Open a provider conversation for handover `number`.
    case open(HandoverRequest, number: Int)
    /// Post transcript message `messageID` to handover `handover`'s conversation.
    case post(messageID: Int64, handover: Int)
    /// Post a private note for the agents of handover `handover`.
    case note(String, handover: Int)
    /// Resolve the provider conversation of handover `handover` (the user left, or it was opened too late).
    case close(conversationID: Int, handover: Int)
    /// Deliver the bot's (or a notice's) message `messageID` to the user through a channel that Baton posts to
    /// (a Chatwoot inbox); channels whose users read from Baton never get these.
    case reply(messageID: Int64)
    /// Answer the desk's satisfaction survey with the user's rating.
    case survey(SurveyAnswer)
    /// Give the conversation of handover `handover` back after an agent handed the user to the bot.
    case release(conversationID: Int, handover: Int)
    /// Ask an outside bot for its answer to a turn, showing it the transcript through `throughMessageID`.
    case botTurn(BotTurnRequest, throughMessageID: Int64)
    /// Tell the outside bot that owns the session what became of its handover (its callback URL).
    case event(HandoverNotification)

    /// A short name for logs, metrics and the admin listing.
    public var kind: String {
        switch self {
        case .open: "open"
        case .post: "post"
        case .note: "note"
        case .close: "close"
        case .reply: "reply"
        case .survey: "survey"
        case .release: "release"
        case .botTurn: "bot"
        case .event: "event"
        }
    }

    /// Whether it belongs to the session's notification queue (its `event` jobs) rather than its desk queue: each
    /// queue runs in order on its own. The stores keep the same split by the stored `kind`.
    public var isNotification: Bool {
        if case .event = self { true } else { false }
    }

    /// The handover the job belongs to; `nil` for a reply, a survey answer, a bot's turn or a notification, which
    /// belong to the conversation.
    public var handoverNumber: Int? {
        switch self {
        case .open(_, let number): number
        case .post(_, let handover), .note(_, let handover), .close(_, let handover), .release(_, let handover): handover
        case .reply, .survey, .botTurn, .event: nil
        }
    }
}

/// A user's answer to the satisfaction survey a desk sent after an agent resolved the conversation.
public struct SurveyAnswer: Codable, Sendable, Hashable {
    /// The desk conversation's uuid, which names its survey (Chatwoot's survey link ends with it).
    public var conversationUUID: String
    /// 1 (worst) to 5 (best).
    public var rating: Int
    public var feedback: String?

    public init(conversationUUID: String, rating: Int, feedback: String?) {
        self.conversationUUID = conversationUUID
        self.rating = rating
        self.feedback = feedback
    }
}

/// A stored outbox job.
public struct OutboxItem: Codable, Sendable, Hashable, Identifiable {
    /// Increases with every job stored; a session's jobs run in this order.
    public var id: Int64
    public var sessionID: SessionID
    public var job: OutboxJob
    /// How many times the job was handed to a worker, this time included.
    public var attempts: Int
    public var createdAt: Date
    /// When the job may run next.
    public var nextAttemptAt: Date
    /// Why the last attempt did not finish it.
    public var lastError: String?
    /// When the job was given up (dead-lettered); `nil` while it is pending.
    public var deadAt: Date?
    /// The trace of the change that saved it (a W3C `traceparent`), which its work continues.
    public var trace: String?

    public init(
        id: Int64, sessionID: SessionID, job: OutboxJob, attempts: Int = 0, createdAt: Date, nextAttemptAt: Date, lastError: String? = nil,
        deadAt: Date? = nil, trace: String? = nil
    ) {
        self.trace = trace
        self.id = id
        self.sessionID = sessionID
        self.job = job
        self.attempts = attempts
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.deadAt = deadAt
    }
}

/// How many jobs wait and how many were given up, for health and metrics.
public struct OutboxCounts: Sendable, Hashable {
    public var pending: Int
    public var dead: Int
    /// When the oldest pending job was saved: how far behind the desks are.
    public var oldestPendingAt: Date?
    public init(pending: Int, dead: Int, oldestPendingAt: Date? = nil) {
        self.pending = pending
        self.dead = dead
        self.oldestPendingAt = oldestPendingAt
    }
}
