import Foundation
import Synchronization

/// The stand-in's "database" and domain rules, serialised by an actor.
///
/// Every operation that Chatwoot runs inside one request (model callbacks included) is one actor method, so the
/// effects a webhook payload observes are those of whole requests — like Chatwoot's jobs, which run after commit.
actor StandInState {
    var db = StandInSnapshot()
    private var sequences: [String: Int] = [:]
    let clock: StandInClock
    /// `CONVERSATION_MESSAGE_PER_MINUTE_LIMIT` (default 200).
    var messagesPerMinuteLimit: Int
    /// `FRONTEND_URL`: the base of attachment URLs.
    var frontendURL: String
    /// Receives every event that Chatwoot would hand to its `WebhookListener`.
    private var eventSink: (@Sendable (WebhookEvent) -> Void)?
    private var subscribers: [UUID: AsyncStream<StandInSnapshot>.Continuation] = [:]
    /// ``WebhookOptions/buildPayloadsAtEventTime``, shared with the public knob.
    nonisolated let buildPayloadsAtEventTime = Mutex(false)
    /// Events of the operation in progress, handed to the sink when it commits.
    private var pendingEvents: [WebhookEvent] = []
    /// The agent-bot copies of those events (`AgentBotListener`), built into deliveries when the operation commits.
    private var pendingBotEvents: [WebhookEvent] = []
    /// Receives every agent-bot delivery, its payload built at commit (see `agentBotDeliveries`).
    private var botSink: (@Sendable (AgentBotDelivery) -> Void)?
    /// Those waiting for requests (`waitForRequests`): each request is matched once, as it is recorded.
    private var requestWaiters: [UUID: RequestWaiter] = [:]
    /// Old values of the messages changed by the transactions in progress, innermost last (see `transaction`).
    private var messageUndo: [[Int: Message]] = []
    /// Waits that timed out before they were registered.
    private var expiredRequestWaits: Set<UUID> = []
    /// Listener work Chatwoot runs in jobs after the events of an operation (see `AfterCommitJob`), run when the
    /// outermost transaction commits.
    private var afterCommitJobs: [AfterCommitJob] = []

    private struct RequestWaiter {
        let count: Int
        let matches: @Sendable (RecordedRequest) -> Bool
        var found: [RecordedRequest]
        let continuation: CheckedContinuation<[RecordedRequest]?, Never>
    }

    init(clock: StandInClock, messagesPerMinuteLimit: Int, frontendURL: String) {
        self.clock = clock
        self.messagesPerMinuteLimit = messagesPerMinuteLimit
        self.frontendURL = frontendURL
    }

    // MARK: Infrastructure

    /// The next id of a table; ids are global per table as in Postgres.
    func nextId(_ table: String) -> Int {
        let next = (sequences[table] ?? 0) + 1
        sequences[table] = next
        return next
    }

    /// Moves a sequence so the next id is at least `value + 1` (used when seeding explicit ids).
    func bumpSequence(_ table: String, past value: Int) {
        sequences[table] = max(sequences[table] ?? 0, value)
    }

    /// Now, truncated to microseconds.
    func now() -> Instant { Instant(clock.now()) }

    func setEventSink(_ sink: (@Sendable (WebhookEvent) -> Void)?) { eventSink = sink }
    func setBotSink(_ sink: (@Sendable (AgentBotDelivery) -> Void)?) { botSink = sink }
    func setFrontendURL(_ url: String) { frontendURL = url }
    func setMessagesPerMinuteLimit(_ limit: Int) { messagesPerMinuteLimit = limit }

    /// Queues a webhook event for API inboxes (Chatwoot's `WebhookListener#deliver_api_inbox_webhooks`) and for
    /// agent bots (`AgentBotListener`); both are handed over when the operation commits.
    func emit(_ event: WebhookEvent) {
        afterCommitJobs += listenerJobs(for: event)
        if event.goesToAgentBots { pendingBotEvents.append(event) }
        guard event.goesToAPIInbox, let inbox = db.inbox(event.inboxId), inbox.channel == .api else { return }
        pendingEvents.append(event)
    }

    /// Runs one request's worth of changes as a transaction: on error the state and its events are rolled back
    /// (Chatwoot wraps controller actions such as conversation create in `ActiveRecord::Base.transaction`); on
    /// success the events go to the webhook dispatcher and waiters see the new state.
    ///
    /// The message table, the one that grows, is left out of the copy kept for the rollback: a copy would make the
    /// first change to the table copy all of it, for every message created. It is restored from its length (rows
    /// are only ever appended) and the old values of the rows changed (`replaceMessage`).
    func transaction<T>(_ body: () throws -> T) throws -> T {
        var saved = db
        saved.messages = []
        let messageCount = db.messages.count
        let savedEventCount = pendingEvents.count
        let savedBotEventCount = pendingBotEvents.count
        let savedJobCount = afterCommitJobs.count
        messageUndo.append([:])
        do {
            let result = try body()
            let undo = messageUndo.removeLast()
            // An enclosing transaction that rolls back must restore these rows too, to their older values.
            if !messageUndo.isEmpty { messageUndo[messageUndo.count - 1].merge(undo) { outer, _ in outer } }
            commit()
            return result
        } catch {
            let undo = messageUndo.removeLast()
            var messages = db.messages
            db.messages = []
            messages.removeSubrange(messageCount...)
            for (index, old) in undo where index < messageCount { messages[index] = old }
            saved.messages = messages
            db = saved
            pendingEvents.removeSubrange(savedEventCount...)
            pendingBotEvents.removeSubrange(savedBotEventCount...)
            afterCommitJobs.removeSubrange(min(savedJobCount, afterCommitJobs.count)...)
            throw error
        }
    }

    /// Replaces the message at `index`, remembering its old value for the transactions in progress.
    func replaceMessage(at index: Int, with message: Message) {
        if let innermost = messageUndo.indices.last, messageUndo[innermost][index] == nil {
            messageUndo[innermost][index] = db.messages[index]
        }
        db.messages[index] = message
    }

    /// Hands queued events to the dispatchers and publishes the state.
    func commit() {
        let botEvents = pendingBotEvents
        pendingBotEvents.removeAll()
        if let botSink {
            let deliveries = botEvents.flatMap(agentBotDeliveries)
            db.pendingWebhooks += deliveries.count
            deliveries.forEach(botSink)
        }
        let events = pendingEvents
        pendingEvents.removeAll()
        if let eventSink {
            db.pendingWebhooks += events.count
            let freeze = buildPayloadsAtEventTime.withLock { $0 }
            for var event in events {
                if freeze {
                    event.prebuilt = prepareWebhook(event)
                    event.frozen = true
                }
                eventSink(event)
            }
        }
        didChange()
        // Outside any transaction, run the listeners' jobs; their own events follow the ones just handed over.
        if messageUndo.isEmpty && !afterCommitJobs.isEmpty {
            let jobs = afterCommitJobs
            afterCommitJobs.removeAll()
            for job in jobs { run(job) }
        }
    }

    /// Publishes the new state to waiters. Call once at the end of each mutating operation.
    func didChange() {
        for continuation in subscribers.values { continuation.yield(db) }
    }

    /// A stream that yields the current state now and after every change (latest only).
    func subscribe() -> AsyncStream<StandInSnapshot> {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: StandInSnapshot.self, bufferingPolicy: .bufferingNewest(1))
        subscribers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(id) }
        }
        continuation.yield(db)
        return stream
    }

    private func unsubscribe(_ id: UUID) { subscribers[id] = nil }

    func finishSubscribers() {
        for continuation in subscribers.values { continuation.finish() }
        subscribers.removeAll()
    }

    // MARK: Index helpers (mutating access by id)

    func accountIndex(_ id: Int) -> Int? { db.accounts.firstIndex { $0.id == id } }
    func conversationIndex(id: Int) -> Int? { db.conversations.firstIndex { $0.id == id } }
    func messageIndex(_ id: Int) -> Int? { db.messages.firstIndex { $0.id == id } }
    func contactIndex(_ id: Int) -> Int? { db.contacts.firstIndex { $0.id == id } }
    func inboxIndex(_ id: Int) -> Int? { db.inboxes.firstIndex { $0.id == id } }
    func agentBotIndex(_ id: Int) -> Int? { db.agentBots.firstIndex { $0.id == id } }

    /// The conversation `display_id` in `account`, or 404.
    func requireConversation(_ ref: ConversationRef) throws -> Conversation {
        guard let conversation = db.conversation(ref) else { throw StandInAPIError.notFound }
        return conversation
    }

    // MARK: Records

    func appendRequest(method: String, path: String, query: String?, headers: [(name: String, value: String)], body: [UInt8]) -> Int {
        let id = nextId("request")
        // A long-running console session polls constantly; keep the newest 10 000 records.
        if db.requests.count >= 10_000 { db.requests.removeFirst(1_000) }
        let request = RecordedRequest(
            id: id, method: method, path: path, query: query, headers: headers, body: body, tokenOwner: nil, responseStatus: nil, receivedAt: now())
        db.requests.append(request)
        for (waiterID, var waiter) in requestWaiters where waiter.matches(request) {
            waiter.found.append(request)
            if waiter.found.count >= waiter.count {
                requestWaiters[waiterID] = nil
                waiter.continuation.resume(returning: waiter.found)
            } else {
                requestWaiters[waiterID] = waiter
            }
        }
        didChange()
        return id
    }

    /// The first `count` recorded requests that `matches` (those recorded already included), once there are as many;
    /// `nil` when `expireRequestWait(id)` came first.
    func waitForRequests(id: UUID, count: Int, matches: @escaping @Sendable (RecordedRequest) -> Bool) async -> [RecordedRequest]? {
        let found = db.requests.filter(matches)
        if found.count >= count { return Array(found.prefix(count)) }
        if expiredRequestWaits.remove(id) != nil { return nil }
        return await withCheckedContinuation { continuation in
            requestWaiters[id] = RequestWaiter(count: count, matches: matches, found: found, continuation: continuation)
        }
    }

    /// Ends a `waitForRequests` with `nil`, or makes it end at once if it has not begun.
    func expireRequestWait(_ id: UUID) {
        if let waiter = requestWaiters.removeValue(forKey: id) {
            waiter.continuation.resume(returning: nil)
        } else {
            expiredRequestWaits.insert(id)
        }
    }

    func completeRequest(_ id: Int, status: Int, tokenOwner: String?) {
        guard let index = db.requests.lastIndex(where: { $0.id == id }) else { return }
        db.requests[index].responseStatus = status
        db.requests[index].tokenOwner = tokenOwner
        didChange()
    }

    func appendViolations(_ violations: [SpecViolation]) {
        guard !violations.isEmpty else { return }
        db.specViolations.append(contentsOf: violations)
        didChange()
    }

    func appendDelivery(_ make: (Int) -> WebhookDelivery) {
        db.deliveries.append(make(nextId("delivery")))
        didChange()
    }

    /// Forgets recorded requests, deliveries and violations (the data stays).
    func clearRecords() {
        db.requests.removeAll()
        db.deliveries.removeAll()
        db.specViolations.removeAll()
        didChange()
    }
}
