import BatonConfig
import BatonCore
import Logging
import Synchronization

/// Makes sure the endpoint's Chatwoot agent bot exists with the configured name and description, and keeps its
/// token. The bot's id is remembered in the store, so a renamed bot is updated rather than created again.
///
/// For handovers to an API inbox the bot is deliberately not connected to that inbox: that would start every
/// conversation `pending` and send the bot a webhook for every conversation of it (`app/listeners/agent_bot_listener.rb`).
/// For the endpoint's Chatwoot channel it is: its `outgoing_url` points at Baton and it is connected to the
/// channel's inboxes, whose conversations it then answers.
actor AgentBotKeeper {
    /// What the Chatwoot channel needs of the bot.
    struct ChannelLink: Sendable {
        /// Where Baton is reached, and the path of its agent-bot webhook route for the endpoint: together the
        /// bot's `outgoing_url`.
        let address: PublicAddress
        let path: String
        let inboxes: [Int]

        /// The link for an endpoint's Chatwoot channel: the agent-bot webhook route (`AgentBotWebhookController`),
        /// with the secret path segment for Chatwoot before 4.13, which does not sign.
        init(address: PublicAddress, endpointID: String, channel: ChatwootChannelSettings) {
            self.address = address
            self.path = "/channels/chatwoot/\(endpointID)" + (channel.webhookPathSecret.map { "/\($0.value)" } ?? "")
            self.inboxes = channel.inboxes
        }
    }

    let endpointID: String
    let settings: ChatwootSettings
    let client: ChatwootClient
    let store: any SessionStore
    let channel: ChannelLink?
    let logger: Logger
    private var ready: ChatwootAgentBot?
    /// The set-up in progress, which every caller that comes meanwhile waits for: the actor is reentrant, so
    /// without it two callers (the start-up check and a first handover) would each set the bot up.
    private var settingUp: Task<ChatwootAgentBot, any Error>?

    init(endpointID: String, settings: ChatwootSettings, client: ChatwootClient, store: any SessionStore, channel: ChannelLink? = nil, logger: Logger) {
        self.endpointID = endpointID
        self.settings = settings
        self.client = client
        self.store = store
        self.channel = channel
        self.logger = logger
    }

    var settingKey: String { "chatwoot.agentBot.\(endpointID)" }

    /// The bot's access token, creating or updating the bot on first use. A failed set-up is tried again by the
    /// next caller.
    func accessToken() async throws -> String {
        guard let token = try await agentBot().accessToken else {
            throw ChatwootError(kind: .invalidResponse, status: nil, message: "the agent bot's access token is not visible to this API token", operation: "GET /agent_bots")
        }
        return token
    }

    /// The bot's webhook secret (Chatwoot 4.13+, read with an administrator's token), `nil` when Chatwoot shows none.
    func webhookSecret() async throws -> String? {
        try await agentBot().secret.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The bot, set up on first use (and, for a Chatwoot channel, pointed at Baton and connected to its inboxes).
    func agentBot() async throws -> ChatwootAgentBot {
        if let ready { return ready }
        let setUp = settingUp ?? Task { try await self.setUp() }
        settingUp = setUp
        do {
            let bot = try await setUp.value
            ready = bot
            settingUp = nil
            return bot
        } catch {
            settingUp = nil
            throw error
        }
    }

    private func setUp() async throws -> ChatwootAgentBot {
        var bot = try await ensureBot()
        guard let channel else { return bot }
        guard let base = channel.address.value else {
            throw ChatwootError(kind: .unreachable, status: nil, message: "Baton's own URL is not known until it listens", operation: "PATCH /agent_bots")
        }
        let outgoingURL = base + channel.path
        if bot.outgoingURL != outgoingURL {
            logger.info("pointing the Chatwoot agent bot at Baton", metadata: ["endpoint": "\(endpointID)", "bot": "\(bot.id)"])
            bot = try await client.updateAgentBot(id: bot.id, name: settings.agentBotName, description: settings.agentBotDescription, outgoingURL: outgoingURL)
        }
        for inbox in channel.inboxes {
            try await client.connectAgentBot(bot.id, toInbox: inbox)
        }
        logger.info("Chatwoot agent bot answers its inboxes", metadata: ["endpoint": "\(endpointID)", "bot": "\(bot.id)", "inboxes": "\(channel.inboxes)"])
        return bot
    }

    private func ensureBot() async throws -> ChatwootAgentBot {
        let remembered = try await store.setting(settingKey)
        if let remembered, let id = Int(remembered) {
            do {
                let bot = try await client.agentBot(id: id)
                guard bot.name != settings.agentBotName || bot.description != settings.agentBotDescription else { return bot }
                logger.info("renaming the Chatwoot agent bot", metadata: ["endpoint": "\(endpointID)", "bot": "\(id)"])
                return try await client.updateAgentBot(id: id, name: settings.agentBotName, description: settings.agentBotDescription)
            } catch let error as ChatwootError where error.kind == .notFound {
                logger.warning("the remembered Chatwoot agent bot is gone; making a new one", metadata: ["endpoint": "\(endpointID)"])
            }
        }
        // No bot yet (or the remembered one is no good). Every instance on the store, and every caller in this one,
        // may get here at once: they take turns, so only the first finds or makes the bot and the others read its id.
        let made = MadeBot()
        let id = try await store.setting(settingKey, replacing: remembered) { [client, settings] in
            let existing = try await client.agentBots().first { $0.name == settings.agentBotName && $0.accessToken != nil }
            let bot: ChatwootAgentBot
            if let existing { bot = existing } else { bot = try await client.createAgentBot(name: settings.agentBotName, description: settings.agentBotDescription) }
            made.bot.withLock { $0 = bot }
            return String(bot.id)
        }
        if let bot = made.bot.withLock({ $0 }) { return bot }
        guard let number = Int(id) else {
            throw ChatwootError(kind: .invalidResponse, status: nil, message: "the stored agent bot id '\(id)' is not a number", operation: "GET /agent_bots")
        }
        return try await client.agentBot(id: number)
    }
}

/// The bot a caller made or found itself, so it need not read it back.
private final class MadeBot: Sendable {
    let bot = Mutex<ChatwootAgentBot?>(nil)
}
