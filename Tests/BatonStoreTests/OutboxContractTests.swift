import BatonCore
import BatonTestSupport
import Foundation
import Testing

/// The outbox, webhook-delivery and provider-order parts of the store contract.
@Suite("Store contract: outbox")
struct OutboxContractTests {
    static func enqueue(_ store: any SessionStore, _ session: Session, _ jobs: [OutboxJob], message: String? = nil) async throws {
        _ = try await store.update(sessionID: session.id, now: epoch) { update in
            if let message { update.append(draft(message)) }
            jobs.forEach { update.enqueue($0) }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func jobsAreSavedWithTheirStepAndNotWhenTheStepFails(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store)
        try await Self.enqueue(store, session, [.post(messageID: 1, handover: 1)], message: "hello")
        await #expect(throws: SessionStoreError.self) {
            _ = try await store.update(sessionID: session.id, now: epoch) { update in
                update.append(draft("again", clientID: "c"))
                update.append(draft("again", clientID: "c"))
                update.enqueue(.post(messageID: 2, handover: 1))
            }
        }
        #expect(try await store.outbox(dead: false, limit: 10).map(\.job) == [.post(messageID: 1, handover: 1)])
        #expect(try await store.outboxCounts() == OutboxCounts(pending: 1, dead: 0, oldestPendingAt: epoch))
    }

