import BatonCore
import BatonStorePostgres
import Foundation
import GRDB
import Testing
@testable import BatonStoreSQLite

/// Deleting sessions: idle ones after the retention period, and one an operator erases. A deleted session goes whole
/// (messages, files, conversation links, jobs), and one that still has something to do stays.
@Suite("Store contract: retention")
struct RetentionContractTests {
    static let day: TimeInterval = 24 * 3600

    /// A session with everything a session can own: messages, a file, a conversation link, a dead-lettered job.
    static func fullSession(_ store: any SessionStore, user: String) async throws -> (session: Session, file: String, link: String) {
        let session = try await newSession(store, user: user)
        try await OutboxContractTests.enqueue(store, session, [.post(messageID: 1, handover: 1)], message: "hello")
        let job = try #require(try await store.claimOutbox(now: epoch, lease: 60, limit: 10).first { $0.sessionID == session.id })
        try await store.deadLetterOutbox(id: job.id, error: "HTTP 404", now: epoch)
        let file = "f_\(user)"
        try await store.saveFile(StoredFile(id: file, sessionID: session.id, name: "a.txt", mimeType: "text/plain", bytes: [1, 2], createdAt: epoch))
        let link = "conversation-of-\(user)"
        try await store.link(endpointID: "e1", conversationKey: link, to: session.id)
        return (session, file, link)
    }

