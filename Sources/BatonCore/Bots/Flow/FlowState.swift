/// Where a flow stands between two events. Nodes are remembered by id so that an edited flow either resumes
/// at the same node or, if that node is gone, starts over rather than at a wrong position.
public struct FlowState: Codable, Sendable, Hashable {
    public enum Position: Codable, Sendable, Hashable {
        /// Not started, or ended: the next message starts the flow from the top.
        case idle
        /// A question was asked; `attempts` wrong answers so far.
        case awaitingAnswer(nodeID: String, attempts: Int)
        /// A handover node started a handover; user messages go to the agent until it ends.
        case inHandover(nodeID: String)
        /// A bot node handed the conversation to its bot; user messages go to the bot until it ends its turn.
        case withBot(visit: BotVisit)
    }

    public var position: Position
    /// Visits to bot nodes so far, which numbers the next one (`BotVisit.visit`).
    public var botVisits: Int

    public init(position: Position = .idle, botVisits: Int = 0) {
        self.position = position
        self.botVisits = botVisits
    }

    private enum CodingKeys: String, CodingKey { case position, botVisits }

    /// States saved before bot nodes existed have no `botVisits`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        position = try container.decode(Position.self, forKey: .position)
        botVisits = try container.decodeIfPresent(Int.self, forKey: .botVisits) ?? 0
    }
}

/// What the flow is asked to handle.
public enum FlowEvent: Sendable, Hashable {
    /// A new conversation was opened (the webchat shows the greeting before the user says anything).
    case start
    /// The user said something.
    case message(UserInput)
    /// The handover started by a handover node ended, well or not.
    case handoverEnded(HandoverOutcome)
    /// An outside bot answered a turn a bot node asked for.
    case botAnswered(BotAnswer)
}

/// A user's message as the flow sees it.
public struct UserInput: Sendable, Hashable {
    /// What the user wrote, or the title of the quick reply they clicked.
    public var text: String
    /// A quick reply's payload; when present the flow sees it as `input.text`.
    public var payload: String?
    /// Structured data sent along.
    public var data: JSONValue
    /// The stored message's id, when the step stored it (a bot node's turn reads the transcript up to it).
    public var messageID: Int64?

    public init(text: String, payload: String? = nil, data: JSONValue = .null, messageID: Int64? = nil) {
        self.text = text
        self.payload = payload
        self.data = data
        self.messageID = messageID
    }

    /// The text intents and questions look at.
    public var effectiveText: String { payload ?? text }
}

