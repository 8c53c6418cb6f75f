import BatonCore
import Foundation

/// Everything Baton keeps of one session, for an operator answering a user who asks for their data
/// (`GET /admin/sessions/{id}`): who, on which endpoint and channel, what the flow knows of them (`profile`,
/// `context`), the last handover, and every message as the user's channels show it (files as their links).
struct SessionExport: Encodable, Sendable {
    var sessionId: SessionID
    var endpoint: String
    var userId: String
    var channel: String
    var createdAt: String
    var updatedAt: String
    var profile: JSONValue
    var context: JSONValue
    var handover: HandoverPayload?
    var messages: [MessagePayload]

    /// Messages read per page: a long conversation is read in steps, never as one result.
    static let pageSize = 500

    /// The session `id`, read whole; `nil` when there is none.
    static func read(_ id: SessionID, from store: any SessionStore) async throws -> SessionExport? {
        guard let session = try await store.session(id: id) else { return nil }
        var messages: [Message] = []
        while true {
            let page = try await store.messages(sessionID: id, after: messages.last?.id ?? 0, limit: pageSize)
            messages += page
            if page.count < pageSize { break }
        }
        return SessionExport(
            sessionId: session.id, endpoint: session.endpointID, userId: session.userID, channel: session.channel.rawValue,
            createdAt: MessagePayload.timestamp(session.createdAt), updatedAt: MessagePayload.timestamp(session.updatedAt),
            profile: session.state.profile, context: session.state.context,
            handover: session.state.handover.map { HandoverPayload(HandoverNotification.Snapshot($0)) }, messages: messages.map(MessagePayload.init))
    }
}