    static func setPhase(_ store: any SessionStore, _ session: Session, _ phase: HandoverState.Phase, at time: Date = epoch) async throws {
        _ = try await store.update(sessionID: session.id, now: time) { update in
            update.state.handover = HandoverState(phase: phase, nodeID: "agent", number: 1, conversationID: 5)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func idleSessionsGoWholeAndSessionsWithSomethingToDoStay(kind: StoreKind) async throws {
        let (store, reopen) = try await kind.make()
        let other = try await reopen()  // for PostgreSQL another instance, with caches of its own
        let idle = try await Self.fullSession(store, user: "idle")
        #expect(try await other.sessionID(endpointID: "e1", conversationKey: idle.link) == idle.session.id, "the other instance knows the link")
        let resolved = try await newSession(store, user: "resolved")
        try await Self.setPhase(store, resolved, .resolved)
        let recent = try await newSession(store, user: "recent")
        _ = try await store.update(sessionID: recent.id, now: epoch.addingTimeInterval(40 * Self.day)) { $0.append(draft("back again")) }
        let active = try await newSession(store, user: "active")
        try await Self.setPhase(store, active, .active)
        let opening = try await newSession(store, user: "opening")
        try await Self.setPhase(store, opening, .opening)
        let waiting = try await newSession(store, user: "waiting")
        try await OutboxContractTests.enqueue(store, waiting, [.post(messageID: 1, handover: 1)], message: "still to send")

        let cutoff = epoch.addingTimeInterval(30 * Self.day)
        let first = try await store.deleteIdleSessions(before: cutoff, limit: 1)
        let rest = try await store.deleteIdleSessions(before: cutoff, limit: 10)
        #expect(first.count == 1, "at most the limit")
        #expect(Set(first + rest) == [idle.session.id, resolved.id])
        #expect(try await store.deleteIdleSessions(before: cutoff, limit: 10).isEmpty)

        // The other instance learns of it on its next write (a webhook) as well as on a read.
        await #expect(throws: SessionStoreError.sessionNotFound(idle.session.id)) {
            try await other.update(sessionID: idle.session.id, now: cutoff) { $0.append(draft("late")) }
        }
        #expect(try await other.sessionID(endpointID: "e1", conversationKey: idle.link) == nil, "its link forgotten there")
        for reader in [store, other] {
            #expect(try await reader.session(id: idle.session.id) == nil)
            #expect(try await reader.messages(sessionID: idle.session.id, after: 0, limit: 10).isEmpty)
            #expect(try await reader.file(id: idle.file) == nil)
            #expect(try await reader.sessionID(endpointID: "e1", conversationKey: idle.link) == nil, "the link went with it, for every instance")
        }
        #expect(try await store.outbox(dead: true, limit: 10).allSatisfy { $0.sessionID != idle.session.id }, "its dead-lettered job too")
        for kept in [recent, active, opening, waiting] {
            #expect(try await store.session(id: kept.id) != nil, "\(kept.userID) has something to do or was written lately")
        }
        #expect(try await store.messages(sessionID: waiting.id, after: 0, limit: 10).map(\.content.text) == ["still to send"])
        #expect(try await store.outbox(dead: false, limit: 10).map(\.sessionID) == [waiting.id])

        // The user comes back: a new session, with nothing of the old one.
        let (again, created) = try await store.findOrCreateSession(
            endpointID: "e1", userID: "idle", channel: .webchat, initialState: ConversationState(), now: cutoff, makeID: SessionID.random)
        #expect(created && again.id != idle.session.id && again.lastMessageID == 0)
        #expect(try await store.messages(sessionID: again.id, after: 0, limit: 10).isEmpty)
    }

    /// A session in use for longer than messages are kept (a WhatsApp contact who writes every month) loses its old
    /// messages and files, not itself; one with something in progress keeps them all until the next sweep.
    @Test(arguments: StoreKind.allCases)
    func oldMessagesGoFromSessionsWithNothingInProgressAndTheSessionsStay(kind: StoreKind) async throws {
        let (store, reopen) = try await kind.make()
        let day: @Sendable (Double) -> Date = { epoch.addingTimeInterval($0 * Self.day) }
        let cutoff = day(30)
        // Over a thousand old messages: more than one write's span of ids.
        let longLived = try await newSession(store, user: "long-lived")
        _ = try await store.update(sessionID: longLived.id, now: day(0)) { update in
            update.state.context = .object(["plan": .string("gold")])
            for n in 0..<1_100 { update.append(draft("old \(n)", at: day(0))) }
        }
        _ = try await store.update(sessionID: longLived.id, now: day(31)) { $0.append(draft("a month on", at: day(31))) }
        _ = try await store.update(sessionID: longLived.id, now: day(40)) { $0.append(draft("recent", at: day(40))) }
        try await store.saveFile(StoredFile(id: "f_old", sessionID: longLived.id, name: "a.txt", mimeType: "text/plain", bytes: [1], createdAt: day(1)))
        try await store.saveFile(StoredFile(id: "f_new", sessionID: longLived.id, name: "b.txt", mimeType: "text/plain", bytes: [2], createdAt: day(35)))
        // Something in progress: a handover whose agents are sent the history, work still waiting.
        let active = try await newSession(store, user: "active")
        _ = try await store.update(sessionID: active.id, now: day(0)) { $0.append(draft("history", at: day(0))) }
        try await Self.setPhase(store, active, .active, at: day(40))
        let waiting = try await newSession(store, user: "waiting")
        try await OutboxContractTests.enqueue(store, waiting, [.post(messageID: 1, handover: 1)], message: "still to send")
        try await store.saveFile(StoredFile(id: "f_waiting", sessionID: waiting.id, name: "c.txt", mimeType: "text/plain", bytes: [3], createdAt: day(0)))
        let other = try await reopen()

        // A page at a time, as the housekeeping sweeps: each page's last session is where the next begins.
        var total = OldMessagesDeletion(messages: 0, files: 0, lastSessionID: nil)
        var after: SessionID?
        var pages = 0
        repeat {
            let page = try await store.deleteOldMessages(before: cutoff, after: after, limit: 1)
            total.messages += page.messages
            total.files += page.files
            after = page.lastSessionID
            pages += 1
        } while after != nil && pages < 10
        #expect(total.messages == 1_100 && total.files == 1)
        #expect(pages >= 3, "one session a page")

        for reader in [store, other] {
            #expect(try await reader.messages(sessionID: longLived.id, after: 0, limit: 10).map(\.content.text) == ["a month on", "recent"])
            #expect(try await reader.file(id: "f_old") == nil)
            #expect(try await reader.file(id: "f_new") != nil)
            #expect(try await reader.messages(sessionID: active.id, after: 0, limit: 10).map(\.content.text) == ["history"])
            #expect(try await reader.messages(sessionID: waiting.id, after: 0, limit: 10).map(\.content.text) == ["still to send"])
            #expect(try await reader.file(id: "f_waiting") != nil)
        }
        // The session stays whole but for its old messages, and its next message takes the next id.
        let kept = try #require(try await store.session(id: longLived.id))
        #expect(kept.state.context == .object(["plan": .string("gold")]) && kept.lastMessageID == 1_102)
        let (_, next) = try await store.update(sessionID: longLived.id, now: day(41)) { $0.append(draft("next", at: day(41))) }
        #expect(next.map(\.id) == [1_103])
        #expect(try await store.deleteOldMessages(before: cutoff, after: nil, limit: 10) == OldMessagesDeletion(messages: 0, files: 0, lastSessionID: nil))

        // Once the handover is over and the work done, the next sweep takes theirs too.
        try await Self.setPhase(store, active, .resolved, at: day(41))
        let job = try #require(try await store.claimOutbox(now: day(41), lease: 60, limit: 10).first { $0.sessionID == waiting.id })
        _ = try await store.completeOutbox(job, claimingNextAt: nil, lease: 60)
        #expect(try await store.deleteOldMessages(before: cutoff, after: nil, limit: 10).messages == 2)
        #expect(try await store.messages(sessionID: active.id, after: 0, limit: 10).isEmpty)
        #expect(try await store.file(id: "f_waiting") == nil)
    }

    /// An operator knows a user by their id on an endpoint: the session is found by it, and none is made.
    @Test(arguments: StoreKind.allCases)
    func aSessionIsFoundByItsUserWithoutMakingOne(kind: StoreKind) async throws {
        let store = try await kind.make().store
        #expect(try await store.session(endpointID: "e1", userID: "crm-42") == nil)
        #expect(try await store.session(endpointID: "e1", userID: "crm-42") == nil, "asking made none")
        let session = try await newSession(store, user: "crm-42")
        #expect(try await store.session(endpointID: "e1", userID: "crm-42")?.id == session.id)
        #expect(try await store.session(endpointID: "e2", userID: "crm-42") == nil, "a user is theirs on one endpoint")
    }

    @Test(arguments: StoreKind.allCases)
    func anOperatorErasesASessionUnlessItsHandoverIsInProgress(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let full = try await Self.fullSession(store, user: "full")
        // Work still waiting goes with it: the user asked for their data to go.
        try await OutboxContractTests.enqueue(store, full.session, [.post(messageID: 2, handover: 1)], message: "one more")
        let active = try await newSession(store, user: "active")
        try await Self.setPhase(store, active, .active)

        #expect(try await store.deleteSession(id: active.id) == .handoverInProgress)
        #expect(try await store.session(id: active.id) != nil)
        #expect(try await store.deleteSession(id: full.session.id) == .deleted)
        #expect(try await store.session(id: full.session.id) == nil)
        #expect(try await store.messages(sessionID: full.session.id, after: 0, limit: 10).isEmpty)
        #expect(try await store.file(id: full.file) == nil)
        #expect(try await store.sessionID(endpointID: "e1", conversationKey: full.link) == nil)
        #expect(try await store.outbox(dead: false, limit: 10).isEmpty)
        #expect(try await store.outbox(dead: true, limit: 10).isEmpty)
        #expect(try await store.deleteSession(id: full.session.id) == .notFound)

        try await Self.setPhase(store, active, .resolved)
        #expect(try await store.deleteSession(id: active.id) == .deleted, "once the agents ended it")
    }

    /// PostgreSQL: a session a write transaction holds now is being written, so not idle: the sweep passes it over
    /// instead of waiting, so it never waits on (or deadlocks with) a group commit that holds several sessions.
    @Test func aSweepPassesOverASessionAWriteHoldsWithoutWaitingForIt() async throws {
        guard !PostgresTestServer.isSkipped else { return }
        let schema = try await PostgresTestServer.freshSchema()
        let store = try await PostgresTestServer.store(schema: schema)
        let held = try await newSession(store, user: "held")
        let free = try await newSession(store, user: "free")
        let cutoff = epoch.addingTimeInterval(30 * Self.day)
        let (answeredFirst, deleted) = try await Self.whileAWriteHolds(held, schema: schema) {
            try await store.deleteIdleSessions(before: cutoff, limit: 10)
        }
        #expect(answeredFirst, "the sweep answered while the write held its session")
        #expect(deleted == [free.id])
        #expect(try await store.deleteIdleSessions(before: cutoff, limit: 10) == [held.id], "once the write is over")
    }

    /// The same for the sweep of old messages: the session a write holds keeps them until the next sweep.
    @Test func aSweepOfOldMessagesPassesOverASessionAWriteHoldsWithoutWaitingForIt() async throws {
        guard !PostgresTestServer.isSkipped else { return }
        let schema = try await PostgresTestServer.freshSchema()
        let store = try await PostgresTestServer.store(schema: schema)
        let held = try await newSession(store, user: "held")
        let free = try await newSession(store, user: "free")
        for session in [held, free] { _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("old")) } }
        let cutoff = epoch.addingTimeInterval(30 * Self.day)
        let (answeredFirst, deleted) = try await Self.whileAWriteHolds(held, schema: schema) {
            try await store.deleteOldMessages(before: cutoff, after: nil, limit: 10)
        }
        #expect(answeredFirst, "the sweep answered while the write held its session")
        #expect(deleted.messages == 1)
        #expect(try await store.messages(sessionID: free.id, after: 0, limit: 10).isEmpty)
        #expect(try await store.messages(sessionID: held.id, after: 0, limit: 10).count == 1)
        #expect(try await store.deleteOldMessages(before: cutoff, after: nil, limit: 10).messages == 1, "once the write is over")
    }

    /// Runs `sweep` while another transaction holds `session`'s row, and says whether it answered before a timeout;
    /// a sweep that waits for the lock is let go (by releasing it) once the timeout has said so.
    static func whileAWriteHolds<T: Sendable>(
        _ session: Session, schema: String, _ sweep: @escaping @Sendable () async throws -> T
    ) async throws -> (answeredFirst: Bool, result: T) {
        let lock = try await PostgresGroupCommitTests.RowLock(session.id, schema: schema)
        let (firsts, first) = AsyncStream.makeStream(of: Bool.self)
        let sweeping = Task {
            defer { first.yield(true) }
            return try await sweep()
        }
        let timeout = Task {
            try? await Task.sleep(for: .seconds(10))
            first.yield(false)
        }
        var arrivals = firsts.makeAsyncIterator()
        let answeredFirst = await arrivals.next() ?? false
        timeout.cancel()
        try await lock.release()
        return (answeredFirst, try await sweeping.value)
    }
}

extension RetentionContractTests {
    /// Deleting a session deletes its files, links and outbox jobs (`ON DELETE CASCADE`, which looks them up by
    /// `session_id` alone), and the sweep of old messages its old files: each finds them by the session, through an
    /// index, not by reading the whole table.
    @Test func sqliteFindsASessionsFilesLinksAndJobsThroughTheirIndexes() async throws {
        let (store, _) = try await StoreKind.sqlite.make()
        let sqlite = try #require(store as? SQLiteSessionStore)
        for (sql, index) in [
            ("SELECT 1 FROM files WHERE session_id = ?", "files_by_session"),
            ("SELECT 1 FROM files WHERE session_id = ? AND created_at < ?", "files_by_session"),
            ("SELECT 1 FROM handover_links WHERE session_id = ?", "handover_links_by_session"),
            ("SELECT 1 FROM outbox WHERE session_id = ?", "outbox_by_session"),
        ] {
            let plan = try await sqlite.writer.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(Array(repeating: 0, count: sql.count { $0 == "?" })))
                    .map { $0["detail"] as String }
            }
            #expect(plan.contains { $0.contains(index) }, "\(sql): \(plan)")
        }
    }
}
