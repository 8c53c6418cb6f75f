@testable import BatonServer
import BatonCore
import BatonStoreSQLite
import Foundation
import Logging
import Testing

@Suite("Outbox worker")
struct OutboxWorkerTests {
    /// Carries every job out at once and reports each, in the order it was given them.
    final class ReportingPerformer: OutboxPerformer {
        let performed: AsyncStream<OutboxJob>
        private let continuation: AsyncStream<OutboxJob>.Continuation

        init() { (performed, continuation) = AsyncStream.makeStream(of: OutboxJob.self) }

        func perform(_ item: OutboxItem) async -> JobOutcome {
            continuation.yield(item.job)
            return .done
        }

        func deadLettered(_ item: OutboxItem, reason: String) async {}
    }

    /// The first `count` jobs carried out, or a failure after ten seconds.
    static func first(_ count: Int, of performed: AsyncStream<OutboxJob>) async throws -> [OutboxJob] {
        try await withThrowingTaskGroup(of: [OutboxJob]?.self) { group in
            group.addTask { await Array(performed.prefix(count).reduce(into: []) { $0.append($1) }) }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                return nil
            }
            defer { group.cancelAll() }
            guard let jobs = try await group.next() ?? nil else { throw CancellationError() }
            return jobs
        }
    }

    @Test func aSessionsWaitingJobsFollowEachOtherEachCompletionHandingOutTheNext() async throws {
        let store = CountingStore(try SQLiteSessionStore(path: TestBaton.databasePath()))
        try await store.migrate()
        let session = try await store.findOrCreateSession(
            endpointID: "e1", userID: "u1", channel: .webchat, initialState: ConversationState(), now: Date(), makeID: SessionID.random
        ).session
        let jobs = (1...5).map { OutboxJob.post(messageID: Int64($0), handover: 1) }
        _ = try await store.update(sessionID: session.id, now: Date()) { update in jobs.forEach { update.enqueue($0) } }

        let performer = ReportingPerformer()
        let worker = OutboxWorker(
            store: store, performer: performer, doorbell: Doorbell(), policy: HandoverEndToEndTests.retry, metrics: BatonMetrics(), now: Date.init,
            logger: Logger(label: "outbox-worker-test"))
        let running = Task { try await worker.run() }
        defer { running.cancel() }
        worker.storeIsReady()

        #expect(try await Self.first(5, of: performer.performed) == jobs, "in the session's order")
        // One claim found the first; each completion handed out the next, in its own write.
        #expect(store.outboxHandOutCounts == CountingStore.OutboxHandOuts(claimed: 1, handedOutOnCompletion: 4))
    }
}
