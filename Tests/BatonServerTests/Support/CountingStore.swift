import BatonCore
import Foundation
import Synchronization
import Testing

/// A store that passes every call to a real one and counts the reads of whole sessions and the outbox jobs handed out,
/// so a test can show which paths read the store and which are told what they need; and keeps the handover phases
/// the updates it passed on carried, which a store that announces in its transactions sends.
final class CountingStore: SessionStore {
    let base: any SessionStore
    private let sessionReads = Mutex(0)
    private let phases = Mutex<[HandoverPhase]>([])

    /// The handover phases updates carried so far (`SessionUpdate.handoverPhase`), in order.
    var handoverPhases: [HandoverPhase] { phases.withLock { $0 } }

    /// What each `deleteIdleSessions` deleted (an empty list for a sweep that found nothing), as it returns.
    let idleSweeps: AsyncStream<[SessionID]>
    private let idleSweepsContinuation: AsyncStream<[SessionID]>.Continuation
    private let oldMessageCalls = Mutex(0)
    /// How many times `deleteOldMessages` was called so far.
    var oldMessageSweepCalls: Int { oldMessageCalls.withLock { $0 } }
    /// What each `deleteOldMessages` deleted, as it returns.
    let messageSweeps: AsyncStream<OldMessagesDeletion>
    private let messageSweepsContinuation: AsyncStream<OldMessagesDeletion>.Continuation

    init(_ base: any SessionStore) {
        self.base = base
        (idleSweeps, idleSweepsContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(100))
        (messageSweeps, messageSweepsContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(100))
    }

    /// How many times `session(id:)` was called so far.
    var sessionReadCount: Int { sessionReads.withLock { $0 } }

    /// Outbox jobs handed out so far, by `claimOutbox` and by completions (`completeOutbox(_:claimingNextAt:lease:)`).
    struct OutboxHandOuts: Equatable {
        var claimed = 0
        var handedOutOnCompletion = 0
    }
    private let outboxHandOuts = Mutex(OutboxHandOuts())
    var outboxHandOutCounts: OutboxHandOuts { outboxHandOuts.withLock { $0 } }

    func session(id: SessionID) async throws -> Session? {
        sessionReads.withLock { $0 += 1 }
        return try await base.session(id: id)
    }

    func session(endpointID: String, userID: String) async throws -> Session? { try await base.session(endpointID: endpointID, userID: userID) }
    func migrate() async throws { try await base.migrate() }
    func ping() async throws { try await base.ping() }
    /// Runs once, after the next `findOrCreateSession` found an existing session, before it is returned: a test
    /// deletes it there, as a retention sweep between a request's look-up and its write would.
    private let afterNextFind = Mutex<(@Sendable (Session) async throws -> Void)?>(nil)
    func onNextFind(_ action: @escaping @Sendable (Session) async throws -> Void) { afterNextFind.withLock { $0 = action } }

    func findOrCreateSession(
        endpointID: String, userID: String, channel: Channel, initialState: ConversationState, now: Date, makeID: @Sendable () -> SessionID
    ) async throws -> (session: Session, created: Bool) {
        let found = try await base.findOrCreateSession(
            endpointID: endpointID, userID: userID, channel: channel, initialState: initialState, now: now, makeID: makeID)
        if !found.created, let action = afterNextFind.withLock({ action in defer { action = nil }; return action }) { try await action(found.session) }
        return found
    }
    func update<T: Sendable>(
        sessionID: SessionID, now: Date, retracting: String?, committed: (@Sendable ((result: T, messages: [Message])) -> Void)?,
        _ body: @escaping @Sendable (inout SessionUpdate) throws -> T
    ) async throws -> (result: T, messages: [Message]) {
        try await base.update(sessionID: sessionID, now: now, retracting: retracting, committed: committed) { update in
            let result = try body(&update)
            if let phase = update.handoverPhase { self.phases.withLock { $0.append(phase) } }
            return result
        }
    }
    func messages(sessionID: SessionID, after: Int64, limit: Int) async throws -> [Message] {
        let hold = heldRead.withLock { held -> HeldRead? in
            guard let waiting = held, waiting.after == after else { return nil }
            held = nil
            return waiting
        }
        if let hold {
            await hold.reached.fire()
            try await hold.release.wait()
        }
        return try await base.messages(sessionID: sessionID, after: after, limit: limit)
    }

    /// A read of messages made to wait: `reached` fires when it comes, and it goes on once `release` opens.
    struct HeldRead: Sendable {
        let after: Int64
        let reached = Signal()
        let release = Latch()
    }
    private let heldRead = Mutex<HeldRead?>(nil)

