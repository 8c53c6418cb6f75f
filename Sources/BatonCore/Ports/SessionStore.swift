public import Foundation

/// One change to a session, made inside the store's transaction: the state can be read and replaced, and
/// messages appended. The store gives the appended messages their ids when it commits.
public struct SessionUpdate: Sendable {
    /// The session as it was when the transaction began (its state is `state` below).
    public let session: Session
    /// The conversation state; replace it to persist a new one.
    public var state: ConversationState
    /// Messages to append, in order.
    public private(set) var drafts: [MessageDraft] = []
    /// Outbox jobs to save with the change, in order.
    public private(set) var jobs: [OutboxJob] = []
    /// The trace the change belongs to (a W3C `traceparent`), saved with its jobs so their work continues it.
    public var trace: String?
    /// The session's message-rate bucket (see ``RateBucket``), saved with the change.
    public var rateBucket: RateBucket?
    /// The handover's new phase, when the change moves it, as the session's channels are told of it once it commits.
    /// A store that announces a change's messages to other instances in the change's own transaction announces this
    /// with them, after them (`TransactionAnnouncer` in the PostgreSQL store); nothing else of it is saved.
    public var handoverPhase: HandoverPhase?
    /// The message this change took back, when it was asked to (`SessionStore.update(sessionID:now:retracting:…)`)
    /// and found it live: marked retracted in the same transaction, before the change was made.
    public let retracted: Message?
    /// Whether the provider has, or never needs, every message this change appends (see `passOverAppended`).
    private var passesOverAppended = false
    /// The job to save for each copy of a reply an appended draft moves (see `enqueueForEachMovedCopy`).
    private var jobForMovedCopy: (@Sendable (_ copyID: Int64) -> OutboxJob)?

    public init(session: Session, rateBucket: RateBucket? = nil, retracted: Message? = nil) {
        self.session = session
        self.state = session.state
        self.rateBucket = rateBucket
        self.retracted = retracted
    }

    /// Appends a message to the transcript.
    public mutating func append(_ draft: MessageDraft) { drafts.append(draft) }

    /// Saves provider work with the change (see ``OutboxJob``).
    public mutating func enqueue(_ job: OutboxJob) { jobs.append(job) }

    /// The id the newest message will have once the change is saved (ids have no gaps), unless an agent's reply
    /// moves later replies behind it: their copies take the ids after these (see `MessagePlacement`).
    public var lastMessageID: Int64 { session.lastMessageID + Int64(drafts.count) }

    /// Says that the provider has, or never needs, every message this change appends (an agent's reply, a notice
    /// for the user), so the handover's sync position moves past them, and past the copies of replies they move,
    /// when nothing before them waits to be posted (`HandoverState.passOver`). Applied by `placed(through:)`, once
    /// the store has numbered them.
    public mutating func passOverAppended() { passesOverAppended = true }

    /// Saves `job(copyID)` with the change for each copy of a stored reply that an appended draft moves behind it
    /// (see `MessagePlacement`), after the jobs enqueued so far, in the copies' order. Whether anything moves is known
    /// only once the store has read the replies after the draft, so it applies this in `placed(through:movedCopies:)`.
    public mutating func enqueueForEachMovedCopy(_ job: @escaping @Sendable (_ copyID: Int64) -> OutboxJob) { jobForMovedCopy = job }

    /// Called by the store once the appended messages (and any copies they moved) are numbered, before the state
    /// and the jobs are written: `lastMessageID` is the session's newest id then, and `movedCopies` the ids of the
    /// copies, in order.
    public mutating func placed(through lastMessageID: Int64, movedCopies: [Int64] = []) {
        if passesOverAppended { state.handover?.passOver(after: session.lastMessageID, through: lastMessageID) }
        if let jobForMovedCopy { jobs += movedCopies.map(jobForMovedCopy) }
    }
}

/// Errors every store reports the same way, so callers can tell them apart whatever the engine.
public enum SessionStoreError: Error, Equatable, Sendable {
    /// No session has this id.
    case sessionNotFound(SessionID)
    /// A message with this client message id already exists in the session (the client re-sent it).
    case duplicateClientMessage(SessionID, String)
    /// A message with this external id (a provider's message id) already exists in the session.
    case duplicateExternalMessage(SessionID, String)
}

