public import BatonCore
import PostgresNIO

extension PostgresSessionStore {
    public func link(endpointID: String, conversationKey: String, to sessionID: SessionID) async throws {
        try await client.query(
            """
            INSERT INTO handover_links (endpoint_id, conversation_key, session_id) VALUES (\(endpointID), \(conversationKey), \(sessionID.rawValue))
            ON CONFLICT (endpoint_id, conversation_key) DO UPDATE SET session_id = excluded.session_id
            """, logger: logger)
    }

    public func sessionID(endpointID: String, conversationKey: String) async throws -> SessionID? {
        try await rows("SELECT session_id FROM handover_links WHERE endpoint_id = \(endpointID) AND conversation_key = \(conversationKey)")
            .first.map { SessionID(rawValue: try $0["session_id"].decode(String.self)) }
    }

    public func setting(_ key: String) async throws -> String? {
        try await rows("SELECT value FROM settings WHERE key = \(key)").first.map { try $0["value"].decode(String.self) }
    }

    public func setSetting(_ key: String, to value: String?) async throws {
        if let value {
            try await client.query(
                "INSERT INTO settings (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value", logger: logger)
        } else {
            try await client.query("DELETE FROM settings WHERE key = \(key)", logger: logger)
        }
    }
}
