import BatonConfig
import BatonCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOFoundationCompat
import Tracing

/// Chatwoot's webhooks for API-channel inboxes: `POST /handover/chatwoot` (the URL Cognigy's setup guide uses) and
/// `POST /handover/chatwoot/{endpointID}` for deployments with several endpoints or accounts.
///
/// Each webhook is authenticated before its body is parsed (headers first, then the HMAC over the raw bytes),
/// classified (what reaches the user: an agent's public reply, never Baton's own echoes, private notes or bot
/// posts) and applied to its session before it is acknowledged. Applying one is a store write; any Chatwoot call it
/// leads to runs from the outbox, so the answer comes well within Chatwoot's 5 s (`WEBHOOK_TIMEOUT`).
struct ChatwootWebhookController {
    /// The endpoints whose desk is Chatwoot, with their settings.
    let endpoints: [(Endpoint, ChatwootSettings)]
    /// Each endpoint's signature verifier, by endpoint id: made once, with its key (see ``WebhookSignature``).
    let verifiers: [String: WebhookSignature]
    let conversations: Conversations
    /// Agents' typing for outside bots' sessions (their callbacks); the webchat hears of it through `conversations`.
    let typingNotices: AgentTypingNotices
    let store: any SessionStore
    let metrics: BatonMetrics
    let now: @Sendable () -> Date
    let logger: Logger

    init(
        endpoints: EndpointRegistry, conversations: Conversations, typingNotices: AgentTypingNotices, store: any SessionStore, metrics: BatonMetrics,
        now: @escaping @Sendable () -> Date, logger: Logger
    ) {
        self.endpoints = endpoints.endpoints.compactMap { endpoint in
            guard case .chatwoot(let settings)? = endpoint.configuration.handover else { return nil }
            return (endpoint, settings)
        }
        verifiers = Dictionary(
            self.endpoints.compactMap { endpoint, settings in settings.webhookSecret.map { (endpoint.id, WebhookSignature(secret: $0.value)) } },
            uniquingKeysWith: { first, _ in first })
        self.conversations = conversations
        self.typingNotices = typingNotices
        self.store = store
        self.metrics = metrics
        self.now = now
        self.logger = logger
    }

