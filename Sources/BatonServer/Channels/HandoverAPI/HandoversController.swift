import BatonConfig
import BatonCore
import Foundation
import Hummingbird
import NIOFoundationCompat

/// The handovers API (docs/handovers-api.md, docs/openapi.yaml): for bots outside Baton that own their
/// conversations and need only the handover. An outside bot opens a handover for its user with the transcript so
/// far, posts the user's and its own later turns (the user's files, and that the user types or saw the replies),
/// reads (or long-polls) the agent's replies, and closes it; what becomes of the handover is also posted to the
/// endpoint's callback URL (`HandoverCallbacks`). Every call needs the endpoint's REST API key, checked before the
/// body is read.
struct HandoversController {
    let endpoints: EndpointRegistry
    let conversations: Conversations
    let store: any SessionStore
    let pages: MessagePages
    let reconciler: Reconciler
    let presence: UserPresenceRoutes
    let files: UserFiles
    let erasure: SessionErasure
    /// The longest text of one message (`limits.maxMessageLength`).
    let maxTextLength: Int
    let now: @Sendable () -> Date

    static let maxTranscript = 200
    /// Chatwoot's conversation priorities.
    static let priorities: Set = ["low", "medium", "high", "urgent"]

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("api/v1/endpoints/{urlToken}/handovers", use: open)
        router.get("api/v1/endpoints/{urlToken}/handovers/{sessionId}", use: show)
        router.post("api/v1/endpoints/{urlToken}/handovers/{sessionId}/messages", use: post)
        router.get("api/v1/endpoints/{urlToken}/handovers/{sessionId}/messages", use: messages)
        router.post("api/v1/endpoints/{urlToken}/handovers/{sessionId}/close", use: close)
        router.post("api/v1/endpoints/{urlToken}/handovers/{sessionId}/typing") { request, context in
            let (endpoint, session) = try await authorizedSession(request, context)
            return try await presence.typing(request, context: context, session: session, endpoint: endpoint)
        }
        router.post("api/v1/endpoints/{urlToken}/handovers/{sessionId}/seen") { request, context in
            let (endpoint, session) = try await authorizedSession(request, context)
            return try await presence.seen(request, context: context, session: session, endpoint: endpoint)
        }
        router.post("api/v1/endpoints/{urlToken}/handovers/{sessionId}/files") { request, context in
            let (endpoint, session) = try await authorizedSession(request, context)
            return try await files.receive(request, session: session, endpoint: endpoint)
        }
        // The bot's user asked to be forgotten: everything Baton keeps of them goes, once no handover runs.
        router.delete("api/v1/endpoints/{urlToken}/handovers/{sessionId}") { request, context in
            try await erasure.respond(erasing: try await authorizedSession(request, context).1.id, by: "outside bot")
        }
    }

    // MARK: Bodies

    struct OpenRequest: Decodable {
        var userId: String
        var inboxId: Int
        var transcript: [TranscriptItem]?
        /// Merged into the user's profile (`name` and `email` name the Chatwoot contact).
        var profile: [String: JSONValue]?
        /// A private note for the agents (the bot's summary, why it hands over).
        var note: String?
        var routing: Routing?
    }

    struct TranscriptItem: Decodable {
        /// The bot's own id for the message: an item given again (in a later handover's transcript) is stored once.
        var id: String?
        var sender: String
        var text: String
        var createdAt: String?
    }

    struct Routing: Decodable {
        var team: Int?
        var assignee: Int?
        var priority: String?
        var labels: [String]?
        var attributes: [String: JSONValue]?
    }

    struct PostTurn: Decodable {
        var sender: String
        var text: String
        var clientMessageId: String?
        var createdAt: String?
    }

    struct TurnAnswer: Encodable {
        var sessionId: SessionID
        var duplicate: Bool
        var message: MessagePayload?
        var lastId: Int64
        var handover: HandoverPayload?
    }

    // MARK: Routes

    func open(_ request: Request, context: AppRequestContext) async throws -> Response {
        let endpoint = try authorizedEndpoint(request, context)
        let body = try await request.decodeJSON(OpenRequest.self, context: context, what: "what this call takes")
        guard ClientIdentifier.isValid(body.userId, maxLength: ClientIdentifier.maxUserIDLength) else {
            throw APIError(.badRequest, "invalid_user_id", "'userId' must have 1 to 200 characters and no control characters")
        }
        guard body.inboxId > 0 else { throw APIError(.badRequest, "invalid_inbox_id", "'inboxId' is a Chatwoot inbox id (a whole number above 0)") }
        let items = body.transcript ?? []
        guard items.count <= Self.maxTranscript else {
            throw APIError(.badRequest, "transcript_too_long", "the transcript has at most \(Self.maxTranscript) messages; send the newest")
        }
        let transcript = try items.enumerated().map { index, item in try draft(item, at: index) }
        if let note = body.note, note.count > 10_000 { throw APIError(.badRequest, "note_too_long", "'note' has at most 10000 characters") }
        var handover = HandoverRequest(nodeID: "", provider: endpoint.configuration.handover?.providerName ?? "chatwoot", inbox: .number(Double(body.inboxId)), acceptedMessage: nil)
        handover.note = body.note.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        if let priority = body.routing?.priority, !Self.priorities.contains(priority) {
            throw APIError(.badRequest, "invalid_routing", "'routing.priority' is low, medium, high or urgent, found '\(priority.prefix(20))'")
        }
        if let routing = body.routing {
            handover.routing = HandoverRouting(
                team: routing.team.map { .number(Double($0)) }, assignee: routing.assignee.map { .number(Double($0)) },
                priority: routing.priority.map(JSONValue.string), labels: routing.labels ?? [], attributes: routing.attributes ?? [:])
        }
        let session: Session
        let opened: Bool
        do {
            (session, opened) = try await conversations.openHandover(handover, transcript: transcript, profile: body.profile ?? [:], userID: body.userId, endpoint: endpoint)
        } catch OutsideBotError.userOnAnotherChannel(let channel) {
            throw APIError(.conflict, "user_on_another_channel", "user '\(body.userId.prefix(60))' talks through the \(channel.rawValue) channel, not an outside bot")
        } catch SessionStoreError.duplicateClientMessage {
            throw APIError(.conflict, "concurrent_request", "another request for this user stored the same transcript just now; try again")
        }
        // 201 for a new handover; 200 when one was opening or running already (nothing was changed).
        return try Response.json(HandoverResource(session), status: opened ? .created : .ok)
    }

    func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, session) = try await authorizedSession(request, context)
        if session.state.handover?.phase == .active { reconciler.reconcileLater(session.id) }
        return try Response.json(HandoverResource(session))
    }

    /// A later turn: the user's (passed to the agent while one has the user) or the bot's own.
    func post(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (endpoint, session) = try await authorizedSession(request, context)
        let body = try await request.decodeJSON(PostTurn.self, context: context, what: "what this call takes")
        let text = body.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw APIError(.badRequest, "text_required", "'text' must be a non-empty string") }
        if let clientID = body.clientMessageId, !ClientIdentifier.isValid(clientID, maxLength: ClientIdentifier.maxMessageIDLength) {
            throw APIError(.badRequest, "invalid_client_message_id", "'clientMessageId' must have 1 to 128 characters and no control characters")
        }
        let turn: Turn
        switch body.sender {
        case "user":
            turn = try await conversations.receive(UserInput(text: text), clientMessageID: body.clientMessageId, in: session.id, endpoint: endpoint)
        case "bot":
            let createdAt = try body.createdAt.map { try Self.date($0, name: "createdAt") }
            turn = try await conversations.outsideBotSaid(
                MessageContent(text: text), at: createdAt, clientMessageID: body.clientMessageId, sessionID: session.id, endpoint: endpoint)
        default:
            throw APIError(.badRequest, "invalid_sender", "'sender' is 'user' or 'bot', found '\(body.sender.prefix(20))'")
        }
        if session.state.handover?.phase == .active { reconciler.reconcileLater(session.id) }
        let now = try await conversations.current(session.id)
        let stored = turn.duplicate ? turn.userMessage : turn.messages.first
        return try Response.json(
            TurnAnswer(
                sessionId: session.id, duplicate: turn.duplicate, message: stored.map(MessagePayload.init), lastId: now.lastMessageID,
                handover: now.state.handover.map { HandoverPayload(HandoverNotification.Snapshot($0)) }))
    }

    func messages(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, session) = try await authorizedSession(request, context)
        return try Response.json(try await pages.page(of: session, request))
    }

    /// Ends the handover that is opening or running (the desk's conversation is resolved); the session stays, for
    /// a later handover. Closing when none runs changes nothing.
    func close(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (endpoint, session) = try await authorizedSession(request, context)
        return try Response.json(HandoverResource(try await conversations.closeHandover(sessionID: session.id, endpoint: endpoint)))
    }

    // MARK: Checks

    /// The endpoint, once the caller proved it holds the endpoint's API key: nothing else is read before.
    func authorizedEndpoint(_ request: Request, _ context: AppRequestContext) throws -> Endpoint {
        let token = try context.parameters.require("urlToken")
        guard let endpoint = endpoints.endpoint(urlToken: token), endpoint.configuration.rest.enabled else {
            throw APIError(.notFound, "endpoint_not_found", "no REST endpoint '\(token.prefix(60))'")
        }
        guard let key = endpoint.configuration.rest.apiKey else {
            throw APIError(.forbidden, "handovers_not_enabled", "this endpoint has no REST apiKey, so its handovers API is off")
        }
        guard request.presents(key) else {
            throw APIError(.unauthorized, "unauthorized", "the handovers API needs 'Authorization: Bearer <apiKey>'")
        }
        return endpoint
    }

    /// The outside bot's session the path names.
    func authorizedSession(_ request: Request, _ context: AppRequestContext) async throws -> (Endpoint, Session) {
        let endpoint = try authorizedEndpoint(request, context)
        let token = try context.parameters.require("sessionId")
        guard let session = try await store.session(token, of: endpoint), session.channel == .api else {
            throw APIError(.notFound, "session_not_found", "no outside bot's session '\(token.prefix(40))' on this endpoint")
        }
        return (endpoint, session)
    }

    /// A transcript item as a message to store, with the time the bot gives it.
    func draft(_ item: TranscriptItem, at index: Int) throws -> MessageDraft {
        let sender: Sender
        switch item.sender {
        case "user": sender = .user
        case "bot": sender = .bot
        default: throw APIError(.badRequest, "invalid_sender", "transcript[\(index)].sender is 'user' or 'bot', found '\(item.sender.prefix(20))'")
        }
        let text = item.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw APIError(.badRequest, "text_required", "transcript[\(index)].text must be a non-empty string") }
        guard text.count <= maxTextLength else { throw APIError(.contentTooLarge, "text_too_long", "transcript[\(index)].text has more than \(maxTextLength) characters") }
        if let id = item.id, !ClientIdentifier.isValid(id, maxLength: ClientIdentifier.maxMessageIDLength) {
            throw APIError(.badRequest, "invalid_client_message_id", "transcript[\(index)].id must have 1 to 128 characters and no control characters")
        }
        let createdAt = try item.createdAt.map { try Self.date($0, name: "transcript[\(index)].createdAt") } ?? now()
        return MessageDraft(sender: sender, content: MessageContent(text: text), createdAt: createdAt, clientMessageID: item.id)
    }

    /// An RFC 3339 time (`RFC3339`).
    static func date(_ text: String, name: String) throws -> Date {
        guard let date = RFC3339.date(text) else {
            throw APIError(.badRequest, "invalid_time", "'\(name)' is an RFC 3339 time such as 2026-12-03T09:30:00Z, found '\(text.prefix(40))'")
        }
        return date
    }
}