/// What ``SessionStore/deleteSession(id:)`` did.
public enum SessionDeletion: Sendable, Hashable {
    /// The session and everything of it are gone.
    case deleted
    /// No session has this id (never had, or already deleted).
    case notFound
    /// Kept: its handover is opening or active.
    case handoverInProgress
}

/// What one call of ``SessionStore/deleteOldMessages(before:after:limit:)`` did.
public struct OldMessagesDeletion: Sendable, Hashable {
    /// Messages deleted.
    public var messages: Int
    /// Uploaded files deleted.
    public var files: Int
    /// The last session looked at, to pass as `after` to the next call; `nil` when there was none left to look at.
    public var lastSessionID: SessionID?

    public init(messages: Int, files: Int, lastSessionID: SessionID?) {
        self.messages = messages
        self.files = files
        self.lastSessionID = lastSessionID
    }
}

/// Where sessions and their transcripts live. Every method is one transaction of its own, so an implementation
/// never exposes a half-applied turn; the contract test suite in `BatonStoreTests` pins the behaviour down for
/// every implementation.
public protocol SessionStore: Sendable {
    /// Creates or upgrades the schema. Safe to call on every start.
    func migrate() async throws

    /// Succeeds when the store can serve requests (used by `/readyz`).
    func ping() async throws

    /// The session of `userID` on `endpointID`, created with `makeID()` and `initialState` if there is none.
    /// Two concurrent calls for the same user get the same session.
    func findOrCreateSession(
        endpointID: String, userID: String, channel: Channel, initialState: ConversationState, now: Date,
        makeID: @Sendable () -> SessionID
    ) async throws -> (session: Session, created: Bool)

    /// The session with this id, or `nil`.
    func session(id: SessionID) async throws -> Session?

    /// The session of `userID` on `endpointID`, or `nil` (nothing is created).
    func session(endpointID: String, userID: String) async throws -> Session?

    /// Runs `body` on the session inside one transaction: concurrent updates of one session run one after the
    /// other, and the state, every appended message and every enqueued outbox job are saved together or not at all.
    ///
    /// An appended draft with an `externalOrder` goes after every stored message, as any other; but the live
    /// messages of the session with a greater `externalOrder` are then moved after it: each is retracted with
    /// `movedTo` set and stored again as a copy with `movedFrom` set (its external id moves to the copy).
    ///
    /// With `retracting`, the session's live message with that external id is first marked retracted (its author
    /// deleted it) in the same transaction, and handed to `body` as `SessionUpdate.retracted` (nil when there is
    /// none, or it was retracted before), so that what follows from it is saved with it or not at all.
    ///
    /// `committed` is called with what the caller gets once the transaction that holds the update committed, before
    /// the caller is answered, on whatever thread committed it, and even when the caller was cancelled meanwhile:
    /// it must only hand things over, never wait. (The hub publishes the stored messages so: they reach the sockets
    /// open on their session from the committing thread, in the order of the commits, without waiting for the
    /// caller's task to be resumed.)
    /// - Returns: what `body` returned and the messages it stored (moved copies included), with their ids.
    /// - Throws: `SessionStoreError.sessionNotFound`, `.duplicateClientMessage` (nothing is saved then),
    ///   or what `body` throws (nothing is saved then either).
    func update<T: Sendable>(
        sessionID: SessionID, now: Date, retracting: String?, committed: (@Sendable ((result: T, messages: [Message])) -> Void)?,
        _ body: @escaping @Sendable (inout SessionUpdate) throws -> T
    ) async throws -> (result: T, messages: [Message])

    /// Messages of the session with an id greater than `after`, oldest first, at most `limit`.
    func messages(sessionID: SessionID, after: Int64, limit: Int) async throws -> [Message]

    /// The session's retracted messages (deleted by their author, or moved) with an id above `after` and at most
    /// `through`, oldest first, at most `limit`. A retraction changes a message a client may have shown already, and a
    /// client that catches up from its last id reads only newer messages: this is how it hears of the ones taken back
    /// while it was away (each store keeps an index of retracted messages alone, so the read costs what it returns).
    func retractedMessages(sessionID: SessionID, after: Int64, through: Int64, limit: Int) async throws -> [Message]

    /// The message the client sent with `clientMessageID`, if it was stored.
    func message(sessionID: SessionID, clientMessageID: String) async throws -> Message?

    /// Remembers that the provider conversation `key` of `endpointID` belongs to `sessionID`. A conversation belongs to
    /// one session for good: stores keep the links they read (``ConversationLinks``), in every instance, so linking
    /// it again to another session reaches only this instance and the database.
    func link(endpointID: String, conversationKey: String, to sessionID: SessionID) async throws