/// How a handover ended, as the flow reads it in `input.handover`.
public struct HandoverOutcome: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable, Hashable {
        /// An agent resolved the conversation.
        case completed
        /// The user cancelled it.
        case cancelled
        /// It could not start or broke down; `reason` says why.
        case error
        /// Baton closed it: the user wrote nothing, or no agent answered, for too long (`reason` says which).
        case inactive
        /// It was not opened: no agent is online, or the inbox is outside its working hours (`reason` says which),
        /// and the node says `whenUnavailable: skip`.
        case unavailable
        /// An agent handed the user back to the bot without resolving (the flow goes on at the node they chose).
        case returned
    }

    /// Why a handover failed, in words a flow can branch on.
    public enum Reason: String, Codable, Sendable, Hashable {
        /// The endpoint has no handover provider for this node, or the channel cannot be handed over.
        case unsupported
        /// The provider did not answer or answered with a server error.
        case providerUnreachable = "provider_unreachable"
        /// The inbox does not exist or the expression did not give a valid one.
        case invalidInbox = "invalid_inbox"
        /// The provider refused the credentials.
        case rejectedCredentials = "rejected_credentials"
        /// The provider refused the request for another reason (validation, rate limit).
        case rejected
        /// The user cancelled.
        case user
        /// The node's team, assignee, priority or labels are not ones the desk knows.
        case invalidRouting = "invalid_routing"
        /// The desk opened the conversation without a handover node asking (on the Chatwoot channel: an agent, or
        /// Chatwoot itself after the agent bot's webhook failed).
        case openedInDesk = "opened_in_desk"
        /// The user wrote nothing for the node's `inactivity.userSeconds`.
        case userInactive = "user_inactive"
        /// No agent answered the waiting user for the node's `inactivity.agentSeconds`.
        case agentInactive = "agent_inactive"
        /// No member of the inbox is online.
        case noAgentOnline = "no_agent_online"
        /// The inbox is outside its working hours.
        case outsideBusinessHours = "outside_business_hours"
    }

    public var status: Status
    public var reason: Reason?
    /// Words for logs and for the flow (`input.handover.detail`), never containing secrets.
    public var detail: String?
    /// The node an agent chose to give the user back at (status `returned`).
    public var resumeAt: String?
    /// What the agents left on the desk's conversation when they resolved it (status `completed`), when the desk said.
    public var resolution: ResolutionDetails?

    public init(status: Status, reason: Reason? = nil, detail: String? = nil, resumeAt: String? = nil, resolution: ResolutionDetails? = nil) {
        self.status = status
        self.reason = reason
        self.detail = detail
        self.resumeAt = resumeAt
        self.resolution = resolution
    }

    /// `input.handover`: the outcome, what led to the handover and the agent who took it, when they are known.
    func scopeValue(of handover: HandoverState?) -> JSONValue {
        let trigger = handover?.trigger
        var members: [String: JSONValue] = ["status": .string(status.rawValue)]
        members["reason"] = reason.map { .string($0.rawValue) } ?? .null
        members["detail"] = detail.map { .string($0) } ?? .null
        members["trigger"] = .string((trigger?.kind ?? .flow).rawValue)
        members["triggerName"] = trigger?.name.map { .string($0) } ?? .null
        members["labels"] = resolution.map { .array($0.labels.map(JSONValue.string)) } ?? .null
        members["attributes"] = resolution?.attributes ?? .null
        // Kept only when the endpoint shows agents' names.
        members["agentName"] = handover?.agentJoined == true ? handover?.agentName.map { .string($0) } ?? .null : .null
        return .object(members)
    }
}

/// A request, produced by a handover node, to connect the user with agents.
public struct HandoverRequest: Codable, Sendable, Hashable {
    public var nodeID: String
    public var provider: String
    /// The evaluated inbox: usually a number; `nil` when the node gives none.
    public var inbox: JSONValue?
    /// The message to send the user once the provider accepted.
    public var acceptedMessage: MessageContent?
    /// Where the desk puts the conversation (team, assignee, priority, labels, attributes); `nil` when the node
    /// names none (and in jobs saved before routing existed).
    public var routing: HandoverRouting?
    /// What led to the handover node when it was not the flow's own order (an intent, a question's failures).
    public var trigger: HandoverTrigger?
    /// The node's private note for the agents, rendered.
    public var note: String?
    /// The node's timers (the endpoint's defaults fill in what it leaves out).
    public var timers: HandoverTimers?
    /// Whether the desk checks that someone is there first, and what it does when nobody is.
    public var whenUnavailable: WhenUnavailable?
    /// Whether the desk counts the conversations waiting before the user's (`HandoverEvent.opened`'s `queuePosition`).
    public var announcePosition: Bool?

    public init(nodeID: String, provider: String, inbox: JSONValue?, acceptedMessage: MessageContent?, routing: HandoverRouting? = nil) {
        self.nodeID = nodeID
        self.provider = provider
        self.inbox = inbox
        self.acceptedMessage = acceptedMessage
        self.routing = routing
    }
}

/// What a handover node does when no agent is online or the inbox is outside its working hours.
public enum WhenUnavailable: String, Codable, Sendable, Hashable, CaseIterable {
    /// Hand over anyway and tell the user it may take a while (`noAgentOnline`, `outsideBusinessHours` notices).
    case handover
    /// Do not hand over: the flow goes on with `input.handover.status = unavailable` and the reason.
    case skip
}

