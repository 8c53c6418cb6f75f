import BatonConfig
import BatonCore
import Foundation
import Hummingbird
import Logging
import NIOFoundationCompat

/// The REST channel (docs/rest-api.md, docs/openapi.yaml): post a user message and get the bot's answer; read
/// a session's messages after an id to receive what arrives later (agent replies); send the agent a file; say that
/// the user types or saw the messages.
struct RESTController {
    let endpoints: EndpointRegistry
    let conversations: Conversations
    let store: any SessionStore
    let pages: MessagePages
    /// A REST client has no socket whose reconnect would make up for lost webhooks: its reads and posts do.
    let reconciler: Reconciler
    let presence: UserPresenceRoutes
    let files: UserFiles
    let erasure: SessionErasure
    /// Counts the conversations a client starts without the API key (`limits.newConversationsPerMinute`).
    let newConversations: NewConversationLimit

    struct PostMessage: Decodable {
        var sessionId: String?
        var userId: String?
        var text: String?
        var payload: String?
        var data: JSONValue?
        var clientMessageId: String?
    }

    struct TurnResponse: Encodable {
        var sessionId: SessionID
        var userId: String
        var duplicate: Bool
        var messages: [MessagePayload]
        var lastId: Int64
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("api/v1/endpoints/{urlToken}/messages", use: postMessage)
        router.get("api/v1/endpoints/{urlToken}/sessions/{sessionId}/messages", use: messages)
        router.post("api/v1/endpoints/{urlToken}/sessions/{sessionId}/survey", use: answerSurvey)
        router.post("api/v1/endpoints/{urlToken}/sessions/{sessionId}/typing") { request, context in
            let (endpoint, session) = try await session(context)
            return try await presence.typing(request, context: context, session: session, endpoint: endpoint)
        }
        router.post("api/v1/endpoints/{urlToken}/sessions/{sessionId}/seen") { request, context in
            let (endpoint, session) = try await session(context)
            return try await presence.seen(request, context: context, session: session, endpoint: endpoint)
        }
        router.post("api/v1/endpoints/{urlToken}/sessions/{sessionId}/files") { request, context in
            let (endpoint, session) = try await session(context)
            return try await files.receive(request, session: session, endpoint: endpoint)
        }
        // The user asks their app to forget the conversation: the session id is the credential, as for reading it.
        router.delete("api/v1/endpoints/{urlToken}/sessions/{sessionId}") { _, context in
            try await erasure.respond(erasing: try await session(context).1.id, by: "rest client")
        }
    }

    struct SurveyAnswerBody: Decodable {
        var messageId: Int64
        var rating: Int
        var feedback: String?
        var clientMessageId: String?
    }

