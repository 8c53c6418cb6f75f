import AsyncHTTPClient
public import BatonConfig
public import BatonCore
import Foundation

/// A bot that answers from elsewhere (a model server, a webhook bot), reached from a flow's `bot` node through the
/// outbox. One call is one turn: the bot gets the turn and the transcript, and answers in the outbox's terms.
public protocol RemoteBot: Sendable {
    /// Asks for one turn's answer. `draft` is given the answer's text as it grows, for bots that stream; it is
    /// shown to the user live and never stored (the final answer is stored once, through the write path).
    func answer(_ turn: BotTurn, draft: @escaping @Sendable (String) async -> Void) async -> BotCall
}

/// What a bot is given for one turn.
public struct BotTurn: Sendable {
    public var request: BotTurnRequest
    public var session: Session
    /// The conversation's latest messages through the turn's, oldest first, as many as the bot's `history`.
    public var transcript: [Message]
    /// The attempt at this turn, 1 for the first.
    public var attempt: Int

    public init(request: BotTurnRequest, session: Session, transcript: [Message], attempt: Int) {
        self.request = request
        self.session = session
        self.transcript = transcript
        self.attempt = attempt
    }
}

/// How one call to a bot went.
public enum BotCall: Sendable, Hashable {
    /// The bot answered (possibly by ending its turn, or with an error it reported after starting to answer).
    case answered(BotAnswer)
    /// Not now (429, 5xx, refused connection): worth trying again, after `after` when the bot said (Retry-After).
    /// If the bot's retry budget is spent, the turn fails with `failure`.
    case retry(BotFailure, detail: String, after: Duration?)
    /// Failed for good: the node leaves with the error.
    case failed(BotFailure, detail: String)
}

/// The configured bots, built once, by name.
public struct RemoteBots: Sendable {
    let bots: [String: any RemoteBot]
    let settings: [String: BotSettings]

    /// Bots built elsewhere (tests), with the settings `BotTurns` reads (history, retry budget).
    public init(bots: [String: any RemoteBot], settings: [String: BotSettings]) {
        self.bots = bots
        self.settings = settings
    }

    /// The configured bots, each talking HTTP through `http`.
    init(_ settings: [String: BotSettings], metrics: BatonMetrics, now: @escaping @Sendable () -> Date, http: HTTPClient) {
        var bots: [String: any RemoteBot] = [:]
        for (name, bot) in settings {
            let timeout = Duration.seconds(bot.timeoutSeconds)
            switch bot.kind {
            case .openAI(let model): bots[name] = OpenAIBot(name: name, settings: model, timeout: timeout, http: http, metrics: metrics)
            case .webhook(let webhook): bots[name] = WebhookBot(settings: webhook, timeout: timeout, http: http, now: now)
            }
        }
        self.init(bots: bots, settings: settings)
    }

    func bot(named name: String) -> (bot: any RemoteBot, settings: BotSettings)? {
        guard let bot = bots[name], let settings = settings[name] else { return nil }
        return (bot, settings)
    }
}
