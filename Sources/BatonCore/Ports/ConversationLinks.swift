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
    private struct Table {
        var sessions: [String: SessionID] = [:]
        /// The keys linked to each session, so forgetting a session (a store does on every look-up that finds it
        /// gone, which random webchat tokens make common) reads its own keys, not the whole table.
        var keys: [SessionID: Set<String>] = [:]
    }

    private let table = Mutex(Table())

    public init() {}

    /// The session `conversationKey` of `endpointID` was linked to, when known here.
    public func session(endpointID: String, conversationKey: String) -> SessionID? {
        let key = Self.key(endpointID, conversationKey)
        return table.withLock { $0.sessions[key] }
    }

    /// Keeps a link the store just wrote or read.
    public func remember(_ sessionID: SessionID, endpointID: String, conversationKey: String) {
        let key = Self.key(endpointID, conversationKey)
        table.withLock { table in
            if table.sessions.count >= Self.capacity, table.sessions[key] == nil {
                table.sessions.removeAll(keepingCapacity: true)
                table.keys.removeAll(keepingCapacity: true)
            }
            if let previous = table.sessions.updateValue(sessionID, forKey: key), previous != sessionID { table.keys[previous]?.remove(key) }
            table.keys[sessionID, default: []].insert(key)
        }
    }

    /// Forgets the links of deleted sessions: those this process deleted, and those a look-up found gone (another
    /// process deleted them, which is not heard of otherwise).
    public func forget(_ ids: some Sequence<SessionID>) {
        table.withLock { table in
            for id in ids {
                guard let keys = table.keys.removeValue(forKey: id) else { continue }
                for key in keys where table.sessions[key] == id { table.sessions[key] = nil }
            }
        }
    }

    private static func key(_ endpointID: String, _ conversationKey: String) -> String { endpointID + "\n" + conversationKey }
}
