import BatonConfig
import BatonCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOFoundationCompat

/// The agent bot's webhooks for an endpoint's Chatwoot channel: `POST /channels/chatwoot/{endpointID}` (signed
/// with the bot's secret, Chatwoot 4.13+) or `POST /channels/chatwoot/{endpointID}/{pathSecret}` (older Chatwoot).
///
/// Chatwoot sends these from its request cycle's jobs with a 5 s timeout, retries only on 429/500, and opens a
/// pending conversation to humans when a message event finally fails. So each one is authenticated before its
/// body is read, applied as one store write (the bot's answers go out from the outbox), and answered at once:
/// 2xx when applied or ignored, 500 only when it should come again. Redeliveries have no second effect: the
/// contact's messages are stored once per Chatwoot message id, status events once per delivery id.
struct AgentBotWebhookController {
    /// An endpoint's Chatwoot channel, with what its webhooks need.
    struct Channel: Sendable {
        let endpoint: Endpoint
        let settings: ChatwootSettings
        let inboxes: Set<Int>
        let pathSecret: Secret?
        let bot: AgentBotKeeper
    }

    let channels: [String: Channel]
    /// The contact's messages of one conversation, in Chatwoot's order when they arrive together.
    let arrival: ArrivalOrder
    let conversations: Conversations
    let store: any SessionStore
    let metrics: BatonMetrics
    let now: @Sendable () -> Date
    let logger: Logger