    /// Makes the next read of the messages after `after` wait (a socket's backlog, say) until the test lets it go.
    func holdNextMessagesRead(after: Int64) -> HeldRead {
        let hold = HeldRead(after: after)
        heldRead.withLock { $0 = hold }
        return hold
    }
    func retractedMessages(sessionID: SessionID, after: Int64, through: Int64, limit: Int) async throws -> [Message] {
        try await base.retractedMessages(sessionID: sessionID, after: after, through: through, limit: limit)
    }
    func message(sessionID: SessionID, clientMessageID: String) async throws -> Message? {
        try await base.message(sessionID: sessionID, clientMessageID: clientMessageID)
    }
    func claimWakeUps(now: Date, lease: TimeInterval, limit: Int) async throws -> [SessionID] {
        try await base.claimWakeUps(now: now, lease: lease, limit: limit)
    }
    func nextWakeUp() async throws -> Date? { try await base.nextWakeUp() }
    func link(endpointID: String, conversationKey: String, to sessionID: SessionID) async throws {
        try await base.link(endpointID: endpointID, conversationKey: conversationKey, to: sessionID)
    }
    func sessionID(endpointID: String, conversationKey: String) async throws -> SessionID? {
        try await base.sessionID(endpointID: endpointID, conversationKey: conversationKey)
    }
    func sessionsWithActiveHandover() async throws -> [SessionID] { try await base.sessionsWithActiveHandover() }
    func claimStartupReconciliations(since: Date, after: SessionID?, now: Date, limit: Int) async throws -> [SessionID] {
        try await base.claimStartupReconciliations(since: since, after: after, now: now, limit: limit)
    }
    func claimOutbox(now: Date, lease: TimeInterval, limit: Int) async throws -> [OutboxItem] {
        let claimed = try await base.claimOutbox(now: now, lease: lease, limit: limit)
        outboxHandOuts.withLock { $0.claimed += claimed.count }
        return claimed
    }
    func renewOutboxLeases(_ items: [OutboxItem], until: Date) async throws { try await base.renewOutboxLeases(items, until: until) }
    func completeOutbox(_ item: OutboxItem, claimingNextAt now: Date?, lease: TimeInterval) async throws -> OutboxItem? {
        let next = try await base.completeOutbox(item, claimingNextAt: now, lease: lease)
        if next != nil { outboxHandOuts.withLock { $0.handedOutOnCompletion += 1 } }
        return next
    }
    func rescheduleOutbox(id: Int64, at: Date, error: String) async throws { try await base.rescheduleOutbox(id: id, at: at, error: error) }
    func deadLetterOutbox(id: Int64, error: String, now: Date) async throws { try await base.deadLetterOutbox(id: id, error: error, now: now) }
    func outbox(dead: Bool, limit: Int) async throws -> [OutboxItem] { try await base.outbox(dead: dead, limit: limit) }
    func requeueOutbox(id: Int64, now: Date) async throws -> Bool { try await base.requeueOutbox(id: id, now: now) }
    func outboxCounts() async throws -> OutboxCounts { try await base.outboxCounts() }
    func nextOutboxDue() async throws -> Date? { try await base.nextOutboxDue() }
    func recordDelivery(_ deliveryID: String, now: Date) async throws -> Bool { try await base.recordDelivery(deliveryID, now: now) }
    func forgetDelivery(_ deliveryID: String) async throws { try await base.forgetDelivery(deliveryID) }
    func forgetDeliveries(before: Date) async throws { try await base.forgetDeliveries(before: before) }
    func deleteIdleSessions(before: Date, limit: Int) async throws -> [SessionID] {
        let deleted = try await base.deleteIdleSessions(before: before, limit: limit)
        idleSweepsContinuation.yield(deleted)
        return deleted
    }
    func deleteOldMessages(before: Date, after: SessionID?, limit: Int) async throws -> OldMessagesDeletion {
        oldMessageCalls.withLock { $0 += 1 }
        let deleted = try await base.deleteOldMessages(before: before, after: after, limit: limit)
        messageSweepsContinuation.yield(deleted)
        return deleted
    }
    func deleteSession(id: SessionID) async throws -> SessionDeletion { try await base.deleteSession(id: id) }
    func saveFile(_ file: StoredFile) async throws { try await base.saveFile(file) }
    func file(id: String) async throws -> StoredFile? { try await base.file(id: id) }
    func setting(_ key: String) async throws -> String? { try await base.setting(key) }
    func setSetting(_ key: String, to value: String?) async throws { try await base.setSetting(key, to: value) }
    func setting(_ key: String, replacing stale: String?, orMake make: @Sendable () async throws -> String) async throws -> String {
        try await base.setting(key, replacing: stale, orMake: make)
    }
}

/// A `wrapStore` for the app builders that keeps the `CountingStore` it makes, for the test to read.
final class CountingStoreCapture: Sendable {
    private let made = Mutex<CountingStore?>(nil)

    func wrap(_ store: any SessionStore) -> any SessionStore {
        let counting = CountingStore(store)
        made.withLock { $0 = counting }
        return counting
    }

    /// The store `wrap` made.
    func store() throws -> CountingStore { try #require(made.withLock { $0 }) }
}
