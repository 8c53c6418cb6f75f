import BatonCore
import Foundation
import GRDB
import Testing

@testable import BatonStoreSQLite

/// A database written by an earlier Baton keeps working after the migrations that follow: checked on the data each
/// one reshapes, written as that earlier schema had it.
@Suite("SQLite migrations")
struct SQLiteMigrationTests {
    @Sendable static func reply(_ order: Int64) -> MessageDraft {
        MessageDraft(sender: .agent, content: MessageContent(text: "m\(order)"), createdAt: epoch, externalID: "m\(order)", externalOrder: order)
    }

    /// A session as every schema before v10 stores it.
    static func insertSession(_ id: SessionID, state: ConversationState, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO sessions (id, endpoint_id, user_id, channel, state, last_message_id, created_at, updated_at)
                VALUES (?, 'e1', ?, 'webchat', ?, 0, 0, 0)
                """, arguments: [id.rawValue, id.rawValue, state.storageText])
    }

    /// v10 moves the handover's phase out of the state's JSON, keeps the highest provider order on the session and
    /// orders the external ids' index by the id: a handover active before the upgrade is still found, a late reply
    /// still moves the replies after it, and a repeated one is still refused.
    @Test func v10KeepsActiveHandoversAndTheProvidersOrder() async throws {
        let path = temporarySQLitePath("migration")
        let store = try SQLiteSessionStore(path: path)
        try SQLiteSessionStore.migrator.migrate(store.writer, upTo: "v9: shared start-up reconciliation")
        var handingOver = ConversationState()
        handingOver.handover = HandoverState(phase: .active, nodeID: "h", number: 1, conversationID: 7, syncedThrough: 0)
        let activeState = handingOver
        let active = SessionID(rawValue: "active"), idle = SessionID(rawValue: "idle")
        try await store.writer.write { db in
            for (id, state) in [(active, activeState), (idle, ConversationState())] { try Self.insertSession(id, state: state, db) }
            for (id, order) in [(1, 10), (2, 30), (3, 40)] {
                try db.execute(
                    sql: """
                        INSERT INTO messages (session_id, id, sender, content, created_at, external_id, external_order)
                        VALUES ('active', ?, 'agent', ?, 0, ?, ?)
                        """, arguments: [id, MessageContent(text: "m\(order)").storageText, "m\(order)", order])
            }
            try db.execute(sql: "UPDATE sessions SET last_message_id = 3 WHERE id = 'active'")
        }

        try await store.migrate()

        #expect(try await store.sessionsWithActiveHandover() == [active])
        let (_, late) = try await store.update(sessionID: active, now: epoch) { $0.append(Self.reply(20)) }
        #expect(late.map(\.content.text) == ["m20", "m30", "m40"], "the replies stored before the upgrade moved behind the late one")
        let (_, inOrder) = try await store.update(sessionID: active, now: epoch) { $0.append(Self.reply(50)) }
        #expect(inOrder.map(\.content.text) == ["m50"])
        let live = try await store.messages(sessionID: active, after: 0, limit: 20).filter { !$0.retracted }.map(\.content.text)
        #expect(live == ["m10", "m20", "m30", "m40", "m50"])
        await #expect(throws: SessionStoreError.duplicateExternalMessage(active, "m30"), "the external ids' index, rebuilt, still refuses") {
            _ = try await store.update(sessionID: active, now: epoch) { $0.append(Self.reply(30)) }
        }
        _ = try await store.update(sessionID: active, now: epoch) { $0.state.handover = nil }
        #expect(try await store.sessionsWithActiveHandover().isEmpty, "the phase follows the state")
    }
}
