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

    public init(nodeID: String, visit: Int, asked: Int = 0, answered: Int = 0) {
        self.nodeID = nodeID
        self.visit = visit
        self.asked = asked
        self.answered = answered
    }
}
