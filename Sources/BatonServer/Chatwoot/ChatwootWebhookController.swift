import BatonChatwoot
import BatonConfig
import BatonCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOFoundationCompat

/// Chatwoot's webhooks for API-channel inboxes: `POST /handover/chatwoot` (the URL Cognigy's setup guide uses) and
/// `POST /handover/chatwoot/{endpointID}` for deployments with several endpoints or accounts.
///
/// Each webhook is verified, classified by CONTRACT §4.6 and applied to its session before it is acknowledged;
/// applying one is a store write, and any Chatwoot call it leads to runs in the background, so the answer comes
/// well within Chatwoot's 5 s.
struct ChatwootWebhookController {
    let conversations: ConversationService
    let now: @Sendable () -> Date
    let logger: Logger

    /// Chatwoot messages are at most 150,000 characters; with JSON escaping and the conversation around them a
    /// webhook stays far below this.
    static let maxBodySize = 2 * 1024 * 1024
    static let classifier = WebhookClassifier(ownSourceIDPrefix: ChatwootIdentity.prefix)

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("handover/chatwoot", use: receiveShared)
        router.post("handover/chatwoot/{endpointID}", use: receiveForEndpoint)
        router.post("handover/chatwoot/{endpointID}/{pathSecret}", use: receiveWithPathSecret)
    }

    /// The Chatwoot endpoints configured.
    var chatwootEndpoints: [(Endpoint, ChatwootSettings)] {
        conversations.endpoints.endpoints.compactMap { endpoint in
            guard case .chatwoot(let settings)? = endpoint.configuration.handover else { return nil }
            return (endpoint, settings)
        }
    }

    func receiveShared(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await receive(request, context: context, candidates: chatwootEndpoints)
    }

    func receiveForEndpoint(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("endpointID")
        let candidates = chatwootEndpoints.filter { $0.0.id == id }
        guard !candidates.isEmpty else { throw APIError(.notFound, "endpoint_not_found", "no endpoint '\(id.prefix(60))' hands over to Chatwoot") }
        return try await receive(request, context: context, candidates: candidates)
    }

    /// For Chatwoot before 4.13, which does not sign: the unguessable path segment is the proof.
    func receiveWithPathSecret(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("endpointID")
        let given = try context.parameters.require("pathSecret")
        guard let candidate = chatwootEndpoints.first(where: { $0.0.id == id }), let secret = candidate.1.webhookPathSecret,
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
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxBodySize)
        } catch {
            throw APIError(.contentTooLarge, "body_too_large", "webhook bodies are limited to \(Self.maxBodySize) bytes")
        }
        let bytes = Data(buffer: body)
        let webhook: ChatwootWebhook
        do {
            webhook = try ChatwootWebhook.decode(bytes)
        } catch {
            throw APIError(.badRequest, "invalid_webhook", error.description)
        }
        let action = Self.classifier.classify(webhook)
        let endpoint =
            if pathVerified, let only = candidates.first, !Self.isSigned(request) || only.1.webhookSecret == nil {
                only
            } else {
                try authenticate(request, bytes: bytes, candidates: candidates, accountID: Self.accountID(of: action))
            }
        let delivery = request.headers[HTTPField.Name(WebhookSignature.deliveryHeader)!]
        context.logger.debug("chatwoot webhook", metadata: ["event": "\(webhook.event)", "delivery": "\(delivery ?? "-")", "endpoint": "\(endpoint.0.id)"])
        // A redelivery (same X-Chatwoot-Delivery) has no second effect; one that failed to apply is forgotten, so a
        // later copy can still apply. Actions that are harmless to repeat skip the record: it is a write of its own.
        let deliveryKey = Self.needsDeliveryRecord(action) ? delivery.map { "\(endpoint.0.id):\($0.prefix(100))" } : nil
        if let deliveryKey, try await !conversations.store.recordDelivery(deliveryKey, now: now()) {
            conversations.metrics.webhook("duplicate")
            return accepted("duplicate delivery")
        }
        do {
            let response = try await apply(action, endpoint: endpoint.0, settings: endpoint.1)
            conversations.metrics.webhook("applied")
            return response
        } catch {
            if let deliveryKey { try? await conversations.store.forgetDelivery(deliveryKey) }
            conversations.metrics.webhook("refused")
            throw error
        }
    }

    /// Whether applying the action twice could do something twice. An agent's message is stored once per Chatwoot
    /// message id (and a moved copy keeps it), a retraction of a retracted message does nothing, typing and
    /// ignored events change nothing; a status change is the one that needs the delivery id to be told apart.
    static func needsDeliveryRecord(_ action: WebhookAction) -> Bool {
        switch action {
        case .status: true
        case .deliver, .retract, .typing, .ignore: false
        }
    }

    static func isSigned(_ request: Request) -> Bool {
        request.headers[HTTPField.Name(WebhookSignature.signatureHeader)!] != nil
    }

    /// The endpoint whose webhook secret signed the request. An endpoint without a secret takes no webhooks on
    /// these routes at all (anyone could post unsigned ones); older Chatwoot uses the secret-path route instead.
    func authenticate(_ request: Request, bytes: Data, candidates: [(Endpoint, ChatwootSettings)], accountID: Int?) throws -> (Endpoint, ChatwootSettings) {
        let matching = candidates.filter { accountID == nil || $0.1.accountID == accountID }
        let signature = request.headers[HTTPField.Name(WebhookSignature.signatureHeader)!]
        let timestamp = request.headers[HTTPField.Name(WebhookSignature.timestampHeader)!]
        var verdicts: [WebhookSignature.Verdict] = []
        for candidate in matching {
            guard let secret = candidate.1.webhookSecret else { continue }
            let verdict = WebhookSignature(secret: secret.value).verify(signature: signature, timestamp: timestamp, body: bytes, now: now())
            if verdict == .valid { return candidate }
            verdicts.append(verdict)
        }
        logger.warning("refused a Chatwoot webhook", metadata: ["why": "\(verdicts.map { "\($0)" }.joined(separator: ","))"])
        let reason: String =
            switch verdicts.first {
            case .missingHeaders?: "the webhook is not signed"
            case .stale?: "the webhook's timestamp is too old or in the future"
            case .malformed?: "the signature headers are malformed"
            case nil where !matching.isEmpty: "no webhook secret is configured for this endpoint; set webhookSecret, or use webhookPathSecret with older Chatwoot"
            default: matching.isEmpty ? "no endpoint is set up for this Chatwoot account" : "the signature does not match"
            }
        throw APIError(.unauthorized, "invalid_signature", reason)
    }

    /// Applies the action to its session.
    func apply(_ action: WebhookAction, endpoint: Endpoint, settings: ChatwootSettings) async throws -> Response {
        switch action {
        case .ignore(let reason):
            return accepted("ignored: \(reason)")
        case .deliver(let message):
            let sessionID = try await session(for: message.conversation, endpoint: endpoint, settings: settings)
            let content = MessageContent(text: message.text, attachments: message.attachments)
            let stored = try await conversations.agentMessage(
                content, agentName: settings.showAgentNames ? message.agentName : nil, externalID: "chatwoot:\(message.chatwootMessageID)", order: Int64(message.chatwootMessageID),
                sessionID: sessionID)
            return accepted(stored == nil ? "already delivered" : "delivered")
        case .retract(let messageID, let conversation):
            let sessionID = try await session(for: conversation, endpoint: endpoint, settings: settings)
            try await conversations.retract(externalID: "chatwoot:\(messageID)", sessionID: sessionID)
            return accepted("retracted")
        case .status(let conversation, let status, let updatedAt):
            // conversation_created arrives for conversations Baton is still linking; only known ones matter.
            guard let sessionID = try await knownSession(for: conversation, endpoint: endpoint, settings: settings) else {
                return accepted("ignored: not a Baton conversation")
            }
            let providerStatus = ProviderStatus(rawValue: status.rawValue) ?? .open
            try await conversations.handover(
                .providerStatus(providerStatus, conversationID: conversation.conversationID, updatedAt: updatedAt), sessionID: sessionID, endpoint: endpoint)
            return accepted("status \(status.rawValue)")
        case .typing(let conversation, let on, _):
            guard let sessionID = try await knownSession(for: conversation, endpoint: endpoint, settings: settings) else {
                return accepted("ignored: not a Baton conversation")
            }
            await conversations.typing(on, sessionID: sessionID)
            return accepted("typing")
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
        let store = conversations.store
        let key = ChatwootHandoverProvider.conversationKey(accountID: settings.accountID, conversationID: conversation.conversationID)
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
        case .retract(_, let conversation), .status(let conversation, _, _), .typing(let conversation, _, _): conversation.accountID
        case .ignore: nil
        }
    }

    func accepted(_ outcome: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: JSONValue.object(["result": .string(outcome)]).jsonText)))
    }
}
