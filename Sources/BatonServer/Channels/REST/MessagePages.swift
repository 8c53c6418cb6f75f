import BatonCore
import Hummingbird
import ServiceLifecycle

/// A page of a session's messages after an id, waiting for the first one when asked (a long poll): how REST
/// clients and outside bots (the handovers API) read what arrived later, such as an agent's replies.
struct MessagePages: Sendable {
    let store: any SessionStore
    let hub: ConversationHub
    /// A reader has no socket whose reconnect would make up for lost webhooks: its reads do.
    let reconciler: Reconciler

    static let maxPageSize = 500
    /// The longest `wait` a client may ask for: below common proxy timeouts (60 s).
    static let maxWaitSeconds: Int64 = 50

    struct Page: Encodable {
        var sessionId: SessionID
        var messages: [MessagePayload]
        /// Every message up to `after` that was taken back: a client has them already, and a message's retraction
        /// (or its move further down) leaves nothing after `after` to tell of it.
        var retractions: [Retraction]
        var lastId: Int64
        /// Where the session's latest handover stands, as the webchat's `handover` frame says it (the REST channel's
        /// pages; the handovers API has its own `GET …/handovers/{id}`).
        var handover: JSONValue?
    }

    /// A message taken back: deleted by its author, or (with `movedTo`) stored again as that id.
    struct Retraction: Encodable {
        var id: Int64
        var movedTo: Int64?
    }

    /// The page `request`'s `after`, `limit` and `wait` ask for; with `handover`, where the handover stands too.
    func page(of session: Session, _ request: Request, handover: Bool = false) async throws -> Page {
        if session.state.handover?.phase == .active { reconciler.reconcileLater(session.id) }
        let query = request.uri.queryParameters
        let after = try Self.integer(query["after"], name: "after", default: 0, range: 0...Int64.max)
        let limit = try Self.integer(query["limit"], name: "limit", default: 100, range: 1...Int64(Self.maxPageSize))
        let wait = try Self.integer(query["wait"], name: "wait", default: 0, range: 0...Self.maxWaitSeconds)
        var latest = session
        if wait > 0, session.lastMessageID <= after {
            // Long poll: answer as soon as a message after `after` is stored (or one up to it taken back), or the
            // session is deleted, or empty after `wait` seconds. A stopping server answers at once (with what there
            // is) rather than holding its shutdown for the wait.
            await cancelWhenGracefulShutdown {
                await hub.waitForChange(in: session.id, after: after, upTo: .seconds(wait)) {
                    guard let current = try? await store.session(id: session.id) else { return true }
                    return current.lastMessageID > after
                }
            }
            // Only a wait makes the session read above stale; the session may have been deleted meanwhile.
            guard let read = try await store.session(id: session.id) else { throw SessionStoreError.sessionNotFound(session.id) }
            latest = read
        }
        let page = try await store.messages(sessionID: session.id, after: after, limit: Int(limit))
        // Read after the page: a reply moved in between then has its original taken back here and its copy in the
        // next page, never both shown.
        let retractions = try await store.retractedMessages(sessionID: session.id, through: after, pageSize: Self.maxPageSize)
            .map { Retraction(id: $0.id, movedTo: $0.movedTo) }
        // Messages stored between the session read and the page read are in the page: the newest id is theirs.
        return Page(
            sessionId: session.id, messages: page.map(MessagePayload.init), retractions: retractions, lastId: max(latest.lastMessageID, page.last?.id ?? 0),
            handover: handover ? HandoverPhase(latest.state.handover, asOf: latest.lastMessageID).standingJSON : nil)
    }


    static func integer(_ text: Substring?, name: String, default value: Int64, range: ClosedRange<Int64>) throws -> Int64 {
        guard let text else { return value }
        guard let number = Int64(text), range.contains(number) else {
            throw APIError(.badRequest, "invalid_\(name)", "'\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
