import AsyncHTTPClient
import BatonConfig
import BatonCore
import Foundation
import Logging
import NIOCore

/// The Chatwoot desk of every endpoint whose configuration hands over to Chatwoot, each with its API client and
/// agent bot; and for endpoints with a Chatwoot channel, that channel (its replies, its in-conversation desk and
/// what its webhook route needs).
struct ChatwootDesks: Sendable {
    /// By endpoint id.
    let desks: [String: any Desk]
    /// The Chatwoot channels, by endpoint id.
    let inboxes: [String: ChatwootInboxChannel]
    /// What the agent-bot webhook route needs of each channel, by endpoint id.
    let channels: [String: AgentBotWebhookController.Channel]
    private let bots: [AgentBotKeeper]
    private let logger: Logger?

    /// None: the caller brings its own desks.
    init() {
        desks = [:]
        inboxes = [:]
        channels = [:]
        bots = []
        logger = nil
    }

    /// - Parameters:
    ///   - http: what Chatwoot's API is called with (`ChatwootHTTPClient`).
    ///   - links: what a flow's attachment links are fetched with, for inbox channels (they carry no token, and may redirect).
    init(
        endpoints: EndpointRegistry, store: any SessionStore, http: HTTPClient, links: HTTPClient, timeout: Duration, maxFileBytes: Int,
        address: PublicAddress, logger: Logger
    ) {
        var desks: [String: any Desk] = [:]
        var inboxes: [String: ChatwootInboxChannel] = [:]
        var channels: [String: AgentBotWebhookController.Channel] = [:]
        var bots: [AgentBotKeeper] = []
        for endpoint in endpoints.endpoints {
            guard case .chatwoot(let settings)? = endpoint.configuration.handover else { continue }
            let client = ChatwootClient(
                baseURL: settings.baseURL, accountID: settings.accountID, token: settings.apiAccessToken.value, http: http, timeout: TimeAmount(timeout),
                logger: logger)
            let channel = endpoint.configuration.chatwoot
            let link = channel.map { AgentBotKeeper.ChannelLink(address: address, endpointID: endpoint.id, channel: $0) }
            let bot = AgentBotKeeper(endpointID: endpoint.id, settings: settings, client: client, store: store, channel: link, logger: logger)
            let availability = ChatwootAvailability(
                client: client, lifetime: TimeInterval(settings.availabilityCacheSeconds), busyIsAvailable: settings.busyIsAvailable)
            desks[endpoint.id] = ChatwootDesk(
                endpointID: endpoint.id, endpointName: endpoint.configuration.name, settings: settings, client: client, bot: bot, store: store,
                availability: availability, configuredInbox: ConfiguredInbox(settings.inbox, client: client), logger: logger)
            if let channel {
                inboxes[endpoint.id] = ChatwootInboxChannel(
                    endpointID: endpoint.id, settings: settings, client: client, bot: bot, store: store, availability: availability, links: links,
                    maxFileBytes: maxFileBytes, logger: logger)
                channels[endpoint.id] = AgentBotWebhookController.Channel(
                    endpoint: endpoint, settings: settings, inboxes: Set(channel.inboxes), pathSecret: channel.webhookPathSecret, bot: bot)
            }
            bots.append(bot)
        }
        self.desks = desks
        self.inboxes = inboxes
        self.channels = channels
        self.bots = bots
        self.logger = logger
    }

    /// Sets the agent bots up, so a wrong token shows in the log at start rather than at the first handover.
    /// `channels` picks the bots of Chatwoot channels, whose set-up needs Baton's own URL (known once it
    /// listens), or the others.
    func prepare(channels: Bool) async {
        await withTaskGroup(of: Void.self) { group in
            for bot in bots where (bot.channel != nil) == channels {
                group.addTask {
                    do { _ = try await bot.accessToken() } catch {
                        logger?.error("Chatwoot agent bot setup failed", metadata: ["endpoint": "\(bot.endpointID)", "error": "\(error)"])
                    }
                }
            }
        }
    }
}
