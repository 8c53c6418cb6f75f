import BatonCore
import Hummingbird
import Logging

/// Erases a session whole (`SessionStore.deleteSession`), and answers as every route that offers it does: 204, 409
/// `handover_in_progress` while its handover is opening or active, 404 `session_not_found`. The operators' admin API,
/// the REST channel (the session id is the credential), the handovers API (the API key) and the webchat's "Delete
/// conversation" (the socket's session) share it; each erasure is counted and logged with who asked.
struct SessionErasure: Sendable {
    let store: any SessionStore
    /// Told of each erasure, so the pages open on the session (here or on another instance) start over at once.
    let hub: ConversationHub
    let metrics: BatonMetrics
    let logger: Logger

    /// - Parameter by: who asked, for the log: `operator`, `rest client`, `outside bot`, `webchat user`.
    func erase(_ id: SessionID, by who: String) async throws -> SessionDeletion {
        let deletion = try await store.deleteSession(id: id)
        if deletion == .deleted {
            hub.publish(.deleted, to: id)
            metrics.sessionsDeleted(1, reason: "erasure")
            logger.info("session erased", metadata: ["session": "\(id)", "by": "\(who)"])
        }
        return deletion
    }

    /// ``erase(_:by:)`` answered as an HTTP route answers it.
    func respond(erasing id: SessionID, by who: String) async throws -> Response {
        switch try await erase(id, by: who) {
        case .deleted:
            return Response(status: .noContent)
        case .notFound:
            throw APIError(.notFound, "session_not_found", "no session has this id")
        case .handoverInProgress:
            throw APIError(.conflict, "handover_in_progress", "the session's handover is opening or active; it must end first (an agent resolves it, or the user cancels)")
        }
    }
}
