import BatonChatwoot
import BatonConfig
import BatonCore
import Logging

/// Makes sure the endpoint's Chatwoot agent bot exists with the configured name and description, and keeps its
/// token. The bot's id is remembered in the store, so a renamed bot is updated rather than created again.
/// The bot is deliberately not connected to the inbox: that would start every conversation `pending` and send the
/// bot a webhook for every conversation of the inbox (CONTRACT §2.5).
actor AgentBotKeeper {
    let endpointID: String
    let settings: ChatwootSettings
    let client: ChatwootClient
    let store: any SessionStore
    let logger: Logger
    private var token: String?

    init(endpointID: String, settings: ChatwootSettings, client: ChatwootClient, store: any SessionStore, logger: Logger) {
        self.endpointID = endpointID
        self.settings = settings
        self.client = client
        self.store = store
        self.logger = logger
    }

    var settingKey: String { "chatwoot.agentBot.\(endpointID)" }

    /// The bot's access token, creating or updating the bot on first use.
    func accessToken() async throws -> String {
        if let token { return token }
        let bot = try await ensureBot()
        guard let token = bot.accessToken else {
            throw ChatwootError(kind: .invalidResponse, status: nil, message: "the agent bot's access token is not visible to this API token", operation: "GET /agent_bots")
        }
        self.token = token
        return token
    }

    private func ensureBot() async throws -> ChatwootAgentBot {
        if let remembered = try await store.setting(settingKey).flatMap(Int.init) {
            do {
                let bot = try await client.agentBot(id: remembered)
                guard bot.name != settings.agentBotName || bot.description != settings.agentBotDescription else { return bot }
                logger.info("renaming the Chatwoot agent bot", metadata: ["endpoint": "\(endpointID)", "bot": "\(remembered)"])
                return try await client.updateAgentBot(id: remembered, name: settings.agentBotName, description: settings.agentBotDescription)
            } catch let error as ChatwootError where error.kind == .notFound {
                logger.warning("the remembered Chatwoot agent bot is gone; making a new one", metadata: ["endpoint": "\(endpointID)"])
            }
        }
        let existing = try await client.agentBots().first { $0.name == settings.agentBotName && $0.accessToken != nil }
        let bot: ChatwootAgentBot
        if let existing { bot = existing } else { bot = try await client.createAgentBot(name: settings.agentBotName, description: settings.agentBotDescription) }
        try await store.setSetting(settingKey, to: String(bot.id))
        return bot
    }
}