    static let maxBodySize = 2 * 1024 * 1024

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("channels/chatwoot/{endpointID}", use: receiveSigned)
        router.post("channels/chatwoot/{endpointID}/{pathSecret}", use: receiveWithPathSecret)
    }

    func receiveSigned(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("endpointID")
        guard let channel = channels[id] else { throw APIError(.notFound, "endpoint_not_found", "no endpoint '\(id.prefix(60))' has a Chatwoot channel") }
        // Headers first: an unsigned, malformed or stale delivery is refused before a byte of its body is read.
        let headers = WebhookDeliveryHeaders(request.headers)
        let claim: WebhookSignature.Claim
        switch WebhookSignature.claim(signature: headers.signature, timestamp: headers.timestamp, now: now()) {
        case .claimed(let claimed): claim = claimed
        case .refused(.missingHeaders):
            throw refusal("\(WebhookSignature.Verdict.missingHeaders.explanation); Chatwoot before 4.13 needs channels.chatwoot.webhookPathSecret")
        case .refused(let verdict): throw refusal(verdict.explanation)
        }
        let bytes = try await body(of: request)
        let secret: String?
        do {
            secret = try await channel.bot.webhookSecret()
        } catch {
            // Chatwoot retries a 500: the bot may be set up by then.
            logger.error("the Chatwoot agent bot is not set up", metadata: ["endpoint": "\(id)", "error": "\(error)"])
            throw APIError(.internalServerError, "agent_bot_unavailable", "the agent bot is not set up yet")
        }
        guard let secret, WebhookSignature(secret: secret).matches(claim, body: bytes) else {
            throw refusal("the signature does not match the agent bot's secret")
        }
        return try await handle(bytes, delivery: headers.delivery, channel: channel)
    }

    /// For Chatwoot before 4.13, which does not sign: the unguessable path segment is the proof.
    func receiveWithPathSecret(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("endpointID")
        let given = try context.parameters.require("pathSecret")
        guard let channel = channels[id], let secret = channel.pathSecret, constantTimeEquals(given, secret.value) else {
            // The same answer for an unknown endpoint and a wrong secret, so neither can be probed.
            throw APIError(.notFound, "not_found", "no such webhook")
        }
        return try await handle(try await body(of: request), delivery: WebhookDeliveryHeaders(request.headers).delivery, channel: channel)
    }

    func body(of request: Request) async throws -> Data {
        do {
            return Data(buffer: try await request.body.collect(upTo: Self.maxBodySize))
        } catch {
            throw APIError(.contentTooLarge, "body_too_large", "webhook bodies are limited to \(Self.maxBodySize) bytes")
        }
    }

    func refusal(_ reason: String) -> APIError {
        logger.warning("refused an agent-bot webhook", metadata: ["why": "\(reason)"])
        return APIError(.unauthorized, "invalid_signature", reason)
    }

    func handle(_ bytes: Data, delivery: String?, channel: Channel) async throws -> Response {
        let event: AgentBotEvent
        do {
            event = try AgentBotEvent.decode(bytes)
        } catch {
            throw APIError(.badRequest, "invalid_webhook", error.description)
        }
        // Status changes repeat harmlessly only by luck; a redelivery of one must not apply again.
        let deliveryKey = Self.needsDeliveryRecord(event) ? delivery.map { "bot:\(channel.endpoint.id):\($0.prefix(100))" } : nil
        return try await WebhookApplication(store: store, metrics: metrics, now: now).once(deliveryKey: deliveryKey) {
            try await apply(event, channel: channel)
        }
    }

    static func needsDeliveryRecord(_ event: AgentBotEvent) -> Bool {
        switch event {
        case .status, .assignedToBot, .handBack, .replyFailed: true
        case .contactMessage, .choice, .widgetOpened, .ignore: false
        }
    }

    func apply(_ event: AgentBotEvent, channel: Channel) async throws -> (BatonMetrics.WebhookOutcome, String) {
        switch event {
        case .ignore(let reason):
            return (.ignored, "ignored: \(reason)")
        case .contactMessage(let conversation, let messageID, let text, let attachments):
            guard answers(conversation, channel) else { return (.ignored, "ignored: not an inbox of this endpoint") }
            return try await arrival.run(key(conversation), order: messageID) {
                try await contactWrote(text, attachments: attachments, choice: nil, clientID: "chatwoot:\(messageID)", in: conversation, channel: channel)
            }
        case .choice(let conversation, let messageID, let title, let value):
            guard answers(conversation, channel) else { return (.ignored, "ignored: not an inbox of this endpoint") }
            return try await arrival.run(key(conversation), order: messageID) {
                try await contactWrote(title, attachments: [], choice: value, clientID: "chatwoot:\(messageID):choice", in: conversation, channel: channel)
            }
        case .replyFailed(let conversation, let messageID, let error):
            guard answers(conversation, channel), let sessionID = try await knownSession(conversation, channel) else {
                return (.ignored, "ignored: not a conversation Baton answers")
            }
            // Nothing to send again: the platform refuses the message as it is (Chatwoot shows it failed).
            logger.warning(
                "the contact's platform refused a bot reply",
                metadata: [
                    "session": "\(sessionID)", "endpoint": "\(channel.endpoint.id)", "conversation": "\(conversation.conversationID)",
                    "channel": "\(conversation.channelType)", "message": "\(messageID)", "error": "\(error.prefix(300))",
                ])
            metrics.channelReplyFailed(endpoint: channel.endpoint.id)
            return (.applied, "reply failed on the platform")
        case .status(let conversation):
            guard answers(conversation, channel), let sessionID = try await knownSession(conversation, channel) else {
                return (.ignored, "ignored: not a conversation Baton answers")
            }
            guard let handover = handoverEvent(for: conversation) else { return (.ignored, "ignored: status \(conversation.status.prefix(20))") }
            try await apply(handover, sessionID: sessionID, channel: channel)
            return (.applied, "status \(conversation.status)")
        case .widgetOpened(let conversation):
            // The bot greets a returning visitor whose conversation it has and has not talked in yet.
            guard answers(conversation, channel), conversation.status == "pending" else { return (.ignored, "ignored: not the bot's conversation") }
            let turn = try await conversations.openSession(
                endpoint: channel.endpoint, userID: ChatwootInboxChannel.userID(accountID: conversation.accountID, conversationID: conversation.conversationID),
                channel: .chatwoot, profile: Self.profile(of: conversation), start: true)
            try await store.link(endpointID: channel.endpoint.id, conversationKey: key(conversation), to: turn.session.id)
            return turn.messages.isEmpty ? (.duplicate, "already greeted") : (.applied, "greeted")
        case .assignedToBot(let conversation, let botID):
            guard answers(conversation, channel), let sessionID = try await knownSession(conversation, channel),
                try await botID == channel.bot.agentBot().id
            else { return (.ignored, "ignored: not assigned to this endpoint's bot") }
            try await apply(
                .returnedToBot(conversationID: conversation.conversationID, updatedAt: conversation.updatedAt, resolution: conversation.resolution),
                sessionID: sessionID, channel: channel)
            return (.applied, "assigned to the bot")
        case .handBack(let conversation, let nodeID):
            guard answers(conversation, channel), let sessionID = try await knownSession(conversation, channel) else {
                return (.ignored, "ignored: not a conversation of this channel")
            }
            try await apply(
                .handedBack(conversationID: conversation.conversationID, nodeID: nodeID, resolution: conversation.resolution), sessionID: sessionID,
                channel: channel)
            return (.applied, "handed back")
        }
    }

    /// The handover event a status means on this channel: `open` is humans' (a handover, Baton's or not),
    /// `pending` is the bot's again, `resolved` ends the handover; `snoozed` waits.
    func handoverEvent(for conversation: InboxConversation) -> HandoverEvent? {
        let id = conversation.conversationID
        switch conversation.status {
        case "open": return .deskTookOver(conversationID: id, inboxID: conversation.inboxID, updatedAt: conversation.updatedAt)
        case "pending": return .returnedToBot(conversationID: id, updatedAt: conversation.updatedAt, resolution: conversation.resolution)
        case "resolved": return .providerStatus(.resolved, conversationID: id, updatedAt: conversation.updatedAt, resolution: conversation.resolution)
        default: return nil
        }
    }

    func apply(_ event: HandoverEvent, sessionID: SessionID, channel: Channel) async throws {
        guard case .deskTookOver = event else {
            try await conversations.handover(event, sessionID: sessionID, endpoint: channel.endpoint)
            return
        }
        // Only a takeover that started a handover of its own is worth a warning: compare the handover numbers.
        let before = try await store.session(id: sessionID)?.state.handover?.number
        try await conversations.handover(event, sessionID: sessionID, endpoint: channel.endpoint)
        if let handover = try await store.session(id: sessionID)?.state.handover, handover.number != before, handover.openedInDesk == true {
            logger.warning(
                "Chatwoot gave the conversation to humans without a handover (an agent, or the agent bot's webhook failed)",
                metadata: ["session": "\(sessionID)", "endpoint": "\(channel.endpoint.id)", "conversation": "\(handover.conversationID ?? 0)"])
            metrics.openedInDesk(endpoint: channel.endpoint.id)
        }
    }

    func answers(_ conversation: InboxConversation, _ channel: Channel) -> Bool {
        conversation.accountID == channel.settings.accountID && channel.inboxes.contains(conversation.inboxID)
    }

    func key(_ conversation: InboxConversation) -> String {
        ChatwootDesk.conversationKey(accountID: conversation.accountID, conversationID: conversation.conversationID)
    }

    func knownSession(_ conversation: InboxConversation, _ channel: Channel) async throws -> SessionID? {
        try await store.sessionID(endpointID: channel.endpoint.id, conversationKey: key(conversation))
    }
}
