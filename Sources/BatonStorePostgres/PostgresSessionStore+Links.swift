public import BatonCore
import PostgresNIO

extension PostgresSessionStore {
    public func link(endpointID: String, conversationKey: String, to sessionID: SessionID) async throws {
        try await executeRepeatable(
            """
            INSERT INTO handover_links (endpoint_id, conversation_key, session_id) VALUES (\(endpointID), \(conversationKey), \(sessionID.rawValue))
            ON CONFLICT (endpoint_id, conversation_key) DO UPDATE SET session_id = excluded.session_id
            """)
        links.remember(sessionID, endpointID: endpointID, conversationKey: conversationKey)
    }

    /// Asks the database only for a conversation not known here: a link never changes (see `ConversationLinks`), so
    /// one another instance made is as good read once as every time.
    public func sessionID(endpointID: String, conversationKey: String) async throws -> SessionID? {
        if let known = links.session(endpointID: endpointID, conversationKey: conversationKey) { return known }
        let found = try await read("SELECT session_id FROM handover_links WHERE endpoint_id = \(endpointID) AND conversation_key = \(conversationKey)")
            .first.map { SessionID(rawValue: try $0["session_id"].decode(String.self)) }
        if let found { links.remember(found, endpointID: endpointID, conversationKey: conversationKey) }
        return found
    }

    public func setting(_ key: String) async throws -> String? {
        try await read("SELECT value FROM settings WHERE key = \(key)").first.map { try $0["value"].decode(String.self) }
    }

    public func setSetting(_ key: String, to value: String?) async throws {
        if let value {
            try await executeRepeatable(
                "INSERT INTO settings (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        } else {
            try await executeRepeatable("DELETE FROM settings WHERE key = \(key)")
        }
    }

    /// One transaction holds a transaction-scoped advisory lock for `key` while it looks and makes: every Baton on
    /// the database waits for it, and the lock goes with the transaction, however it ends (a process killed
    /// meanwhile included: PostgreSQL rolls its transaction back when the connection drops).
    public func setting(_ key: String, replacing stale: String?, orMake make: @Sendable () async throws -> String) async throws -> String {
        try await transaction { connection in
            // Two 32-bit keys: a space apart from the migrations' 64-bit key, then the setting's name.
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.settingLockSpace), hashtext(\(key)))", logger: self.logger)
            let current = try await self.rows("SELECT value FROM settings WHERE key = \(key)", on: connection).first.map { try $0["value"].decode(String.self) }
            if let current, current != stale { return current }
            let value = try await make()
            try await connection.query(
                "INSERT INTO settings (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value", logger: self.logger)
            return value
        }
    }

    /// The first key of the settings' advisory locks ("bats" in ASCII).
    static let settingLockSpace: Int32 = 0x6261_7473
}
