/// One turn asked of an outside bot: produced by the flow, saved as an outbox job in the step's transaction and
/// carried out by the server, which reports the bot's `BotAnswer` back as a flow event.
public struct BotTurnRequest: Codable, Sendable, Hashable {
    /// The bot node that asks.
    public var nodeID: String
    /// The bot's name among the endpoint's `bots`.
    public var bot: String
    /// The node's visit (`BotVisit.visit`) and the turn within it: together they tell an answer that still counts.
    public var visit: Int
    public var turn: Int
    /// What the user said that the bot answers; `nil` when the bot speaks first.
    public var input: BotInput?
    /// The node's instructions, rendered (a language model's system prompt).
    public var prompt: String?

    public init(nodeID: String, bot: String, visit: Int, turn: Int, input: BotInput?, prompt: String?) {
        self.nodeID = nodeID
        self.bot = bot
        self.visit = visit
        self.turn = turn
        self.input = input
        self.prompt = prompt
    }
}

/// The user's message as a bot gets it.
public struct BotInput: Codable, Sendable, Hashable {
    /// What the user wrote, or the title of the quick reply they clicked.
    public var text: String
    /// A quick reply's payload (a Rasa button's `/intent{…}`), which the bot gets instead of the title.
    public var payload: String?
    /// The stored message: the turn's transcript goes up to it (the user's later messages are later turns').
    public var messageID: Int64?

    public init(text: String, payload: String? = nil, messageID: Int64? = nil) {
        self.text = text
        self.payload = payload
        self.messageID = messageID
    }

    /// What a bot that reads one message (a webhook bot) is sent.
    public var effectiveText: String { payload ?? text }
}

/// What a bot answered to one turn.
public struct BotAnswer: Codable, Sendable, Hashable {
    /// The turn answered (see `BotTurnRequest`).
    public var nodeID: String
    public var visit: Int
    public var turn: Int
    /// The bot's messages to the user, in order.
    public var messages: [MessageContent]
    /// Values the bot sets in the flow's `context` (a webhook bot's `set` action), by dotted path.
    public var set: [String: JSONValue]
    /// Private notes for the agents (a webhook bot's `note` action): posted in the running handover's conversation,
    /// or kept until the next handover opens.
    public var notes: [String] = []
    /// Whether the bot keeps talking (`nil`) or ends its turn, and how.
    public var ending: BotEnding?

    public init(nodeID: String, visit: Int, turn: Int, messages: [MessageContent] = [], set: [String: JSONValue] = [:], ending: BotEnding? = nil) {
        self.nodeID = nodeID
        self.visit = visit
        self.turn = turn
        self.messages = messages
        self.set = set
        self.ending = ending
    }

    /// The same turn, failed: nothing said, the node leaves with the error.
    public static func failure(_ request: BotTurnRequest, _ failure: BotFailure, detail: String) -> BotAnswer {
        BotAnswer(nodeID: request.nodeID, visit: request.visit, turn: request.turn, ending: .error(failure, detail: detail))
    }
}

/// How a bot ended its part of the conversation: the node's outcome, `input.bot.outcome`.
public enum BotEnding: Codable, Sendable, Hashable {
    /// The bot asks for a human (a model's `handover` tool, a webhook bot's `handover` action).
    case handover(BotHandover)
    /// The bot is done (`end_conversation`, an `end` action).
    case end(reason: String?)
    /// The bot left by an exit it named (a webhook bot's `exit` action); the node's `exits` say where it leads.
    case exit(String)
    /// The bot could not answer.
    case error(BotFailure, detail: String)

    /// `input.bot.outcome`.
    public var outcome: String {
        switch self {
        case .handover: "handover"
        case .end: "end"
        case .exit(let name): name
        case .error: "error"
        }
    }
}

/// A bot's request for a human, with what it knows for the agent and, optionally, where to route.
public struct BotHandover: Codable, Sendable, Hashable {
    /// Why a person should take over, and what the agent should know: both go to the agents as a note.
    public var reason: String?
    public var summary: String?
    /// Routing the bot asks for (`inbox`, `team`, `assignee`, `priority`, `labels`), for the flow's handover node to
    /// use through `input.bot.routing`.
    public var routing: JSONValue?
    /// The tool call's or action's arguments as the bot gave them.
    public var arguments: JSONValue?

    public init(reason: String? = nil, summary: String? = nil, routing: JSONValue? = nil, arguments: JSONValue? = nil) {
        self.reason = reason
        self.summary = summary
        self.routing = routing
        self.arguments = arguments
    }

    /// The private note the agents get when the handover opens.
    public var agentNote: String? {
        let parts = [reason.map { "Reason: \($0)" }, summary.map { "Summary: \($0)" }].compactMap { $0 }
        return parts.isEmpty ? nil : "The bot handed this conversation over.\n" + parts.joined(separator: "\n")
    }
}

/// Why a bot turn failed: a closed set the flow can branch on (`input.bot.reason`).
public enum BotFailure: String, Codable, Sendable, Hashable, CaseIterable {
    /// No answer within the bot's `timeoutSeconds`.
    case timeout
    /// The bot kept answering 429 beyond its retry budget.
    case rateLimited = "rate_limited"
    /// The bot refused Baton's credentials (401, 403).
    case refused
    /// The bot answered 5xx beyond its retry budget.
    case serverError = "server_error"
    /// The bot could not be reached (connection refused, DNS).
    case unreachable
    /// The bot refused the request itself (400, 404, 413, 422): retrying would not help.
    case rejected
    /// The answer was not what the bot's protocol says (not JSON, wrong shapes, an error event).
    case malformed
    /// A streamed answer stopped half-way; nothing of it was kept.
    case streamCut = "stream_cut"
    /// The bot answered nothing, and the node does not say silence is fine.
    case empty
}
