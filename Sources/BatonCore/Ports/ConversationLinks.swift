import Synchronization

/// The sessions of provider conversations a store has looked up or linked, kept in memory: every webhook looks
/// its conversation's session up, and a store answers from here instead of asking its database again.
///
/// Exact without being told of other processes' writes, because a link never changes: a conversation is linked
/// to the session its contact's `source_id` names (a handover's) or the one its own id names (the agent-bot
/// channel's), so a second `link` of a key, from any instance, names the same session; only deleting the session
/// ends a link (see `forget`). Only links found are kept; a key not linked yet is asked again next time. Bounded:
/// past `capacity` keys it starts over.
public final class ConversationLinks: Sendable {
    /// As many as the sessions whose states a store keeps decoded: the conversations that are busy now.
    public static let capacity = 4_096
    private let sessions = Mutex<[String: SessionID]>([:])

    public init() {}

    /// The session `conversationKey` of `endpointID` was linked to, when known here.
    public func session(endpointID: String, conversationKey: String) -> SessionID? {
        let key = Self.key(endpointID, conversationKey)
        return sessions.withLock { $0[key] }
    }

    /// Keeps a link the store just wrote or read.
    public func remember(_ sessionID: SessionID, endpointID: String, conversationKey: String) {
        let key = Self.key(endpointID, conversationKey)
        sessions.withLock { sessions in
            if sessions.count >= Self.capacity, sessions[key] == nil { sessions.removeAll(keepingCapacity: true) }
            sessions[key] = sessionID
        }
    }

    /// Forgets the links of sessions this process deleted. Another process that deleted them is not heard of: a
    /// link kept here then names a session that is gone, which its caller finds as soon as it reads or writes it.
    public func forget(_ ids: Set<SessionID>) {
        sessions.withLock { sessions in sessions = sessions.filter { !ids.contains($0.value) } }
    }

    private static func key(_ endpointID: String, _ conversationKey: String) -> String { endpointID + "\n" + conversationKey }
}
