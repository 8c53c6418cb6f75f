public import BatonCore
public import Foundation
public import Logging
public import PostgresNIO

/// The store for several Baton processes sharing one PostgreSQL database, through a pooled `PostgresClient`.
///
/// The caller owns the client and must run it (`client.run()`, or as a `Service`) while the store is used.
/// Each `SessionStore` call is one statement or one transaction; `update` and `completeOutbox` run in a transaction
/// they may share with the writes that arrived with them (``PostgresGroupCommit``), answered once it committed, and
/// undone alone when they throw. `update` locks the session's row (`SELECT … FOR UPDATE`), so updates of one session
/// serialize across processes, and `claimOutbox` hands out jobs with `FOR UPDATE SKIP LOCKED` plus a lease, so two
/// processes never run the same job at once. SQL is written by hand; every `\(value)` in a query is a bind
/// parameter, never spliced text.
public final class PostgresSessionStore: SessionStore {
    let client: PostgresClient
    let logger: Logger
    /// Where updates and completed jobs go: writes that arrive together share a transaction.
    let commits: PostgresGroupCommit
    /// Provider conversations' sessions, looked up on every webhook.
    let links = ConversationLinks()
    /// Decoded session states by the exact text they were read as or saved as (see ``StateCache``).
    let states = StateCache()
    /// The instances listening to each session, as this process's writes found them (see ``HubListeners``).
    public let hubListeners = HubListeners()
    /// What announces the messages a save statement stores, in that statement (given by the hub's fan-out).
    let announcer = TransactionAnnouncerSlot()
    /// Gives up the statements of a connection that closed without answering them.
    let watch = ClosedConnectionWatch()

    /// - Parameters:
    ///   - client: a client that is (or soon will be) running; its pool size bounds the store's concurrency.
    ///   - logger: where PostgresNIO logs queries (at debug and trace).
    ///   - writeTransactions: how many shared write transactions may run at once, each on a connection of the pool
    ///     (see ``defaultWriteTransactions``).
    public convenience init(client: PostgresClient, logger: Logger, writeTransactions: Int = defaultWriteTransactions) {
        self.init(client: client, logger: logger, writeTransactions: writeTransactions, clock: { ContinuousClock.now })
    }

    /// A store whose group commit times its transactions with `clock` (a test's own).
    init(
        client: PostgresClient, logger: Logger, writeTransactions: Int = defaultWriteTransactions,
        clock: @escaping @Sendable () -> ContinuousClock.Instant
    ) {
        self.client = client
        self.logger = logger
        commits = PostgresGroupCommit(client: client, logger: logger, watch: watch, batchesAtOnce: writeTransactions, announcer: announcer, now: clock)
    }

    /// One shared write transaction at a time: the writes that arrive while it runs go together in the next. With
    /// two at once (a quarter of the bench's pool of 10), each instance's writes were split over more transactions,
    /// each of four round trips, and the transactions of instances writing the same sessions waited for each other's
    /// row locks. With one, PostgreSQL took a third less processor time per relayed message, and one, two and three
    /// instances relayed more, with shorter tails (BENCHMARKS.md, "One write transaction at a time"). A transaction
    /// that runs for longer than a second (it waits for a lock someone holds, or for a connection that stopped
    /// answering) does not hold up the others' writes: up to four then run at once (`PostgresGroupCommit`).
    public static let defaultWriteTransactions = 1

    public func migrate() async throws {
        try await PostgresMigrations.apply(on: client, logger: logger)
    }

    public func ping() async throws {
        _ = try await read("SELECT 1")
    }

    public func findOrCreateSession(
        endpointID: String, userID: String, channel: BatonCore.Channel, initialState: ConversationState, now: Date,
        makeID: @Sendable () -> SessionID
    ) async throws -> (session: Session, created: Bool) {
        if let existing = try await session(endpointID: endpointID, userID: userID) { return (existing, false) }
        let session = Session(id: makeID(), endpointID: endpointID, userID: userID, channel: channel, state: initialState, createdAt: now, updatedAt: now)
        let state = initialState.storageText
        // A concurrent call for the same user may insert first: DO NOTHING waits for it to commit, and the row is read after.
        let inserted = try await rows(
            """
            INSERT INTO sessions (id, endpoint_id, user_id, channel, state, handover_phase, last_message_id, created_at, updated_at)
            VALUES (\(session.id.rawValue), \(endpointID), \(userID), \(channel.rawValue), \(state),
                    \(initialState.handover?.phase.rawValue), 0, \(now.millis), \(now.millis))
            ON CONFLICT (endpoint_id, user_id) DO NOTHING RETURNING id
            """)
        if !inserted.isEmpty { return (session, true) }
        guard let existing = try await self.session(endpointID: endpointID, userID: userID) else {
            throw PostgresStoreError.vanished("the session of user \(userID) on \(endpointID) was removed while it was created")
        }
        return (existing, false)
    }