    /// The session a provider conversation belongs to.
    func sessionID(endpointID: String, conversationKey: String) async throws -> SessionID?

    /// Sessions whose handover is active (agents and user talking).
    func sessionsWithActiveHandover() async throws -> [SessionID]

    /// Takes the next sessions with an active handover whose desk no start-up reconciliation began to read after
    /// `since` (the caller's start): at most `limit`, with ids above `after`, in id order. Each is marked as read at
    /// `now`, so instances starting together share the reads instead of each reading every conversation. A session
    /// taken by another instance at the same time is waited for and passed over. (Instances' clocks are taken to
    /// agree, as for leases.)
    func claimStartupReconciliations(since: Date, after: SessionID?, now: Date, limit: Int) async throws -> [SessionID]

    // MARK: Timers

    /// Sessions whose `ConversationState.wakeAt` has come (at most `limit`, earliest first), each reserved until
    /// `now + lease` so that other workers, in this process or another, pass it over meanwhile. The next update of
    /// the session sets its time from its state again.
    func claimWakeUps(now: Date, lease: TimeInterval, limit: Int) async throws -> [SessionID]

    /// The earliest `wakeAt` of any session (reservations included), or `nil` when no timer runs.
    func nextWakeUp() async throws -> Date?

    // MARK: Outbox

    /// Hands out due outbox jobs: for each session only the oldest pending job of each of its two queues (its
    /// `event` jobs, the rest: see `OutboxJob`), and only when that job is not already handed out (its lease runs
    /// until `now + lease`). Each job handed out counts one attempt. Two
    /// workers, in one process or several, never get the same job while its lease runs.
    func claimOutbox(now: Date, lease: TimeInterval, limit: Int) async throws -> [OutboxItem]

    /// Extends the leases of jobs this worker still carries out to `until` (its heartbeat), so a short lease only
    /// runs out when the worker is gone. A job that was finished, rescheduled, dead-lettered or handed out again
    /// since (its attempt count moved on) is left alone.
    func renewOutboxLeases(_ items: [OutboxItem], until: Date) async throws

    /// Removes a job that is done and, in the same write, hands out the next job of its queue when that one is due
    /// at `now` and not handed out already (leased until `now + lease`, one attempt counted, as `claimOutbox` does).
    /// A worker thus carries a session's jobs out one after another, each completion taking the next, instead of
    /// waiting for its next claim: one write per job where there were two. No other job is looked at.
    /// - Parameter now: `nil` hands nothing out (a stopping worker).
    /// - Returns: the queue's next job, handed out to the caller, or `nil`.
    func completeOutbox(_ item: OutboxItem, claimingNextAt now: Date?, lease: TimeInterval) async throws -> OutboxItem?

    /// Puts a job back to run at `at`, remembering why it did not finish.
    func rescheduleOutbox(id: Int64, at: Date, error: String) async throws

    /// Gives a job up: it stays listed as dead, and the session's next job may run.
    func deadLetterOutbox(id: Int64, error: String, now: Date) async throws

    /// Pending (`dead == false`) or dead jobs, oldest first.
    func outbox(dead: Bool, limit: Int) async throws -> [OutboxItem]

    /// Makes a dead job pending again with a fresh retry budget. Returns false when there is no such dead job.
    func requeueOutbox(id: Int64, now: Date) async throws -> Bool

    /// How many jobs are pending and dead.
    func outboxCounts() async throws -> OutboxCounts

    /// When the earliest job that may run next (the head of a session's queue) falls due, or `nil` when none is pending.
    func nextOutboxDue() async throws -> Date?

    // MARK: Webhook deliveries

    /// Records a webhook delivery id. Returns false when it was recorded before (a redelivery).
    func recordDelivery(_ deliveryID: String, now: Date) async throws -> Bool

    /// Forgets one delivery id (its webhook could not be applied, so a redelivery must be applied).
    func forgetDelivery(_ deliveryID: String) async throws

    /// Forgets delivery ids recorded before `before` (redeliveries come within seconds, not days).
    func forgetDeliveries(before: Date) async throws

    // MARK: Retention