/// What led the flow to a handover node, told to the flow when the handover ends (`input.handover.trigger`,
/// `input.handover.triggerName`).
public struct HandoverTrigger: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, Hashable {
        /// The flow's own order: the node came next, or a `goto`, `if` or `switch` led there.
        case flow
        /// An intent matched the user's words (`triggerName` is the intent's name).
        case intent
        /// A question got too many wrong answers and its `onFailure` led there (`triggerName` is the question's id).
        case escalation
    }

    public var kind: Kind
    public var name: String?

    public init(kind: Kind, name: String?) {
        self.kind = kind
        self.name = name
    }
}

/// A handover's routing as the node's expressions gave it, checked by the desk before anything is opened (a value
/// the desk does not know is the handover's error `invalid_routing`, never a silent default).
public struct HandoverRouting: Codable, Sendable, Hashable {
    /// A team id.
    public var team: JSONValue?
    /// An agent id.
    public var assignee: JSONValue?
    /// `low`, `medium`, `high` or `urgent`.
    public var priority: JSONValue?
    public var labels: [String]
    /// Custom attributes of the desk conversation.
    public var attributes: [String: JSONValue]

    public init(team: JSONValue? = nil, assignee: JSONValue? = nil, priority: JSONValue? = nil, labels: [String] = [], attributes: [String: JSONValue] = [:]) {
        self.team = team
        self.assignee = assignee
        self.priority = priority
        self.labels = labels
        self.attributes = attributes
    }

    public var isEmpty: Bool { team == nil && assignee == nil && priority == nil && labels.isEmpty && attributes.isEmpty }
}

/// Something the flow wants done; the server performs it.
public enum FlowEffect: Sendable, Hashable {
    /// Send this message to the user as the bot.
    case say(MessageContent)
    /// Start a handover.
    case requestHandover(HandoverRequest)
    /// The user's message belongs to the agent of the running handover.
    case relayToAgent
    /// The user cancelled the running handover; the provider must close it.
    case cancelHandover
    /// A private note for the agents (`say` with `to: agent`): posted in the running handover's conversation, or
    /// kept until the next handover opens.
    case noteToAgent(String)
    /// The flow itself is broken: the user gets the endpoint's apology in their language (the problem is logged).
    case apologize
    /// Ask an outside bot for its answer to a turn (a bot node).
    case askBot(BotTurnRequest)
    /// Tell the user one of Baton's notices, in their language.
    case notice(NoticeKey)
}

/// A fault in the flow met while running it (a bad expression value, a loop). The user gets a polite notice;
/// the problem goes to the log.
public struct FlowProblem: Sendable, Hashable, CustomStringConvertible {
    public var nodeID: String?
    public var location: SourceLocation?
    public var message: String

    public init(nodeID: String?, location: SourceLocation?, message: String) {
        self.nodeID = nodeID
        self.location = location
        self.message = message
    }

    public var description: String {
        let place = location.map { "\($0): " } ?? ""
        let node = nodeID.map { "node '\($0)': " } ?? ""
        return place + node + message
    }
}

/// The session facts a flow can read as `session.*`.
public struct SessionFacts: Sendable, Hashable {
    public var sessionID: String
    public var endpointID: String
    public var userID: String
    public var channel: String

    public init(sessionID: String, endpointID: String, userID: String, channel: String) {
        self.sessionID = sessionID
        self.endpointID = endpointID
        self.userID = userID
        self.channel = channel
    }

    var scopeValue: JSONValue {
        ["id": .string(sessionID), "endpoint": .string(endpointID), "userId": .string(userID), "channel": .string(channel)]
    }
}

/// The outcome of one event: the new state and what to do.
public struct FlowResult: Sendable, Hashable {
    public var state: ConversationState
    public var effects: [FlowEffect]
    public var problems: [FlowProblem]
}