    public func session(endpointID: String, userID: String) async throws -> Session? {
        try await read("SELECT * FROM sessions WHERE endpoint_id = \(endpointID) AND user_id = \(userID)").first
            .map { try Rows.session(from: $0, states: self.states) }
    }

    public func session(id: SessionID) async throws -> Session? {
        guard let row = try await read("SELECT * FROM sessions WHERE id = \(id.rawValue)").first else {
            // Deleted, perhaps by another instance: a conversation link kept here may still name it.
            forgetDeleted([id])
            return nil
        }
        return try Rows.session(from: row, states: states)
    }

    public func update<T: Sendable>(
        sessionID: SessionID, now: Date, retracting: String?, committed: (@Sendable ((result: T, messages: [Message])) -> Void)?,
        _ body: @escaping @Sendable (inout SessionUpdate) throws -> T
    ) async throws -> (result: T, messages: [Message]) {
        try await commits.write(session: sessionID, committed: committed) { connection, locked in
            // The row lock makes concurrent updates of this session, in any process, wait for this one to commit.
            // The group commit took it already; the row it read is handed over unless a write before changed it.
            var row = locked
            if row == nil { row = try await self.rows("SELECT * FROM sessions WHERE id = \(sessionID.rawValue) FOR UPDATE", on: connection).first }
            guard let row else {
                self.forgetDeleted([sessionID])
                throw SessionStoreError.sessionNotFound(sessionID)
            }
            let session = try Rows.session(from: row, states: self.states)
            self.hubListeners.remember(try row["listeners"].decode([String].self), of: sessionID)
            var retracted: Message?
            if let retracting {
                retracted = try await self.rows(
                    """
                    UPDATE messages SET retracted = TRUE WHERE session_id = \(sessionID.rawValue) AND external_id = \(retracting) AND NOT retracted
                    RETURNING *
                    """, on: connection
                ).first.map(Rows.message(from:))
            }
            var update = SessionUpdate(session: session, rateBucket: try Rows.rateBucket(from: row), retracted: retracted)
            let result = try body(&update)
            // Replies mostly come in the provider's order: saved first on that guess, in a statement that writes
            // only if no stored reply comes after them. When one does, the replies after it are read and moved.
            if let earliest = update.drafts.compactMap(\.externalOrder).min() {
                let guess = MessagePlacement.plan(update.drafts, in: sessionID, after: session.lastMessageID, later: [:])
                let messages = guess.writes.map(\.stored)
                if !guess.writes.contains(where: \.isMove), Self.fitsOneStatement(messages) {
                    var guessed = update
                    guessed.placed(through: guess.lastMessageID)
                    let step = self.stepWrite(guessed, messages: messages, lastMessageID: guess.lastMessageID, now: now)
                    return .saving(PendingSave(step: step, unlessLaterThan: earliest)) { [update] saved, connection in
                        if saved { return .done((result, messages)) }
                        return try await self.savingPlaced(update, of: session, result: result, now: now, on: connection)
                    }
                }
            }
            return try await self.savingPlaced(update, of: session, result: result, now: now, on: connection)
        }
    }

    /// Saves `update` with its drafts placed: a draft with a provider order goes before the session's live replies
    /// that come after it in that order, which are read, and moved behind it.
    private func savingPlaced<T: Sendable>(
        _ update: SessionUpdate, of session: Session, result: T, now: Date, on connection: PostgresConnection
    ) async throws -> WriteProgress<(result: T, messages: [Message])> {
        var update = update
        var later: [Int64: [Message]] = [:]
        for order in Set(update.drafts.compactMap(\.externalOrder)) {
            later[order] = try await rows(
                """
                SELECT * FROM messages WHERE session_id = \(session.id.rawValue) AND external_order > \(order) AND NOT retracted ORDER BY id
                """, on: connection
            ).map(Rows.message(from:))
        }
        let placement = MessagePlacement.plan(update.drafts, in: session.id, after: session.lastMessageID, later: later)
        let moves = placement.writes.compactMap { write -> (original: Int64, copy: Int64)? in
            guard case .move(let original, let copy) = write else { return nil }
            return (original.id, copy.id)
        }
        if !moves.isEmpty {
            // All at once, before the copies go in: each copy takes its original's external id.
            try await connection.query(
                """
                UPDATE messages SET retracted = TRUE, moved_to = moves.copy, external_id = NULL
                FROM unnest(\(moves.map(\.original)), \(moves.map(\.copy))) AS moves (original, copy)
                WHERE session_id = \(session.id.rawValue) AND id = moves.original
                """, logger: logger)
        }
        let stored = placement.writes.map(\.stored)
        update.placed(through: placement.lastMessageID, movedCopies: moves.map(\.copy))
        let save = try await saving(stepWrite(update, messages: stored, lastMessageID: placement.lastMessageID, now: now), on: connection)
        return .saving(save) { _, _ in .done((result, stored)) }
    }