    /// The user's answer to a satisfaction survey message (one whose `data.survey` is set).
    func answerSurvey(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, session) = try await session(context)
        let body = try await request.decodeJSON(SurveyAnswerBody.self, context: context, what: "a survey answer")
        if let clientID = body.clientMessageId, !ClientIdentifier.isValid(clientID, maxLength: ClientIdentifier.maxMessageIDLength) {
            throw APIError(.badRequest, "invalid_client_message_id", "'clientMessageId' must have 1 to 128 characters and no control characters")
        }
        let turn: Turn
        do {
            turn = try await conversations.answerSurvey(
                body.messageId, rating: body.rating, feedback: body.feedback, clientMessageID: body.clientMessageId, sessionID: session.id)
        } catch let error as SurveyError {
            throw APIError(error == .notASurvey ? .notFound : .badRequest, error.code, error.description)
        }
        let messages = [turn.userMessage].compactMap { $0 }
        return try Response.json(
            TurnResponse(
                sessionId: session.id, userId: session.userID, duplicate: turn.duplicate, messages: messages.map(MessagePayload.init),
                lastId: max(turn.session.lastMessageID, messages.last?.id ?? 0)))
    }

    func postMessage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let endpoint = try endpoint(context)
        let body = try await request.decodeJSON(PostMessage.self, context: context, what: "a valid message")
        guard let text = body.text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty || body.payload != nil else {
            throw APIError(.badRequest, "text_required", "'text' must be a non-empty string")
        }
        if let clientID = body.clientMessageId, !ClientIdentifier.isValid(clientID, maxLength: ClientIdentifier.maxMessageIDLength) {
            throw APIError(.badRequest, "invalid_client_message_id", "'clientMessageId' must have 1 to 128 characters and no control characters")
        }
        var (sessionID, opening) = try await resolveSession(body, request: request, context: context, endpoint: endpoint)
        let input = UserInput(text: text, payload: body.payload, data: body.data ?? .null)
        let turn: Turn
        do {
            turn = try await conversations.receive(input, clientMessageID: body.clientMessageId, in: sessionID, endpoint: endpoint)
        } catch SessionStoreError.sessionNotFound where body.sessionId == nil {
            // The user's session was deleted between its look-up and the write (the retention's sweep, an erasure).
            // The caller named the user, not the session: the message goes to the new session a second look-up opens.
            (sessionID, opening) = try await resolveSession(body, request: request, context: context, endpoint: endpoint)
            turn = try await conversations.receive(input, clientMessageID: body.clientMessageId, in: sessionID, endpoint: endpoint)
        }
        if turn.session.state.handover?.phase == .active { reconciler.reconcileLater(sessionID) }
        // A new session's greeting comes first: the caller has never seen it.
        let messages = opening + (turn.duplicate ? [turn.userMessage].compactMap { $0 } : turn.messages)
        let lastID = try await store.session(id: sessionID)?.lastMessageID ?? messages.last?.id ?? 0
        return try Response.json(TurnResponse(sessionId: sessionID, userId: turn.session.userID, duplicate: turn.duplicate, messages: messages.map(MessagePayload.init), lastId: lastID))
    }

    /// The session a POST addresses: by its id (a capability), by the caller's user id (needs the API key),
    /// or a new one, which counts as its client's (see `NewConversationLimit`). Returns the messages a new session
    /// opened with.
    func resolveSession(_ body: PostMessage, request: Request, context: AppRequestContext, endpoint: Endpoint) async throws -> (SessionID, opening: [Message]) {
        if let token = body.sessionId {
            // An outside bot's session is reached through the handovers API only.
            guard let session = try await store.session(token, of: endpoint), session.channel != .api else {
                throw APIError(.notFound, "session_not_found", "no session '\(token.prefix(40))' on this endpoint")
            }
            return (session.id, [])
        }
        var userID = "rest-" + SessionID.random().rawValue.dropFirst(2)
        if let given = body.userId {
            try authorize(request, endpoint: endpoint)
            guard ClientIdentifier.isValid(given, maxLength: ClientIdentifier.maxUserIDLength) else {
                throw APIError(.badRequest, "invalid_user_id", "'userId' must have 1 to 200 characters and no control characters")
            }
            userID = given
        } else {
            try await newConversations.admit(newConversations.client(peer: context.channel.remoteAddress, forwardedFor: request.headers[values: .xForwardedFor]))
        }
        do {
            let turn = try await conversations.openSession(endpoint: endpoint, userID: userID, channel: .rest)
            return (turn.session.id, turn.messages)
        } catch OutsideBotError.userOwnedByOutsideBot {
            throw APIError(.conflict, "user_owned_by_outside_bot", "user '\(userID.prefix(60))' is an outside bot's (the handovers API): post through it")
        }
    }

    /// Addressing a user by id is only for the endpoint's own back end, which proves itself with the API key.
    func authorize(_ request: Request, endpoint: Endpoint) throws {
        guard let key = endpoint.configuration.rest.apiKey else {
            throw APIError(.forbidden, "user_id_not_enabled", "this endpoint has no REST apiKey, so sessions can only be addressed by 'sessionId'")
        }
        guard request.presents(key) else {
            throw APIError(.unauthorized, "unauthorized", "addressing a session by 'userId' needs 'Authorization: Bearer <apiKey>'")
        }
    }

    func messages(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, session) = try await session(context)
        return try Response.json(try await pages.page(of: session, request, handover: true))
    }

    /// The session the path names (its id is the credential); an outside bot's is reached through the handovers API only.
    func session(_ context: AppRequestContext) async throws -> (Endpoint, Session) {
        let endpoint = try endpoint(context)
        let token = try context.parameters.require("sessionId")
        guard let session = try await store.session(token, of: endpoint), session.channel != .api else {
            throw APIError(.notFound, "session_not_found", "no such session on this endpoint")
        }
        return (endpoint, session)
    }

    func endpoint(_ context: AppRequestContext) throws -> Endpoint {
        let token = try context.parameters.require("urlToken")
        guard let endpoint = endpoints.endpoint(urlToken: token), endpoint.configuration.rest.enabled else {
            throw APIError(.notFound, "endpoint_not_found", "no REST endpoint '\(token.prefix(60))'")
        }
        return endpoint
    }
}