    /// Deletes, whole, sessions nobody wrote to since `before` that have nothing left to do: no handover opening or
    /// active, no timer set, no desk or bot work waiting in the outbox (dead-lettered jobs go with them). Whole is
    /// the session with its messages, files, conversation links and jobs. At most `limit`; returns their ids. A
    /// session written to meanwhile (by this process or another) is kept: the check and the delete are one statement.
    func deleteIdleSessions(before: Date, limit: Int) async throws -> [SessionID]

    /// Deletes the messages written before `before`, and the files uploaded before it, of sessions that have nothing
    /// in progress (as for `deleteIdleSessions`: no handover opening or active, no timer, no work waiting in the
    /// outbox), for sessions in use for longer than their messages are kept. The sessions stay: their ids, users,
    /// profiles and flow context, and the ids their next messages take. Looks at up to `limit` sessions created before
    /// `before`, in order of id after `after`, so a sweep passes over every session once however many calls it takes.
    /// Each session's messages go in writes of their own, each checking that the session still has nothing in
    /// progress, so a session that starts a handover meanwhile keeps the history its agents are sent.
    func deleteOldMessages(before: Date, after: SessionID?, limit: Int) async throws -> OldMessagesDeletion

    /// Deletes one session whole (an operator erasing a user's data), with whatever desk or bot work it still had
    /// waiting, unless its handover is opening or active: the agents have the user then, and must end it first.
    func deleteSession(id: SessionID) async throws -> SessionDeletion

    // MARK: Files

    /// Keeps a file a user uploaded (sent to the agents with their message, and served back to the webchat).
    func saveFile(_ file: StoredFile) async throws

    /// The file with this id, or `nil`.
    func file(id: String) async throws -> StoredFile?

    /// A small value the server keeps across restarts (e.g. the id of the Chatwoot agent bot it created).
    func setting(_ key: String) async throws -> String?

    /// Stores or, with `nil`, removes a setting.
    func setSetting(_ key: String, to value: String?) async throws

    /// The setting `key`; when it is absent, or still `stale` (a value the caller found to be no good), `make`
    /// runs and what it returns is stored and returned. Callers sharing the store (in this process or any other)
    /// take turns: while one looks and makes, the others wait, then find what it stored. So something that must
    /// exist once, such as the Chatwoot agent bot, is made once. `make` runs while the store holds a lock (and, for
    /// PostgreSQL, a connection), so it should be short and should not wait on other store calls.
    func setting(_ key: String, replacing stale: String?, orMake make: @Sendable () async throws -> String) async throws -> String
}

extension SessionStore {
    /// `update(sessionID:now:retracting:committed:_:)` retracting nothing.
    public func update<T: Sendable>(
        sessionID: SessionID, now: Date, committed: (@Sendable ((result: T, messages: [Message])) -> Void)?,
        _ body: @escaping @Sendable (inout SessionUpdate) throws -> T
    ) async throws -> (result: T, messages: [Message]) {
        try await update(sessionID: sessionID, now: now, retracting: nil, committed: committed, body)
    }

    /// `update(sessionID:now:retracting:committed:_:)` retracting nothing, with nothing to call at its commit.
    public func update<T: Sendable>(
        sessionID: SessionID, now: Date, _ body: @escaping @Sendable (inout SessionUpdate) throws -> T
    ) async throws -> (result: T, messages: [Message]) {
        try await update(sessionID: sessionID, now: now, retracting: nil, committed: nil, body)
    }

    /// Every retracted message of the session up to `through`, oldest first, read `pageSize` at a time: what a
    /// client that has the messages up to `through` is to take back (a session has few).
    public func retractedMessages(sessionID: SessionID, through: Int64, pageSize: Int = 200) async throws -> [Message] {
        var all: [Message] = []
        while through > (all.last?.id ?? 0) {
            let page = try await retractedMessages(sessionID: sessionID, after: all.last?.id ?? 0, through: through, limit: pageSize)
            all += page
            if page.count < pageSize { break }
        }
        return all
    }

    /// Marks the session's message with `externalID` as retracted (its author deleted it), changing nothing else.
    /// - Returns: the message, or `nil` when there is none or it was retracted before.
    public func retract(sessionID: SessionID, externalID: String, now: Date = Date()) async throws -> Message? {
        try await update(sessionID: sessionID, now: now, retracting: externalID, committed: nil) { $0.retracted }.result
    }

    /// Removes a job that is done, handing out nothing.
    public func completeOutbox(_ item: OutboxItem) async throws {
        _ = try await completeOutbox(item, claimingNextAt: nil, lease: 0)
    }
}