    /// Chatwoot messages are at most 150,000 characters; with JSON escaping and the conversation around them a
    /// webhook stays far below this.
    static let maxBodySize = 2 * 1024 * 1024
    static let classifier = WebhookClassifier(ownSourceIDPrefix: ChatwootIdentity.prefix)

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("handover/chatwoot", use: receiveShared)
        router.post("handover/chatwoot/{endpointID}", use: receiveForEndpoint)
        router.post("handover/chatwoot/{endpointID}/{pathSecret}", use: receiveWithPathSecret)
    }

    func receiveShared(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await receive(request, context: context, candidates: endpoints)
    }

    func receiveForEndpoint(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("endpointID")
        let candidates = endpoints.filter { $0.0.id == id }
        guard !candidates.isEmpty else { throw APIError(.notFound, "endpoint_not_found", "no endpoint '\(id.prefix(60))' hands over to Chatwoot") }
        return try await receive(request, context: context, candidates: candidates)
    }

    /// For Chatwoot before 4.13, which does not sign: the unguessable path segment is the proof.
    func receiveWithPathSecret(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("endpointID")
        let given = try context.parameters.require("pathSecret")
        guard let candidate = endpoints.first(where: { $0.0.id == id }), let secret = candidate.1.webhookPathSecret,
            constantTimeEquals(given, secret.value)
        else {
            // The same answer for an unknown endpoint and a wrong secret, so neither can be probed.
            throw APIError(.notFound, "not_found", "no such webhook")
        }
        return try await receive(request, context: context, candidates: [candidate], pathVerified: true)
    }

    func receive(
        _ request: Request, context: AppRequestContext, candidates: [(Endpoint, ChatwootSettings)], pathVerified: Bool = false
    ) async throws -> Response {
        guard !candidates.isEmpty else { throw APIError(.notFound, "no_chatwoot_endpoint", "no endpoint hands over to Chatwoot") }
        let headers = WebhookDeliveryHeaders(request.headers)
        // The secret path proves the sender unless the request is signed and a secret is set: then the HMAC must hold too.
        let trustPath = pathVerified && (headers.signature == nil || candidates[0].1.webhookSecret == nil)
        let (bytes, signers) = try await BatonTracing.withSpan("chatwoot webhook verify") { _ in
            // Headers first: an unsigned, malformed or stale delivery is refused before a byte of its body is read.
            let claim = trustPath ? nil : try checkHeaders(headers, candidates: candidates)
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: Self.maxBodySize)
            } catch {
                throw APIError(.contentTooLarge, "body_too_large", "webhook bodies are limited to \(Self.maxBodySize) bytes")
            }
            let bytes = Data(buffer: body)
            guard let claim else { return (bytes, candidates) }
            return (bytes, try authenticate(claim, bytes: bytes, candidates: candidates))
        }
        // Only a sender proven to hold a secret gets its body parsed.
        let webhook: ChatwootWebhook
        do {
            webhook = try ChatwootWebhook.decode(bytes)
        } catch {
            throw APIError(.badRequest, "invalid_webhook", error.description)
        }
        let action = Self.classifier.classify(webhook)
        let accountID = Self.accountID(of: action)
        guard let endpoint = signers.first(where: { accountID == nil || $0.1.accountID == accountID }) else {
            logger.warning("refused a Chatwoot webhook", metadata: ["why": "account \(accountID ?? 0) is not set up"])
            throw APIError(.unauthorized, "invalid_signature", "no endpoint is set up for this Chatwoot account")
        }
        let delivery = headers.delivery
        context.logger.debug("chatwoot webhook", metadata: ["event": "\(webhook.event)", "delivery": "\(delivery ?? "-")", "endpoint": "\(endpoint.0.id)"])
        // A redelivery (same X-Chatwoot-Delivery) has no second effect; one that failed to apply is forgotten, so a
        // later copy can still apply. Actions that are harmless to repeat skip the record: it is a write of its own.
        let deliveryKey = Self.needsDeliveryRecord(action) ? delivery.map { "\(endpoint.0.id):\($0.prefix(100))" } : nil
        return try await BatonTracing.withSpan("chatwoot webhook apply") { span in
            span.attributes["baton.webhook.event"] = webhook.event
            return try await WebhookApplication(store: store, metrics: metrics, now: now).once(deliveryKey: deliveryKey) {
                try await apply(action, endpoint: endpoint.0, settings: endpoint.1)
            }
        }
    }

    /// Whether applying the action twice could do something twice. An agent's message is stored once per Chatwoot
    /// message id (and a moved copy keeps it), a retraction of a retracted message does nothing, typing and
    /// ignored events change nothing; a status change is the one that needs the delivery id to be told apart.
    static func needsDeliveryRecord(_ action: WebhookAction) -> Bool {
        switch action {
        case .status, .assigned, .handBack: true
        case .deliver, .retract, .typing, .ignore, .survey: false
        }
    }

    /// Refuses a delivery whose signature headers are missing, malformed or stale, or that no secret could verify;
    /// returns their claim, which only the HMAC over the body is left to check.
    /// An endpoint without a secret takes no webhooks on these routes at all (anyone could post unsigned ones);
    /// older Chatwoot uses the secret-path route instead.
    func checkHeaders(_ headers: WebhookDeliveryHeaders, candidates: [(Endpoint, ChatwootSettings)]) throws -> WebhookSignature.Claim {
        guard candidates.contains(where: { $0.1.webhookSecret != nil }) else {
            throw refusal("no webhook secret is configured for this endpoint; set webhookSecret, or use webhookPathSecret with older Chatwoot")
        }
        switch WebhookSignature.claim(signature: headers.signature, timestamp: headers.timestamp, now: now()) {
        case .claimed(let claim): return claim
        case .refused(let verdict): throw refusal(verdict.explanation, verdict: verdict)
        }
    }

    /// The candidates whose webhook secret signed these exact bytes (usually one).
    func authenticate(_ claim: WebhookSignature.Claim, bytes: Data, candidates: [(Endpoint, ChatwootSettings)]) throws -> [(Endpoint, ChatwootSettings)] {
        let signers = candidates.filter { candidate in
            verifiers[candidate.0.id]?.matches(claim, body: bytes) ?? false
        }
        guard !signers.isEmpty else { throw refusal(WebhookSignature.Verdict.mismatch.explanation, verdict: .mismatch) }
        return signers
    }

    func refusal(_ reason: String, verdict: WebhookSignature.Verdict? = nil) -> APIError {
        logger.warning("refused a Chatwoot webhook", metadata: ["why": "\(verdict.map { "\($0)" } ?? reason)"])
        return APIError(.unauthorized, "invalid_signature", reason)
    }

    /// Applies the action to its session; says whether it changed anything (a redelivered reply or deletion does
    /// not) and what to answer.
    func apply(_ action: WebhookAction, endpoint: Endpoint, settings: ChatwootSettings) async throws -> (BatonMetrics.WebhookOutcome, String) {
        switch action {
        case .ignore(let reason):
            return (.ignored, "ignored: \(reason)")
        case .deliver(let message):
            let sessionID = try await session(for: message.conversation, endpoint: endpoint, settings: settings)
            let content = MessageContent(text: message.text, attachments: message.attachments)
            let stored = try await conversations.agentMessage(
                content, agentName: settings.showAgentNames ? message.agentName : nil, externalID: "chatwoot:\(message.chatwootMessageID)", order: Int64(message.chatwootMessageID),
                sentAt: message.sentAt, sessionID: sessionID, deskStatus: message.openStatus.map { ($0, endpoint) })
            return stored == nil ? (.duplicate, "already delivered") : (.applied, "delivered")
        case .handBack(let conversation, let nodeID, let resolution):
            guard let sessionID = try await knownSession(for: conversation, endpoint: endpoint, settings: settings) else {
                return (.ignored, "ignored: not a Baton conversation")
            }
            try await conversations.handover(
                .handedBack(conversationID: conversation.conversationID, nodeID: nodeID, resolution: resolution), sessionID: sessionID, endpoint: endpoint)
            return (.applied, "handed back")
        case .survey(let survey):
            guard let sessionID = try await knownSession(for: survey.conversation, endpoint: endpoint, settings: settings) else {
                return (.ignored, "ignored: not a Baton conversation")
            }
            let data: JSONValue = ["survey": ["conversationUUID": .string(survey.conversationUUID), "displayType": .string(survey.displayType)]]
            switch try await conversations.survey(
                MessageContent(text: survey.text, data: data), externalID: "chatwoot:\(survey.chatwootMessageID)", conversationID: survey.conversation.conversationID,
                sessionID: sessionID)
            {
            case .stored: return (.applied, "survey shown")
            case .duplicate: return (.duplicate, "survey already shown")
            case .notAfterAnAgent: return (.ignored, "ignored: a survey after a handover no agent ended")
            }
        case .retract(let messageID, let conversation):
            let sessionID = try await session(for: conversation, endpoint: endpoint, settings: settings)
            let retracted = try await conversations.retract(externalID: "chatwoot:\(messageID)", sessionID: sessionID)
            return retracted ? (.applied, "retracted") : (.duplicate, "already retracted")
        case .status(let conversation, let status, _, _, _):
            // conversation_created arrives for conversations Baton is still linking; only known ones matter.
            guard let sessionID = try await knownSession(for: conversation, endpoint: endpoint, settings: settings), let event = action.statusEvent else {
                return (.ignored, "ignored: not a Baton conversation")
            }
            try await conversations.handover(event, sessionID: sessionID, endpoint: endpoint)
            return (.applied, "status \(status.rawValue)")
        case .assigned(let conversation, let agentName, let agentAvatar):
            guard let sessionID = try await knownSession(for: conversation, endpoint: endpoint, settings: settings) else {
                return (.ignored, "ignored: not a Baton conversation")
            }
            // The agent's picture says who they are as much as their name: shown only when names are.
            let avatar = settings.showAgentNames ? agentAvatar.flatMap { Attachment.isWebURL($0) ? $0 : nil } : nil
            try await conversations.handover(
                .agentJoined(conversationID: conversation.conversationID, agentName: settings.showAgentNames ? agentName : nil, agentAvatar: avatar),
                sessionID: sessionID, endpoint: endpoint)
            return (.applied, "agent joined")
        case .typing(let conversation, let on, _):
            guard let sessionID = try await knownSession(for: conversation, endpoint: endpoint, settings: settings) else {
                return (.ignored, "ignored: not a Baton conversation")
            }
            conversations.agentTyping(on, sessionID: sessionID)
            typingNotices.agentTyping(on, sessionID: sessionID, endpoint: endpoint)
            return (.applied, "typing")
        }
    }

    /// The session of a conversation; an unknown one is a 404, so Chatwoot marks the agent's message failed and
    /// the agent sees that it did not arrive.
    func session(for conversation: ConversationRef, endpoint: Endpoint, settings: ChatwootSettings) async throws -> SessionID {
        guard let sessionID = try await knownSession(for: conversation, endpoint: endpoint, settings: settings) else {
            throw APIError(.notFound, "unknown_conversation", "conversation \(conversation.conversationID) is not a Baton handover")
        }
        return sessionID
    }

    /// The session of a conversation: by the link made when it was opened, else (its webhook overtook the API's
    /// answer, or Baton stopped in between) by the contact-inbox `source_id` Baton gave it, which names the session.
    func knownSession(for conversation: ConversationRef, endpoint: Endpoint, settings: ChatwootSettings) async throws -> SessionID? {
        let key = ChatwootDesk.conversationKey(accountID: settings.accountID, conversationID: conversation.conversationID)
        if let linked = try await store.sessionID(endpointID: endpoint.id, conversationKey: key) { return linked }
        guard let sourceID = conversation.sourceID, sourceID.hasPrefix(ChatwootIdentity.prefix) else { return nil }
        let candidate = SessionID(rawValue: String(sourceID.dropFirst(ChatwootIdentity.prefix.count)))
        guard let session = try await store.session(id: candidate), session.endpointID == endpoint.id,
            session.state.handover?.conversationID == nil || session.state.handover?.conversationID == conversation.conversationID
        else { return nil }
        try await store.link(endpointID: endpoint.id, conversationKey: key, to: session.id)
        return session.id
    }

    static func accountID(of action: WebhookAction) -> Int? {
        switch action {
        case .deliver(let message): message.conversation.accountID
        case .survey(let survey): survey.conversation.accountID
        case .handBack(let conversation, _, _): conversation.accountID
        case .retract(_, let conversation), .status(let conversation, _, _, _, _), .typing(let conversation, _, _), .assigned(let conversation, _, _):
            conversation.accountID
        case .ignore: nil
        }
    }
}
