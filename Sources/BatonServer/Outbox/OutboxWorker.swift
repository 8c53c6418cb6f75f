public import BatonCore
public import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// What became of one attempt at an outbox job.
public enum JobOutcome: Sendable, Hashable {
    /// Done: the job is removed.
    case done
    /// Not now: tried again after a backoff, or dead-lettered once the retry budget is spent.
    case retry(String)
    /// Sent without an answer: like `retry`, but not before `settle` has passed.
    case unsettled(String, settle: Duration)
    /// Never: dead-lettered at once.
    case dead(String)
}

/// Runs the outbox: claims due jobs from the store (only the oldest pending job of each session, so each session's
/// provider work keeps its order), carries them out concurrently across sessions, and reschedules or dead-letters
/// what fails. Jobs live in the store, so a restart or a crash delays them and loses none; a lease keeps two
/// workers (two instances on one database) from running one job twice.
public final class OutboxWorker: Service, Sendable {
    /// Carries out one job.
    public typealias Perform = @Sendable (OutboxItem) async -> JobOutcome
    /// Told about a job given up, after it was dead-lettered.
    public typealias DeadLetter = @Sendable (OutboxItem, String) async -> Void

    let store: any SessionStore
    let policy: RetryPolicy
    let now: @Sendable () -> Date
    let logger: Logger
    let metrics: BatonMetrics
    /// How long a claimed job is reserved for its worker (`delivery.leaseSeconds`): longer than any job takes, and
    /// how long a job whose instance died waits before another instance takes it over.
    let lease: TimeInterval
    /// Jobs carried out at once.
    static let concurrency = 64
    /// Other instances may add jobs this one is not told about; it looks at least this often.
    static let pollInterval: Duration = .seconds(1)

    /// What carries jobs out, boxed: closures kept as a tuple in the generic `Mutex` were wrapped in another pair of
    /// reabstraction thunks by the lock's accesses, so a job's call went through ever more of them (about 2,600 deep
    /// per job after a few thousand jobs, most of Baton's time in the user-message benchmark).
    private final class Handlers: Sendable {
        let perform: Perform
        let deadLetter: DeadLetter
        init(perform: @escaping Perform, deadLetter: @escaping DeadLetter) {
            self.perform = perform
            self.deadLetter = deadLetter
        }
    }

    private let handlers = Mutex<Handlers?>(nil)
    private let doorbell = Doorbell()
    private let inFlight = Mutex(0)
    private let isReady = Mutex(false)

    public init(
        store: any SessionStore, policy: RetryPolicy, lease: Duration = .seconds(60), metrics: BatonMetrics, now: @escaping @Sendable () -> Date,
        logger: Logger
    ) {
        self.store = store
        self.policy = policy
        self.lease = lease.seconds
        self.metrics = metrics
        self.now = now
        self.logger = logger
    }

    /// Sets what carries jobs out; the conversation service does this once it exists.
    public func handle(perform: @escaping Perform, deadLetter: @escaping DeadLetter) {
        let handlers = Handlers(perform: perform, deadLetter: deadLetter)
        self.handlers.withLock { $0 = handlers }
    }

    /// Says that jobs were stored, so they start now rather than at the next poll.
    public func wake() { doorbell.ring() }

    /// Lets the worker start: called once the store's schema is migrated (before, its tables may not exist).
    public func storeIsReady() {
        isReady.withLock { $0 = true }
        doorbell.ring()
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                while !Task.isCancelled && !Task.isShuttingDownGracefully && !isReady.withLock({ $0 }) {
                    await doorbell.wait(upTo: Self.pollInterval)
                }
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    let room = Self.concurrency - inFlight.withLock { $0 }
                    var claimed: [OutboxItem] = []
                    if room > 0, handlers.withLock({ $0 }) != nil {
                        do {
                            claimed = try await store.claimOutbox(now: now(), lease: lease, limit: room)
                        } catch {
                            logger.error("the outbox could not be read", metadata: ["error": "\(String(reflecting: error))"])
                        }
                    }
                    for item in claimed {
                        inFlight.withLock { $0 += 1 }
                        group.addTask {
                            await self.attempt(item)
                            self.inFlight.withLock { $0 -= 1 }
                            // Finishing a job may have made its session's next job the head of its queue.
                            self.doorbell.ring()
                        }
                    }
                    if !claimed.isEmpty && claimed.count == room { continue }
                    await doorbell.wait(upTo: await waitDuration())
                }
            }
        } onGracefulShutdown: {
            self.doorbell.ring()
        }
    }

    /// Until the earliest pending job falls due, at most the poll interval.
    func waitDuration() async -> Duration {
        guard let due = try? await store.nextOutboxDue() else { return Self.pollInterval }
        let milliseconds = Int(due.timeIntervalSince(now()) * 1000)
        guard milliseconds > 0 else { return inFlight.withLock { $0 } > 0 ? Self.pollInterval : .milliseconds(1) }
        return min(.milliseconds(milliseconds + 1), Self.pollInterval)
    }

    func attempt(_ item: OutboxItem) async {
        guard let handlers = handlers.withLock({ $0 }) else { return }
        let outcome = await handlers.perform(item)
        do {
            switch outcome {
            case .done:
                try await store.completeOutbox(id: item.id)
                metrics.outboxDone(kind: item.job.kind, retried: item.attempts > 1)
            case .retry(let reason) where !policy.isExhausted(item, now: now()),
                .unsettled(let reason, _) where !policy.isExhausted(item, now: now()):
                var delay = policy.delay(afterAttempts: item.attempts)
                if case .unsettled(_, let settle) = outcome { delay = max(delay, settle) }
                try await store.rescheduleOutbox(id: item.id, at: now().addingTimeInterval(delay.seconds), error: reason)
                metrics.outboxRetried(kind: item.job.kind)
                logger.info(
                    "provider work will be retried",
                    metadata: ["session": "\(item.sessionID)", "job": "\(item.job.kind)", "attempt": "\(item.attempts)", "after": "\(delay)", "reason": "\(reason)"])
            case .retry(let reason), .unsettled(let reason, _), .dead(let reason):
                try await store.deadLetterOutbox(id: item.id, error: reason, now: now())
                metrics.outboxDead(kind: item.job.kind)
                logger.error(
                    "provider work given up (dead-lettered)",
                    metadata: ["session": "\(item.sessionID)", "job": "\(item.job.kind)", "outbox": "\(item.id)", "attempts": "\(item.attempts)", "reason": "\(reason)"])
                await handlers.deadLetter(item, reason)
            }
        } catch {
            // The lease runs out and the job is tried again: at worst once more than needed, never lost.
            logger.error("the outbox could not record a job's outcome", metadata: ["outbox": "\(item.id)", "error": "\(String(reflecting: error))"])
        }
    }
}
