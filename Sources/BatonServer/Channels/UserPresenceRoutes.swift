import BatonCore
import Hummingbird

/// What a REST client or an outside bot says of its user, as the webchat says it in its `typing` and `seen` frames:
/// `POST …/typing` with `{"on": true}` and `POST …/seen` with `{"id": 17}` (the newest message the user saw). Both go
/// to the desk as the webchat's do (``UserPresenceRelay``: only changes, typing at most every few seconds, a message
/// seen only when newer than the last), in the background and only when the endpoint's desk settings ask for it
/// (`forwardUserTyping`, `reportSeenMessages`), so each is answered `204` at once.
struct UserPresenceRoutes: Sendable {
    let presence: UserPresenceRelay

    struct Typing: Decodable {
        var on: Bool
    }

    struct Seen: Decodable {
        var id: Int64
    }

    /// The user started (`on: true`) or stopped typing.
    func typing(_ request: Request, context: AppRequestContext, session: Session, endpoint: Endpoint) async throws -> Response {
        let body = try await request.decodeJSON(Typing.self, context: context, what: #"{"on": true} or {"on": false}"#)
        presence.userTyping(body.on, sessionID: session.id, endpoint: endpoint)
        return Response(status: .noContent)
    }

    /// The user saw the session's messages up to `id`.
    func seen(_ request: Request, context: AppRequestContext, session: Session, endpoint: Endpoint) async throws -> Response {
        let body = try await request.decodeJSON(Seen.self, context: context, what: #"{"id": <the newest message the user saw>}"#)
        // An id the session does not have yet would make the real ones look old until it is reached.
        guard body.id >= 1, body.id <= session.lastMessageID else {
            throw APIError(.badRequest, "unknown_message", "'id' is one of the session's message ids, 1 to \(session.lastMessageID), found \(body.id)")
        }
        presence.userSaw(through: body.id, sessionID: session.id, endpoint: endpoint)
        return Response(status: .noContent)
    }
}
