import BatonConfig
import BatonCore
import Logging
import NIOCore

/// The Chatwoot desk of every endpoint whose configuration hands over to Chatwoot, each with its API client and
/// agent bot.
struct ChatwootDesks: Sendable {
    /// By endpoint id.
    let desks: [String: any Desk]
    private let bots: [AgentBotKeeper]
    private let logger: Logger?

    /// None: the caller brings its own desks.
    init() {
        desks = [:]
        bots = []
        logger = nil
    }

    init(endpoints: EndpointRegistry, store: any SessionStore, timeout: Duration, logger: Logger) {
        var desks: [String: any Desk] = [:]
        var bots: [AgentBotKeeper] = []
        for endpoint in endpoints.endpoints {
            guard case .chatwoot(let settings)? = endpoint.configuration.handover else { continue }
            let client = ChatwootClient(
                baseURL: settings.baseURL, accountID: settings.accountID, token: settings.apiAccessToken.value, timeout: TimeAmount(timeout), logger: logger)
            let bot = AgentBotKeeper(endpointID: endpoint.id, settings: settings, client: client, store: store, logger: logger)
            desks[endpoint.id] = ChatwootDesk(
                endpointID: endpoint.id, endpointName: endpoint.configuration.name, settings: settings, client: client, bot: bot, store: store, logger: logger)
            bots.append(bot)
        }
        self.desks = desks
        self.bots = bots
        self.logger = logger
    }

    /// Sets the agent bots up, so a wrong token shows in the log at start rather than at the first handover.
    func prepare() async {
        await withTaskGroup(of: Void.self) { group in
            for bot in bots {
                group.addTask {
                    do { _ = try await bot.accessToken() } catch {
                        logger?.error("Chatwoot agent bot setup failed", metadata: ["endpoint": "\(bot.endpointID)", "error": "\(error)"])
                    }
                }
            }
        }
    }
}