    /// What a job was saved with comes back whole when it is claimed, by the claim and by a completion that hands out
    /// the next: its session, its job, its trace, its times; and a retried one its last error.
    @Test(arguments: StoreKind.allCases)
    func aClaimedJobCarriesWhatItWasSavedWith(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store)
        let trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        _ = try await store.update(sessionID: session.id, now: epoch) { update in
            update.trace = trace
            update.enqueue(.post(messageID: 1, handover: 1))
            update.enqueue(.post(messageID: 2, handover: 1))
        }
        let claimed = try #require(try await store.claimOutbox(now: epoch, lease: 60, limit: 10).first)
        #expect(claimed.sessionID == session.id && claimed.job == .post(messageID: 1, handover: 1) && claimed.trace == trace)
        #expect(claimed.attempts == 1 && claimed.createdAt == epoch && claimed.nextAttemptAt == epoch && claimed.lastError == nil && claimed.deadAt == nil)
        let next = try #require(try await store.completeOutbox(claimed, claimingNextAt: epoch.addingTimeInterval(1), lease: 60))
        #expect(next.sessionID == session.id && next.job == .post(messageID: 2, handover: 1) && next.trace == trace && next.attempts == 1)
        try await store.rescheduleOutbox(id: next.id, at: epoch.addingTimeInterval(2), error: "HTTP 503")
        let retried = try #require(try await store.claimOutbox(now: epoch.addingTimeInterval(2), lease: 60, limit: 10).first)
        #expect(retried.id == next.id && retried.attempts == 2 && retried.lastError == "HTTP 503" && retried.nextAttemptAt == epoch.addingTimeInterval(2))
    }

    @Test(arguments: StoreKind.allCases)
    func onlyTheHeadOfEachSessionsQueueIsClaimedAndALeaseKeepsItFromASecondWorker(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let first = try await newSession(store, user: "a")
        let second = try await newSession(store, user: "b")
        try await Self.enqueue(store, first, [.post(messageID: 1, handover: 1), .post(messageID: 2, handover: 1)])
        try await Self.enqueue(store, second, [.close(conversationID: 9, handover: 1)])
        let claimed = try await store.claimOutbox(now: epoch, lease: 60, limit: 10)
        #expect(Set(claimed.map(\.job)) == [.post(messageID: 1, handover: 1), .close(conversationID: 9, handover: 1)])
        #expect(claimed.allSatisfy { $0.attempts == 1 })
        #expect(try await store.claimOutbox(now: epoch.addingTimeInterval(30), lease: 60, limit: 10).isEmpty, "leased, and the next job waits its turn")

        let head = try #require(claimed.first { $0.sessionID == first.id })
        try await store.completeOutbox(head)
        let next = try await store.claimOutbox(now: epoch.addingTimeInterval(30), lease: 60, limit: 10)
        #expect(next.map(\.job) == [.post(messageID: 2, handover: 1)])

        // A lease that ran out (its worker died) makes the job claimable again, as a second attempt.
        let again = try await store.claimOutbox(now: epoch.addingTimeInterval(61), lease: 60, limit: 10)
        #expect(again.map(\.job) == [.close(conversationID: 9, handover: 1)])
        #expect(again.first?.attempts == 2)
    }

    @Test(arguments: StoreKind.allCases)
    func completingAJobHandsOutTheNextOfItsQueueAndNothingElse(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store, user: "a")
        let other = try await newSession(store, user: "b")
        let snapshot = HandoverNotification.Snapshot(HandoverState(phase: .active, nodeID: "", number: 1))
        let queued = OutboxJob.event(HandoverNotification(id: "n1", kind: .queued, createdAt: epoch, handover: snapshot))
        try await Self.enqueue(store, session, [.post(messageID: 1, handover: 1), queued, .post(messageID: 2, handover: 1), .post(messageID: 3, handover: 1)])
        let otherQueued = OutboxJob.event(HandoverNotification(id: "n2", kind: .queued, createdAt: epoch, handover: snapshot))
        try await Self.enqueue(store, other, [.post(messageID: 9, handover: 1), .post(messageID: 10, handover: 1), otherQueued])
        let heads = try await store.claimOutbox(now: epoch, lease: 60, limit: 10)
        let first = try #require(heads.first { $0.job == .post(messageID: 1, handover: 1) })

        let second = try #require(try await store.completeOutbox(first, claimingNextAt: epoch.addingTimeInterval(1), lease: 60))
        #expect(second.job == .post(messageID: 2, handover: 1))
        #expect(second.attempts == 1, "handing out counts an attempt, as a claim does")
        #expect(try await store.claimOutbox(now: epoch.addingTimeInterval(30), lease: 60, limit: 10).isEmpty, "it is leased like a claimed job")
        #expect(try await store.claimOutbox(now: epoch.addingTimeInterval(61), lease: 60, limit: 10).count == 4, "until its lease (from the completion's time) runs out")

        // A completion that comes again (its worker's lease had run out) hands out nothing another worker holds.
        #expect(try await store.completeOutbox(first, claimingNextAt: epoch.addingTimeInterval(62), lease: 60) == nil)
        // Nor does one without a time (a stopping worker); and a completion never hands out a job of the session's
        // other queue or of another session, due as they are.
        #expect(try await store.completeOutbox(second, claimingNextAt: nil, lease: 60) == nil)
        let notification = try #require(heads.first { $0.job == queued })
        #expect(try await store.completeOutbox(notification, claimingNextAt: epoch.addingTimeInterval(200), lease: 60) == nil, "its queue is empty")
        let pending = try await store.outbox(dead: false, limit: 10).map(\.job)
        #expect(pending == [.post(messageID: 3, handover: 1), .post(messageID: 9, handover: 1), .post(messageID: 10, handover: 1), otherQueued])
    }

    @Test(arguments: StoreKind.allCases)
    func aSessionsNotificationsAreAQueueOfTheirOwnBesideItsDeskWork(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store)
        let snapshot = HandoverNotification.Snapshot(HandoverState(phase: .active, nodeID: "", number: 1))
        let queued = OutboxJob.event(HandoverNotification(id: "n1", kind: .queued, createdAt: epoch, handover: snapshot))
        let message = OutboxJob.event(HandoverNotification(id: "n2", kind: .agentMessage, createdAt: epoch, handover: snapshot, messageID: 3))
        try await Self.enqueue(store, session, [.post(messageID: 1, handover: 1), queued, .post(messageID: 2, handover: 1), message])
        #expect(try await store.nextOutboxDue() == epoch)
        let heads = try await store.claimOutbox(now: epoch, lease: 60, limit: 10)
        #expect(Set(heads.map(\.job)) == [.post(messageID: 1, handover: 1), queued], "one head per queue")
        // The desk work fails and waits; the notifications go on, in their own order.
        let post = try #require(heads.first { $0.job.kind == "post" })
        try await store.rescheduleOutbox(id: post.id, at: epoch.addingTimeInterval(600), error: "down")
        try await store.completeOutbox(try #require(heads.first { $0.job == queued }))
        #expect(try await store.claimOutbox(now: epoch.addingTimeInterval(1), lease: 60, limit: 10).map(\.job) == [message])
        #expect(try await store.claimOutbox(now: epoch.addingTimeInterval(2), lease: 60, limit: 10).isEmpty, "the desk queue waits its retry")
        #expect(try await store.nextOutboxDue() == epoch.addingTimeInterval(61), "the notification's lease runs out first")
    }

    @Test(arguments: StoreKind.allCases)
    func workersOfTwoProcessesClaimingAtOnceNeverShareAJob(kind: StoreKind) async throws {
        let (first, reopen) = try await kind.make()
        let second = try await reopen()
        var heads: Set<OutboxJob> = []
        for index in 0..<60 {
            let session = try await newSession(first, user: "u\(index)")
            try await Self.enqueue(first, session, [.post(messageID: Int64(index), handover: 1), .post(messageID: 1000 + Int64(index), handover: 1)])
            heads.insert(.post(messageID: Int64(index), handover: 1))
        }
        // Eight workers, four on each store, claim small batches until they find nothing left to take.
        let claimed = try await withThrowingTaskGroup(of: [OutboxItem].self) { group in
            for worker in 0..<8 {
                let store = worker.isMultiple(of: 2) ? first : second
                group.addTask {
                    var mine: [OutboxItem] = []
                    while true {
                        let batch = try await store.claimOutbox(now: epoch, lease: 600, limit: 3)
                        if batch.isEmpty { return mine }
                        mine += batch
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(claimed.count == 60, "each head once")
        #expect(Set(claimed.map(\.job)) == heads, "only heads: each session's second job waits")
        #expect(try await second.claimOutbox(now: epoch.addingTimeInterval(1), lease: 600, limit: 100).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func rescheduledJobsWaitAndDeadJobsStepAsideUntilRequeued(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store)
        try await Self.enqueue(store, session, [.post(messageID: 1, handover: 1), .post(messageID: 2, handover: 1)])
        let first = try #require(try await store.claimOutbox(now: epoch, lease: 60, limit: 1).first)
        try await store.rescheduleOutbox(id: first.id, at: epoch.addingTimeInterval(10), error: "HTTP 429")
        #expect(try await store.claimOutbox(now: epoch.addingTimeInterval(5), lease: 60, limit: 10).isEmpty)
        #expect(try await store.nextOutboxDue() == epoch.addingTimeInterval(10))
        let retried = try #require(try await store.claimOutbox(now: epoch.addingTimeInterval(10), lease: 60, limit: 10).first)
        #expect(retried.id == first.id)
        #expect(retried.lastError == "HTTP 429")

        try await store.deadLetterOutbox(id: retried.id, error: "HTTP 404", now: epoch.addingTimeInterval(11))
        let dead = try await store.outbox(dead: true, limit: 10)
        #expect(dead.map(\.job) == [.post(messageID: 1, handover: 1)])
        #expect(dead.first?.deadAt == epoch.addingTimeInterval(11))
        #expect(try await store.claimOutbox(now: epoch.addingTimeInterval(11), lease: 60, limit: 10).map(\.job) == [.post(messageID: 2, handover: 1)])

        #expect(try await store.requeueOutbox(id: retried.id, now: epoch.addingTimeInterval(12)))
        #expect(try await !store.requeueOutbox(id: 424_242, now: epoch))
        #expect(try await store.outboxCounts() == OutboxCounts(pending: 2, dead: 0, oldestPendingAt: epoch))
    }

    @Test(arguments: StoreKind.allCases)
    func eachQueuesHeadIsItsOldestLiveJobAfterAnyMixOfEnqueuesCompletionsDeadLettersAndRequeues(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let sessions = [try await newSession(store, user: "a"), try await newSession(store, user: "b")]
        let snapshot = HandoverNotification.Snapshot(HandoverState(phase: .active, nodeID: "", number: 1))
        // The model: each queue's live jobs in order (ids are the store's), and the dead ones.
        var queues: [String: [Int64]] = [:]
        var dead: [Int64] = []
        var generator = SeededGenerator(state: 17)
        var time = epoch
        var counter: Int64 = 0
        for _ in 0..<120 {
            time = time.addingTimeInterval(1)
            let claimed = try await store.claimOutbox(now: time, lease: 0.5, limit: 100)
            let expectedHeads = Set(queues.values.compactMap(\.first))
            #expect(Set(claimed.map(\.id)) == expectedHeads)
            let heads = Dictionary(uniqueKeysWithValues: claimed.map { ($0.id, $0) })
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<5:
                counter += 1
                let session = sessions[Int.random(in: 0..<2, using: &generator)]
                let job: OutboxJob =
                    Bool.random(using: &generator)
                    ? .event(HandoverNotification(id: "n\(counter)", kind: .queued, createdAt: epoch, handover: snapshot))
                    : .post(messageID: counter, handover: 1)
                try await Self.enqueue(store, session, [job])
                let stored = try #require(try await store.outbox(dead: false, limit: 1_000).max { $0.id < $1.id })
                queues["\(session.id.rawValue)/\(job.kind == "event")", default: []].append(stored.id)
            case 5..<9:
                let live = queues.keys.sorted().filter { queues[$0]?.isEmpty == false }
                guard let key = live.randomElement(using: &generator), let id = queues[key]?.removeFirst() else { continue }
                let head = try #require(heads[id])
                if Bool.random(using: &generator) {
                    try await store.completeOutbox(head)
                } else {
                    try await store.deadLetterOutbox(id: head.id, error: "gone", now: time)
                    dead.append(head.id)
                }
            default:
                guard let id = dead.popLast() else { continue }
                let item = try #require(try await store.outbox(dead: true, limit: 1_000).first { $0.id == id })
                #expect(try await store.requeueOutbox(id: id, now: time))
                let requeued = try #require(try await store.outbox(dead: false, limit: 1_000).max { $0.id < $1.id })
                queues["\(item.sessionID.rawValue)/\(item.job.kind == "event")", default: []].append(requeued.id)
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aJobEnqueuedWhileItsQueuesHeadEndsIsNeverLeftBehind(kind: StoreKind) async throws {
        let (first, reopen) = try await kind.make()
        let second = try await reopen()
        for round in 0..<30 {
            let session = try await newSession(first, user: "u\(round)")
            try await Self.enqueue(first, session, [.post(messageID: 1, handover: 1)])
            let head = try #require(try await first.claimOutbox(now: epoch, lease: 600, limit: 100).first { $0.sessionID == session.id })
            // The head ends in one process while the next job is enqueued in another, at the same moment.
            async let ended: Void =
                round.isMultiple(of: 2)
                ? first.completeOutbox(head) : first.deadLetterOutbox(id: head.id, error: "gone", now: epoch)
            async let enqueued: Void = Self.enqueue(second, session, [.post(messageID: 2, handover: 1)])
            _ = try await (ended, enqueued)
            let next = try await second.claimOutbox(now: epoch, lease: 600, limit: 100).filter { $0.sessionID == session.id }
            #expect(next.map(\.job) == [.post(messageID: 2, handover: 1)], "round \(round)")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aRenewedLeaseKeepsARunningJobAndNothingElse(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let first = try await newSession(store, user: "a")
        let second = try await newSession(store, user: "b")
        try await Self.enqueue(store, first, [.post(messageID: 1, handover: 1)])
        try await Self.enqueue(store, second, [.post(messageID: 2, handover: 1)])
        let claimed = try await store.claimOutbox(now: epoch, lease: 4, limit: 10)
        let running = try #require(claimed.first { $0.sessionID == first.id })
        let rescheduled = try #require(claimed.first { $0.sessionID == second.id })
        try await store.rescheduleOutbox(id: rescheduled.id, at: epoch.addingTimeInterval(2), error: "HTTP 429")

        // The heartbeat at 3 s: the running job's lease now runs until 7 s; the rescheduled one is not leased again.
        try await store.renewOutboxLeases([running, rescheduled], until: epoch.addingTimeInterval(7))
        #expect(try await store.claimOutbox(now: epoch.addingTimeInterval(5), lease: 4, limit: 10).map(\.id) == [rescheduled.id])
        #expect(try await store.nextOutboxDue() == epoch.addingTimeInterval(7))

        // Its worker died: once the lease runs out another takes it, and the old worker's renewal no longer applies.
        try await store.completeOutbox(rescheduled)
        let takenOver = try #require(try await store.claimOutbox(now: epoch.addingTimeInterval(7), lease: 4, limit: 10).first)
        #expect(takenOver.id == running.id && takenOver.attempts == 2)
        try await store.renewOutboxLeases([running], until: epoch.addingTimeInterval(60))
        #expect(try await store.nextOutboxDue() == epoch.addingTimeInterval(11), "the stale renewal left the new worker's lease alone")
    }

    @Test(arguments: StoreKind.allCases)
    func jobsSurviveARestart(kind: StoreKind) async throws {
        let (store, reopen) = try await kind.make()
        let session = try await newSession(store)
        let request = HandoverRequest(nodeID: "h", provider: "chatwoot", inbox: 3, acceptedMessage: MessageContent(text: "soon"))
        try await Self.enqueue(store, session, [.open(request, number: 1), .note("note", handover: 1)])
        _ = try await store.claimOutbox(now: epoch, lease: 60, limit: 10)
        let reopened = try await reopen()
        let pending = try await reopened.outbox(dead: false, limit: 10)
        #expect(pending.map(\.job) == [.open(request, number: 1), .note("note", handover: 1)])
    }

    @Test(arguments: StoreKind.allCases)
    func aDeliveryIdIsRecordedOnceAndCanBeForgotten(kind: StoreKind) async throws {
        let store = try await kind.make().store
        #expect(try await store.recordDelivery("d1", now: epoch))
        #expect(try await !store.recordDelivery("d1", now: epoch))
        try await store.forgetDelivery("d1")
        #expect(try await store.recordDelivery("d1", now: epoch))
        try await store.forgetDeliveries(before: epoch.addingTimeInterval(1))
        #expect(try await store.recordDelivery("d1", now: epoch))
    }

    @Test(arguments: StoreKind.allCases)
    func aLateMessageGoesBeforeTheOnesThatFollowItInTheProvidersOrder(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store)
        @Sendable func agent(_ order: Int64) -> MessageDraft {
            MessageDraft(sender: .agent, content: MessageContent(text: "m\(order)"), createdAt: epoch, externalID: "chatwoot:\(order)", externalOrder: order)
        }
        for order: Int64 in [10, 30, 40] { _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(agent(order)) } }
        _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("user says")) }
        let (_, stored) = try await store.update(sessionID: session.id, now: epoch) { $0.append(agent(20)) }
        #expect(stored.map(\.content.text) == ["m20", "m30", "m40"])
        #expect(stored.map(\.movedFrom) == [nil, 2, 3])

        let all = try await store.messages(sessionID: session.id, after: 0, limit: 100)
        let live = all.filter { !$0.retracted }.map(\.content.text)
        #expect(live == ["m10", "user says", "m20", "m30", "m40"])
        #expect(all.filter { $0.movedTo != nil }.map(\.id) == [2, 3])
        // The external ids moved with the messages: a redelivery of 30 is still a duplicate.
        await #expect(throws: SessionStoreError.duplicateExternalMessage(session.id, "chatwoot:30")) {
            _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(agent(30)) }
        }
    }

    /// What a page that showed messages up to an id and reconnects is told was taken back meanwhile: the moved and
    /// the deleted messages up to that id, in order, of its session only, a page at a time.
    @Test(arguments: StoreKind.allCases)
    func retractedMessagesAreReadUpToAnIdAPageAtATime(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store, user: "a")
        let other = try await newSession(store, user: "b")
        @Sendable func agent(_ order: Int64) -> MessageDraft {
            MessageDraft(sender: .agent, content: MessageContent(text: "m\(order)"), createdAt: epoch, externalID: "chatwoot:\(order)", externalOrder: order)
        }
        for order: Int64 in [10, 30, 40] { _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(agent(order)) } }
        _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(agent(20)) }  // moves 2 and 3 to 5 and 6
        _ = try await store.retract(sessionID: session.id, externalID: "chatwoot:10")
        _ = try await store.retract(sessionID: session.id, externalID: "chatwoot:40")  // the copy, 6
        _ = try await store.update(sessionID: other.id, now: epoch) { $0.append(agent(10)) }
        _ = try await store.retract(sessionID: other.id, externalID: "chatwoot:10")

        let all = try await store.retractedMessages(sessionID: session.id, after: 0, through: 100, limit: 100)
        #expect(all.map(\.id) == [1, 2, 3, 6])
        #expect(all.map(\.movedTo) == [nil, 5, 6, nil])
        #expect(all.allSatisfy { $0.retracted })
        #expect(try await store.retractedMessages(sessionID: session.id, after: 0, through: 5, limit: 100).map(\.id) == [1, 2, 3])
        #expect(try await store.retractedMessages(sessionID: session.id, after: 0, through: 3, limit: 2).map(\.id) == [1, 2])
        #expect(try await store.retractedMessages(sessionID: session.id, after: 2, through: 3, limit: 2).map(\.id) == [3])
        #expect(try await store.retractedMessages(sessionID: session.id, after: 0, through: 0, limit: 100).isEmpty)
        #expect(try await store.retractedMessages(sessionID: other.id, after: 0, through: 100, limit: 100).map(\.id) == [1])
    }

    @Test(arguments: StoreKind.allCases)
    func sessionsWithAnActiveHandoverAreFound(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let active = try await newSession(store, user: "a")
        let resolved = try await newSession(store, user: "b")
        _ = try await newSession(store, user: "c")
        for (session, phase) in [(active, HandoverState.Phase.active), (resolved, .resolved)] {
            _ = try await store.update(sessionID: session.id, now: epoch) { update in
                update.state.handover = HandoverState(phase: phase, nodeID: "h", number: 1, conversationID: 7)
            }
        }
        #expect(try await store.sessionsWithActiveHandover() == [active.id])
    }
}
