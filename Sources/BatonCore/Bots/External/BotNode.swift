/// A flow node that lets a bot from elsewhere (a language model, a webhook bot such as Rasa) talk with the user
/// until it ends its turn. The user's messages go to the bot and its answers to the user, all stored like any bot
/// message; the node leaves with `input.bot` saying how (`input.bot.outcome`: `handover`, `end`, `error` or a
/// named exit), so the flow decides what follows.
public struct BotNode: Sendable, Hashable {
    /// The bot's name among the endpoint's `bots` in `baton.yaml`.
    public var bot: String
    /// The bot's instructions (a language model's system prompt), rendered over `context`, `profile` and `session`
    /// for every turn; the config loader fills in the bot's own `systemPrompt` when the node names none.
    public var prompt: Template?
    /// Ask the bot for a first answer when the node is reached without a user message to answer (at the flow's
    /// start, after a handover); otherwise the node waits for the user.
    public var speaksFirst: Bool
    /// An answer with nothing in it leaves the bot silent and the node waiting; otherwise it is the error `empty`.
    public var silenceIsFine: Bool
    /// Where each outcome leads (`handover`, `end`, `error`, or an exit the bot names); below the node when absent.
    public var exits: [String: String]

    public init(bot: String, prompt: Template? = nil, speaksFirst: Bool = false, silenceIsFine: Bool = false, exits: [String: String] = [:]) {
        self.bot = bot
        self.prompt = prompt
        self.speaksFirst = speaksFirst
        self.silenceIsFine = silenceIsFine
        self.exits = exits
    }
}

/// A stay of the conversation with a bot node, kept in the flow's position.
public struct BotVisit: Codable, Sendable, Hashable {
    /// The bot node.
    public var nodeID: String
    /// Tells this visit's turns from those of an earlier visit to the same node (a late answer must not land in a
    /// later visit).
    public var visit: Int
    /// Turns asked of the bot in this visit.
    public var asked: Int
    /// The latest turn whose answer was taken: answers arrive once, in order, and a repeat is dropped.
    public var answered: Int
    /// What the user wrote while a turn was still being answered, oldest first: each is asked, in turn, once the
    /// answer before it is in. One turn at a time keeps a bot's answers in the conversation's order, and on a
    /// Chatwoot inbox each answer goes out before the next turn is asked.
    public var waiting: [BotInput]

    public init(nodeID: String, visit: Int, asked: Int = 0, answered: Int = 0, waiting: [BotInput] = []) {
        self.nodeID = nodeID
        self.visit = visit
        self.asked = asked
        self.answered = answered
        self.waiting = waiting
    }

    /// A turn was asked and its answer is not in yet.
    public var isAnswering: Bool { asked > answered }

    /// At most this many messages wait for the bot; a user who writes more while it answers loses the oldest.
    public static let maxWaiting = 20

    private enum CodingKeys: String, CodingKey { case nodeID, visit, asked, answered, waiting }

    /// Visits saved before `waiting` existed have none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            nodeID: try container.decode(String.self, forKey: .nodeID), visit: try container.decode(Int.self, forKey: .visit),
            asked: try container.decode(Int.self, forKey: .asked), answered: try container.decode(Int.self, forKey: .answered),
            waiting: try container.decodeIfPresent([BotInput].self, forKey: .waiting) ?? [])
    }
}
