import BatonConfig
import BatonCore
import Logging
import Synchronization

/// Makes sure the endpoint's Chatwoot agent bot exists with the configured name and description, and keeps its
/// token. The bot's id is remembered in the store, so a renamed bot is updated rather than created again.
/// The bot is deliberately not connected to the inbox: that would start every conversation `pending` and send the
/// bot a webhook for every conversation of the inbox (`app/listeners/agent_bot_listener.rb`).
actor AgentBotKeeper {
    let endpointID: String
    let settings: ChatwootSettings
    let client: ChatwootClient
    let store: any SessionStore
    let logger: Logger
    private var token: String?
    /// The set-up in progress, which every caller that comes meanwhile waits for: the actor is reentrant, so
    /// without it two callers (the start-up check and a first handover) would each set the bot up.
    private var settingUp: Task<String, any Error>?

    init(endpointID: String, settings: ChatwootSettings, client: ChatwootClient, store: any SessionStore, logger: Logger) {
        self.endpointID = endpointID
        self.settings = settings
        self.client = client
        self.store = store
        self.logger = logger
    }

    var settingKey: String { "chatwoot.agentBot.\(endpointID)" }

    /// The bot's access token, creating or updating the bot on first use. A failed set-up is tried again by the
    /// next caller.
    func accessToken() async throws -> String {
        if let token { return token }
        let setUp = settingUp ?? Task { try await self.setUp() }
        settingUp = setUp
        do {
            let token = try await setUp.value
            self.token = token
            settingUp = nil
            return token
        } catch {
            settingUp = nil
            throw error
        }
    }

    private func setUp() async throws -> String {
        let bot = try await ensureBot()
        guard let token = bot.accessToken else {
            throw ChatwootError(kind: .invalidResponse, status: nil, message: "the agent bot's access token is not visible to this API token", operation: "GET /agent_bots")
        }
        return token
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