    public func messages(sessionID: SessionID, after: Int64, limit: Int) async throws -> [Message] {
        try await read("SELECT * FROM messages WHERE session_id = \(sessionID.rawValue) AND id > \(after) ORDER BY id LIMIT \(max(0, limit))")
            .map(Rows.message(from:))
    }

    public func retractedMessages(sessionID: SessionID, after: Int64, through: Int64, limit: Int) async throws -> [Message] {
        try await read(Self.retractedMessagesQuery(sessionID: sessionID, after: after, through: through, limit: limit)).map(Rows.message(from:))
    }

    /// ``retractedMessages(sessionID:after:through:limit:)``, read through the index of retracted messages
    /// (migration 10).
    static func retractedMessagesQuery(sessionID: SessionID, after: Int64, through: Int64, limit: Int) -> PostgresQuery {
        """
        SELECT * FROM messages WHERE session_id = \(sessionID.rawValue) AND retracted AND id > \(after) AND id <= \(through)
        ORDER BY id LIMIT \(max(0, limit))
        """
    }

    public func message(sessionID: SessionID, clientMessageID: String) async throws -> Message? {
        try await read("SELECT * FROM messages WHERE session_id = \(sessionID.rawValue) AND client_message_id = \(clientMessageID)")
            .first.map(Rows.message(from:))
    }

    public func sessionsWithActiveHandover() async throws -> [SessionID] {
        // `handover_phase` is written with the state in every update; see the v1 migration for why it is a column.
        try await read("SELECT id FROM sessions WHERE handover_phase = \(HandoverState.Phase.active.rawValue) ORDER BY id")
            .map { SessionID(rawValue: try $0["id"].decode(String.self)) }
    }

    public func claimStartupReconciliations(since: Date, after: SessionID?, now: Date, limit: Int) async throws -> [SessionID] {
        // Not SKIP LOCKED: a session a step holds now would be passed over for good (the walk goes on by id). Its lock
        // is short, and another instance's claim of the same rows ends with its statement; once it has, the row no
        // longer matches and the walk goes on to the next.
        // Ordered by the database (its collation is the one `id >` compares with), so the caller's next `after` is right.
        try await rows(
            """
            WITH claimed AS (
                UPDATE sessions SET reconciled_at = \(now.millis)
                WHERE id IN (
                    SELECT id FROM sessions WHERE handover_phase = \(HandoverState.Phase.active.rawValue) AND id > \(after?.rawValue ?? "")
                    AND (reconciled_at IS NULL OR reconciled_at <= \(since.millis))
                    ORDER BY id LIMIT \(max(0, limit)) FOR UPDATE)
                RETURNING id)
            SELECT id FROM claimed ORDER BY id
            """
        ).map { SessionID(rawValue: try $0["id"].decode(String.self)) }
    }

    // MARK: Plumbing

    /// Runs `body` in a transaction and throws what `body` threw, not PostgresNIO's wrapper around it.
    func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await client.transaction(logger: logger, body)
    }

    /// Runs one statement on a pooled connection and collects its rows.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await client.rows(query, logger: logger, watchedBy: watch)
    }

    /// Runs one statement that only reads on a pooled connection and collects its rows, again on another should the
    /// server cut its connection (see `PostgresClient.repeatable`).
    func read(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await client.repeatable(query, logger: logger, watchedBy: watch)
    }

    /// Runs one write whose second run would change nothing more (see `PostgresClient.repeatable`), again on another
    /// connection should the server cut its connection.
    func executeRepeatable(_ query: PostgresQuery) async throws {
        _ = try await client.repeatable(query, logger: logger, watchedBy: watch)
    }

    /// Runs one statement, whose rows are of no interest, on a pooled connection.
    func execute(_ query: PostgresQuery) async throws {
        try await client.execute(query, logger: logger, watchedBy: watch)
    }

    func rows(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [PostgresRandomAccessRow] {
        try await connection.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }
}

/// What only a PostgreSQL store can run into.
public enum PostgresStoreError: Error, Sendable, Hashable {
    /// A row the store had just seen was gone (someone deleted it by hand).
    case vanished(String)
    /// The database was migrated by a newer Baton (schema version `database`; this one knows up to `known`).
    case schemaTooNew(database: Int64, known: Int64)
}
