import GRDB

extension SQLiteSessionStore {
    /// The schema's migrations, in order; each runs once per database file.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: sessions and messages") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sessions (
                        id TEXT PRIMARY KEY NOT NULL,
                        endpoint_id TEXT NOT NULL,
                        user_id TEXT NOT NULL,
                        channel TEXT NOT NULL,
                        state TEXT NOT NULL,
                        last_message_id INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        UNIQUE (endpoint_id, user_id)
                    );
                    CREATE TABLE messages (
                        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                        id INTEGER NOT NULL,
                        sender TEXT NOT NULL,
                        content TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        client_message_id TEXT,
                        agent_name TEXT,
                        external_id TEXT,
                        retracted INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (session_id, id)
                    );
                    CREATE UNIQUE INDEX messages_by_client_id ON messages (session_id, client_message_id) WHERE client_message_id IS NOT NULL;
                    CREATE UNIQUE INDEX messages_by_external_id ON messages (session_id, external_id) WHERE external_id IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v2: handover links and settings") { db in
            try db.execute(
                sql: """
                    CREATE TABLE handover_links (
                        endpoint_id TEXT NOT NULL,
                        conversation_key TEXT NOT NULL,
                        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                        PRIMARY KEY (endpoint_id, conversation_key)
                    );
                    CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    """)
        }
        migrator.registerMigration("v3: outbox, webhook deliveries, provider order") { db in
            try db.execute(
                sql: """
                    ALTER TABLE messages ADD COLUMN external_order INTEGER;
                    ALTER TABLE messages ADD COLUMN moved_to INTEGER;
                    ALTER TABLE messages ADD COLUMN moved_from INTEGER;
                    CREATE INDEX messages_by_external_order ON messages (session_id, external_order) WHERE external_order IS NOT NULL;
                    CREATE TABLE outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                        job TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL,
                        next_attempt_at INTEGER NOT NULL,
                        leased_until INTEGER,
                        last_error TEXT,
                        dead_at INTEGER
                    );
                    CREATE INDEX outbox_pending ON outbox (session_id, id) WHERE dead_at IS NULL;
                    CREATE INDEX outbox_dead ON outbox (dead_at) WHERE dead_at IS NOT NULL;
                    CREATE TABLE webhook_deliveries (delivery_id TEXT PRIMARY KEY NOT NULL, received_at INTEGER NOT NULL);
                    CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (received_at);
                    """)
        }
        migrator.registerMigration("v4: uploaded files") { db in
            try db.execute(
                sql: """
                    CREATE TABLE files (
                        id TEXT PRIMARY KEY NOT NULL,
                        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        mime_type TEXT NOT NULL,
                        bytes BLOB NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v5: handover timers") { db in
            try db.execute(
                sql: """
                    ALTER TABLE sessions ADD COLUMN wake_at INTEGER;
                    CREATE INDEX sessions_by_wake_at ON sessions (wake_at) WHERE wake_at IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v6: outbox traces") { db in
            try db.execute(sql: "ALTER TABLE outbox ADD COLUMN trace TEXT")
        }
        migrator.registerMigration("v7: outbox queue heads") { db in
            // `head` marks the one job of each queue (a session's `event` jobs, its other jobs) that may run: the
            // oldest one not dead. Claiming and finding the next due time then read only the heads, through their
            // own index, instead of grouping the whole outbox on every poll (most costly when Chatwoot is down and
            // the outbox grows). The triggers keep `head` true whoever writes: a new job in an empty queue is its
            // head; when a head is done (deleted) or dead-lettered, the next job of its queue becomes the head.
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN head INTEGER NOT NULL DEFAULT 0;
                    UPDATE outbox SET head = 1 WHERE id IN (SELECT MIN(id) FROM outbox WHERE dead_at IS NULL GROUP BY session_id, kind = 'event');
                    CREATE INDEX outbox_heads_due ON outbox (next_attempt_at, id) WHERE head;
                    CREATE INDEX outbox_heads_leased ON outbox (leased_until) WHERE head AND leased_until IS NOT NULL;
                    CREATE TRIGGER outbox_head_on_insert AFTER INSERT ON outbox WHEN NEW.dead_at IS NULL BEGIN
                        UPDATE outbox SET head = 1 WHERE id = NEW.id AND NOT EXISTS (
                            SELECT 1 FROM outbox WHERE session_id = NEW.session_id AND (kind = 'event') = (NEW.kind = 'event')
                            AND dead_at IS NULL AND id <> NEW.id);
                    END;
                    CREATE TRIGGER outbox_next_head_on_delete AFTER DELETE ON outbox WHEN OLD.head BEGIN
                        UPDATE outbox SET head = 1 WHERE id = (
                            SELECT id FROM outbox WHERE session_id = OLD.session_id AND (kind = 'event') = (OLD.kind = 'event')
                            AND dead_at IS NULL ORDER BY id LIMIT 1);
                    END;
                    CREATE TRIGGER outbox_next_head_on_dead AFTER UPDATE OF dead_at ON outbox WHEN OLD.head AND NEW.dead_at IS NOT NULL BEGIN
                        UPDATE outbox SET head = 0 WHERE id = NEW.id;
                        UPDATE outbox SET head = 1 WHERE id = (
                            SELECT id FROM outbox WHERE session_id = OLD.session_id AND (kind = 'event') = (OLD.kind = 'event')
                            AND dead_at IS NULL ORDER BY id LIMIT 1);
                    END;
                    """)
        }
        migrator.registerMigration("v8: message rate buckets") { db in
            // The user's message-rate bucket (`RateBucket`), taken inside the message's own write.
            try db.execute(sql: "ALTER TABLE sessions ADD COLUMN rate_tokens REAL; ALTER TABLE sessions ADD COLUMN rate_at INTEGER")
        }
        migrator.registerMigration("v9: shared start-up reconciliation") { db in
            // When a start-up reconciliation began to read the session's desk (`claimStartupReconciliations`), and
            // the active handovers by id, so that it visits only them.
            try db.execute(
                sql: """
                    ALTER TABLE sessions ADD COLUMN reconciled_at INTEGER;
                    CREATE INDEX sessions_with_active_handover ON sessions (id) WHERE json_extract(state, '$.handover.phase') = 'active';
                    """)
        }
        migrator.registerMigration("v10: handover phase and highest provider order as columns") { db in
            // Both are written with the state by every update. `handover_phase` mirrors the state's handover phase,
            // as PostgreSQL's store keeps it, so the index of active handovers no longer parses the state's JSON
            // (twice, old row and new) on every write. `highest_external_order` is the highest provider order the
            // session has stored: an agent's reply that comes in order, almost every one, then needs no look-up of
            // replies after it, and messages no index by provider order, which cost a page of the log per reply.
            // The external ids' unique index, the same constraint, is ordered by the id first: Chatwoot numbers
            // its messages in one sequence for all conversations, so a new reply's entry goes at the index's end
            // (ids of one length sort as their numbers), where the other replies of its transaction go too,
            // instead of into a page of its own session's.
            try db.execute(
                sql: """
                    ALTER TABLE sessions ADD COLUMN handover_phase TEXT;
                    ALTER TABLE sessions ADD COLUMN highest_external_order INTEGER;
                    UPDATE sessions SET handover_phase = json_extract(state, '$.handover.phase'),
                        highest_external_order = (SELECT MAX(external_order) FROM messages WHERE session_id = sessions.id);
                    DROP INDEX sessions_with_active_handover;
                    CREATE INDEX sessions_with_active_handover ON sessions (id) WHERE handover_phase = 'active';
                    DROP INDEX messages_by_external_order;
                    DROP INDEX messages_by_external_id;
                    CREATE UNIQUE INDEX messages_by_external_id ON messages (external_id, session_id) WHERE external_id IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v11: retracted messages by session") { db in
            // What a reconnecting page is sent besides the messages after its last id (`retractedMessages`): the
            // messages taken back meanwhile may be older. Only retracted rows have an entry, so the messages a
            // conversation stores, hardly any of them ever retracted, cost it nothing.
            try db.execute(sql: "CREATE INDEX messages_retracted ON messages (session_id, id) WHERE retracted = 1")
        }
        migrator.registerMigration("v12: files and links by session") { db in
            // Deleting a session deletes its files and conversation links (`ON DELETE CASCADE`), and the retention
            // sweep deletes a session's old files: without these, each read the whole table, which grows with every
            // handover and upload. Both are written once per link or upload, never on the relay's path.
            try db.execute(
                sql: """
                    CREATE INDEX files_by_session ON files (session_id, created_at);
                    CREATE INDEX handover_links_by_session ON handover_links (session_id);
                    """)
        }
        migrator.registerMigration("v13: every outbox job by session") { db in
            // Deleting a session deletes its jobs (`ON DELETE CASCADE`), which SQLite finds by `session_id` alone:
            // the partial `outbox_pending` (pending jobs only) cannot serve that, so each deleted session read the
            // whole outbox, dead letters and a Chatwoot outage's backlog included. One index of every job in its
            // place, so a job costs the same index writes as before; a session's dead jobs, the few it has, are
            // read past where pending ones are asked for.
            try db.execute(
                sql: """
                    DROP INDEX outbox_pending;
                    CREATE INDEX outbox_by_session ON outbox (session_id, id);
                    """)
        }
        return migrator
    }
}
