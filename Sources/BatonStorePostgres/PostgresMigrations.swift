import Logging
import PostgresNIO

/// The PostgreSQL schema, as numbered migrations recorded in `baton_schema_migrations`.
///
/// All pending migrations are applied in one transaction that first takes a transaction-scoped advisory lock, so
/// instances starting together apply them once, one after the other; the lock goes with the commit or rollback.
/// Migrations never touch outbox leases: other instances may be running jobs while one starts.
enum PostgresMigrations {
    struct Migration: Sendable {
        let version: Int64
        let name: String
        /// One statement each: PostgreSQL's extended protocol runs a single command per query.
        let statements: [PostgresQuery]
    }

    /// A fixed key for `pg_advisory_xact_lock` ("baton" in ASCII), shared by every Baton of a database.
    static let lockKey: Int64 = 0x62_61_74_6F_6E

    static let all: [Migration] = [
        Migration(
            version: 1, name: "sessions, messages, handover links, settings, outbox, webhook deliveries",
            statements: [
                // JSON is kept as text (see `Rows`); `handover_phase` mirrors `state`'s handover phase so that
                // sessionsWithActiveHandover needs neither a JSON parse of every row nor a jsonb column.
                """
                CREATE TABLE sessions (
                    id text PRIMARY KEY,
                    endpoint_id text NOT NULL,
                    user_id text NOT NULL,
                    channel text NOT NULL,
                    state text NOT NULL,
                    handover_phase text,
                    last_message_id bigint NOT NULL DEFAULT 0,
                    created_at bigint NOT NULL,
                    updated_at bigint NOT NULL,
                    UNIQUE (endpoint_id, user_id)
                )
                """,
                "CREATE INDEX sessions_with_active_handover ON sessions (id) WHERE handover_phase = 'active'",
                """
                CREATE TABLE messages (
                    session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                    id bigint NOT NULL,
                    sender text NOT NULL,
                    content text NOT NULL,
                    created_at bigint NOT NULL,
                    client_message_id text,
                    agent_name text,
                    external_id text,
                    external_order bigint,
                    retracted boolean NOT NULL DEFAULT FALSE,
                    moved_to bigint,
                    moved_from bigint,
                    PRIMARY KEY (session_id, id)
                )
                """,
                // The store maps violations of these two to SessionStoreError by their names.
                "CREATE UNIQUE INDEX messages_by_client_id ON messages (session_id, client_message_id) WHERE client_message_id IS NOT NULL",
                "CREATE UNIQUE INDEX messages_by_external_id ON messages (session_id, external_id) WHERE external_id IS NOT NULL",
                "CREATE INDEX messages_by_external_order ON messages (session_id, external_order) WHERE external_order IS NOT NULL",
                """
                CREATE TABLE handover_links (
                    endpoint_id text NOT NULL,
                    conversation_key text NOT NULL,
                    session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                    PRIMARY KEY (endpoint_id, conversation_key)
                )
                """,
                "CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL)",
                """
                CREATE TABLE outbox (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                    job text NOT NULL,
                    kind text NOT NULL,
                    attempts bigint NOT NULL DEFAULT 0,
                    created_at bigint NOT NULL,
                    next_attempt_at bigint NOT NULL,
                    leased_until bigint,
                    last_error text,
                    dead_at bigint
                )
                """,
                "CREATE INDEX outbox_pending ON outbox (session_id, id) WHERE dead_at IS NULL",
                "CREATE INDEX outbox_dead ON outbox (id) WHERE dead_at IS NOT NULL",
                "CREATE TABLE webhook_deliveries (delivery_id text PRIMARY KEY, received_at bigint NOT NULL)",
                "CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (received_at)",
            ]),
        Migration(
            version: 2, name: "uploaded files",
            statements: [
                """
                CREATE TABLE files (
                    id text PRIMARY KEY,
                    session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                    name text NOT NULL,
                    mime_type text NOT NULL,
                    bytes bytea NOT NULL,
                    created_at bigint NOT NULL
                )
                """
            ]),
        Migration(
            version: 3, name: "handover timers",
            statements: [
                // Mirrors the state's next handover timer (see `ConversationState.wakeAt`), like `handover_phase`.
                "ALTER TABLE sessions ADD COLUMN wake_at bigint",
                "CREATE INDEX sessions_by_wake_at ON sessions (wake_at) WHERE wake_at IS NOT NULL",
            ]),
        Migration(
            version: 4, name: "outbox traces",
            statements: [
                // The W3C traceparent of the change that saved the job, so its work continues that trace.
                "ALTER TABLE outbox ADD COLUMN trace text"
            ]),
        Migration(
            version: 5, name: "outbox queue heads",
            statements: [
                // `head` marks the one job of each queue (a session's `event` jobs, its other jobs) that may run: the
                // oldest one not dead. Claiming and finding the next due time then read only the heads, through their
                // own index, instead of `DISTINCT ON` over the whole outbox on every poll of every instance (most
                // costly when Chatwoot is down and the outbox grows). Triggers keep `head` true whoever writes, an
                // instance of an older version during a rolling upgrade included.
                "ALTER TABLE outbox ADD COLUMN head boolean NOT NULL DEFAULT false",
                """
                UPDATE outbox SET head = true WHERE id IN (
                    SELECT DISTINCT ON (session_id, kind = 'event') id FROM outbox WHERE dead_at IS NULL ORDER BY session_id, kind = 'event', id)
                """,
                "CREATE INDEX outbox_heads_due ON outbox (next_attempt_at, id) WHERE head",
                "CREATE INDEX outbox_heads_leased ON outbox (leased_until) WHERE head AND leased_until IS NOT NULL",
                // A new job is the head of an empty queue. Every job is inserted by a transaction that holds its
                // session's row lock (see `update` and `requeueOutbox`), which is what makes this check safe.
                """
                CREATE FUNCTION baton_outbox_head_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    NEW.head := NEW.dead_at IS NULL AND NOT EXISTS (
                        SELECT 1 FROM outbox WHERE session_id = NEW.session_id AND (kind = 'event') = (NEW.kind = 'event') AND dead_at IS NULL);
                    RETURN NEW;
                END $$
                """,
                "CREATE TRIGGER outbox_head_on_insert BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION baton_outbox_head_on_insert()",
                // A dead-lettered job is no longer a head.
                """
                CREATE FUNCTION baton_outbox_dead_is_no_head() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    NEW.head := false;
                    RETURN NEW;
                END $$
                """,
                """
                CREATE TRIGGER outbox_dead_is_no_head BEFORE UPDATE OF dead_at ON outbox
                FOR EACH ROW WHEN (NEW.dead_at IS NOT NULL) EXECUTE FUNCTION baton_outbox_dead_is_no_head()
                """,
                // When a head is done or dead, the next job of its queue takes its place. The session's row lock
                // first: an insert into this queue that began before is committed (and seen by the next statement,
                // which takes a new snapshot), and one that begins after sees this head gone and is a head itself.
                """
                CREATE FUNCTION baton_outbox_next_head() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM 1 FROM sessions WHERE id = OLD.session_id FOR UPDATE;
                    UPDATE outbox SET head = true WHERE id = (
                        SELECT id FROM outbox WHERE session_id = OLD.session_id AND (kind = 'event') = (OLD.kind = 'event') AND dead_at IS NULL
                        ORDER BY id LIMIT 1);
                    RETURN NULL;
                END $$
                """,
                "CREATE TRIGGER outbox_next_head_on_delete AFTER DELETE ON outbox FOR EACH ROW WHEN (OLD.head) EXECUTE FUNCTION baton_outbox_next_head()",
                """
                CREATE TRIGGER outbox_next_head_on_dead AFTER UPDATE OF dead_at ON outbox
                FOR EACH ROW WHEN (OLD.head AND NEW.dead_at IS NOT NULL) EXECUTE FUNCTION baton_outbox_next_head()
                """,
            ]),
        Migration(
            version: 6, name: "message rate buckets",
            statements: [
                // The user's message-rate bucket (`RateBucket`), taken inside the message's own write, so it holds
                // across instances.
                "ALTER TABLE sessions ADD COLUMN rate_tokens double precision, ADD COLUMN rate_at bigint"
            ]),
        Migration(
            version: 7, name: "shared start-up reconciliation",
            statements: [
                // When a start-up reconciliation began to read the session's desk (`claimStartupReconciliations`).
                "ALTER TABLE sessions ADD COLUMN reconciled_at bigint"
            ]),
        Migration(
            version: 8, name: "hub listeners",
            statements: [
                // The instances that hold a socket (or a long poll) of the session (`listen(to:as:)`), read by every
                // write with the row it locks: an event no other instance listens to is not announced.
                "ALTER TABLE sessions ADD COLUMN listeners text[] NOT NULL DEFAULT '{}'"
            ]),
        Migration(
            version: 9, name: "write transactions' statements as functions; the outbox's triggers without sequential scans",
            statements: [
                // PostgreSQL parses and plans again every statement a client sends (Baton's are unnamed, so that
                // PgBouncer in transaction mode can sit between), and for the two statements of every write transaction
                // that took as long as running them. A PL/pgSQL function's statements are planned once per connection
                // and their plans kept, whatever pooler is between; generic plans, always (left to choose, PostgreSQL
                // kept planning the lock for each call on some connections, as a plan for the ids at hand looks cheaper
                // than one for any number of them), and never a sequential scan: a plan is kept, and one made while a
                // table was a page or two (a new deployment's first calls) read the whole table on every call once it
                // had grown. What each does is said at its caller, `PostgresGroupCommit.lockQuery` and
                // `PendingSave.query`. A change to either is a new migration (`CREATE OR REPLACE FUNCTION`): a database
                // may be shared by a newer Baton and an older one.
                """
                CREATE FUNCTION baton_lock_sessions(p_sessions text[], p_jobs bigint[]) RETURNS SETOF sessions
                LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
                BEGIN
                    RETURN QUERY SELECT * FROM sessions
                    WHERE id = ANY(p_sessions || ARRAY(SELECT session_id FROM outbox WHERE id = ANY(p_jobs)))
                    ORDER BY id FOR UPDATE;
                END
                $$
                """,
                """
                CREATE FUNCTION baton_save_sessions(
                    p_n bigint[], p_id text[], p_later_than bigint[], p_state text[], p_handover_phase text[],
                    p_last_message_id bigint[], p_updated_at bigint[], p_wake_at bigint[], p_rate_tokens double precision[],
                    p_rate_at bigint[],
                    p_m_session_id text[], p_m_id bigint[], p_m_sender text[], p_m_content text[], p_m_created_at bigint[],
                    p_m_client_message_id text[], p_m_agent_name text[], p_m_external_id text[], p_m_external_order bigint[],
                    p_m_moved_from bigint[],
                    p_o_session_id text[], p_o_job text[], p_o_kind text[], p_o_at bigint[], p_o_trace text[],
                    p_notify_channel text[], p_notify_payload text[], p_notify_session_id text[]
                ) RETURNS SETOF bigint
                LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
                BEGIN
                    RETURN QUERY
                    WITH s AS (
                        SELECT * FROM unnest(p_n, p_id, p_later_than, p_state, p_handover_phase, p_last_message_id,
                            p_updated_at, p_wake_at, p_rate_tokens, p_rate_at)
                        AS s (n, id, later_than, state, handover_phase, last_message_id, updated_at, wake_at, rate_tokens, rate_at)
                    ), ok AS (
                        SELECT * FROM s WHERE s.later_than IS NULL OR NOT EXISTS (
                            SELECT 1 FROM messages WHERE session_id = s.id AND external_order > s.later_than AND NOT retracted)
                    ), m AS (
                        INSERT INTO messages (session_id, id, sender, content, created_at, client_message_id, agent_name,
                            external_id, external_order, moved_from, retracted)
                        SELECT v.*, FALSE FROM unnest(p_m_session_id, p_m_id, p_m_sender, p_m_content, p_m_created_at,
                            p_m_client_message_id, p_m_agent_name, p_m_external_id, p_m_external_order, p_m_moved_from)
                        AS v (session_id, id, sender, content, created_at, client_message_id, agent_name, external_id,
                            external_order, moved_from)
                        WHERE v.session_id IN (SELECT id FROM ok)
                    ), o AS (
                        INSERT INTO outbox (session_id, job, kind, attempts, created_at, next_attempt_at, trace)
                        SELECT v.session_id, v.job, v.kind, 0, v.at, v.at, v.trace
                        FROM unnest(p_o_session_id, p_o_job, p_o_kind, p_o_at, p_o_trace) WITH ORDINALITY
                        AS v (session_id, job, kind, at, trace, i)
                        WHERE v.session_id IN (SELECT id FROM ok) ORDER BY v.i
                    ), u AS (
                        UPDATE sessions SET state = ok.state, handover_phase = ok.handover_phase,
                            last_message_id = ok.last_message_id, updated_at = ok.updated_at, wake_at = ok.wake_at,
                            rate_tokens = ok.rate_tokens, rate_at = ok.rate_at
                        FROM ok WHERE sessions.id = ok.id RETURNING ok.n
                    ), nt AS (
                        SELECT pg_notify(b.c, b.p)
                        FROM unnest(p_notify_channel, p_notify_payload, p_notify_session_id) WITH ORDINALITY AS b (c, p, s, i)
                        WHERE b.s IN (SELECT id FROM ok) ORDER BY b.i
                    )
                    SELECT u.n FROM u, (SELECT count(*) FROM nt) AS notified;
                END
                $$
                """,
                // The outbox's triggers (migration 5) keep their plans too, and the outbox is empty most of the time:
                // a plan made then reads every pending job at each job's insert and completion once Chatwoot is down
                // and the outbox grows, until the table's next `ANALYZE`.
                "ALTER FUNCTION baton_outbox_head_on_insert() SET enable_seqscan = off",
                "ALTER FUNCTION baton_outbox_next_head() SET enable_seqscan = off",
            ]),
        Migration(
            version: 10, name: "retracted messages by session",
            statements: [
                // What a reconnecting page is sent besides the messages after its last id (`retractedMessages`): the
                // messages taken back meanwhile may be older. Only retracted rows have an entry, so the messages a
                // conversation stores, hardly any of them ever retracted, cost it nothing. Built within the migration's
                // transaction, which holds writes to messages for as long as reading the table takes.
                "CREATE INDEX messages_retracted ON messages (session_id, id) WHERE retracted"
            ]),
        Migration(
            version: 11, name: "files and links by session",
            statements: [
                // Deleting a session deletes its files and conversation links (`ON DELETE CASCADE`), and the retention
                // sweep deletes a session's old files: without these, each read the whole table, which grows with
                // every handover and upload. Both are written once per link or upload, never on the relay's path.
                "CREATE INDEX files_by_session ON files (session_id, created_at)",
                "CREATE INDEX handover_links_by_session ON handover_links (session_id)",
            ]),
        Migration(
            version: 12, name: "every outbox job by session",
            statements: [
                // Deleting a session deletes its jobs (`ON DELETE CASCADE`), which PostgreSQL finds by `session_id`
                // alone: the partial `outbox_pending` (pending jobs only) cannot serve that, so each deleted session
                // read the whole outbox, dead letters and a Chatwoot outage's backlog included. One index of every
                // job in its place, so a job costs the same index writes as before.
                "DROP INDEX outbox_pending",
                "CREATE INDEX outbox_by_session ON outbox (session_id, id)",
            ]),
        Migration(
            version: 13, name: "new conversations per client, across instances",
            statements: [
                // `limits.newConversationsPerMinute` (`SharedRateBuckets`): a bucket per client, keyed by a hash
                // salted with this database's own random value, so no address is kept; a row lives for a minute or
                // so after the client's last new conversation.
                """
                CREATE TABLE client_buckets (
                    key text PRIMARY KEY,
                    tokens double precision NOT NULL,
                    taken_at bigint NOT NULL,
                    refused boolean NOT NULL
                )
                """,
                "CREATE INDEX client_buckets_by_time ON client_buckets (taken_at)",
                "INSERT INTO settings (key, value) VALUES ('client_buckets_salt', gen_random_uuid()::text) ON CONFLICT (key) DO NOTHING",
            ]),
    ]

    /// Applies the migrations the database lacks.
    /// - Returns: the versions applied now (none when the schema was up to date).
    @discardableResult
    static func apply(on client: PostgresClient, logger: Logger, migrations: [Migration] = all) async throws -> [Int64] {
        try await client.transaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS baton_schema_migrations (
                    version bigint PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var applied = Set<Int64>()
            for try await version in try await connection.query("SELECT version FROM baton_schema_migrations", logger: logger).decode(Int64.self) {
                applied.insert(version)
            }
            if let newest = applied.max(), let known = migrations.map(\.version).max(), newest > known {
                // A newer Baton migrated this database; this one would misread what it wrote.
                throw PostgresStoreError.schemaTooNew(database: newest, known: known)
            }
            var now: [Int64] = []
            for migration in migrations.sorted(by: { $0.version < $1.version }) where !applied.contains(migration.version) {
                logger.info("Applying PostgreSQL migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                for statement in migration.statements { try await connection.query(statement, logger: logger) }
                try await connection.query(
                    "INSERT INTO baton_schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger)
                now.append(migration.version)
            }
            return now
        }
    }
}
