public import BatonCore
import Foundation
import Logging
public import ServiceLifecycle
import Synchronization
import Tracing

/// Carries outbox jobs out: the desks' side of the outbox, given to the worker when it is built.
public protocol OutboxPerformer: Sendable {
    /// Carries out one job. Never `.reported`: a performer applies what a desk reports before it answers.
    func perform(_ item: OutboxItem) async -> JobOutcome
    /// Told about a job given up, after it was dead-lettered.
    func deadLettered(_ item: OutboxItem, reason: String) async
}

/// Runs the outbox: claims due jobs from the store (only the oldest pending job of each session, so each session's
/// desk work keeps its order), carries them out concurrently across sessions, and reschedules or dead-letters
/// what fails. A job's completion hands out its queue's next job in the same write, and the same task carries that
/// one out: a busy session's jobs follow each other without waiting for the worker's next claim. Jobs live in the
/// store, so a restart or a crash delays them and loses none; a lease keeps two workers (two instances on one
/// database) from running one job twice. The lease is short and renewed while a job runs (a heartbeat), so a dead
/// instance's jobs are taken over seconds after it died, however long jobs take.
public final class OutboxWorker: Service, Sendable {
    let store: any SessionStore
    let performer: any OutboxPerformer
    let policy: RetryPolicy
    /// Draws each retry's jitter fraction from a range (`Double.random(in:)` in production).
    let random: @Sendable (ClosedRange<Double>) -> Double
    let now: @Sendable () -> Date
    let logger: Logger
    let metrics: BatonMetrics
    /// How long a claimed job is reserved for its worker (`delivery.leaseSeconds`), renewed every third of it while
    /// the job runs: at most how long a job whose instance died waits before another instance takes it over.
    let lease: TimeInterval
    /// Jobs carried out at once.
    static let concurrency = 64
    /// Other instances may add jobs this one is not told about; it looks at least this often, by default.
    static let defaultPollInterval: Duration = .seconds(1)
    /// How often it looks for jobs no ring told it of (see `defaultPollInterval`).
    let pollInterval: Duration

    /// Rung by whoever stores jobs, so they start now rather than at the next poll.
    private let doorbell: Doorbell
    /// The jobs being carried out, by id: how many there are, and whose leases the heartbeat renews.
    private let inFlight = Mutex<[Int64: OutboxItem]>([:])
    private let readiness: StoreReadiness

    init(
        store: any SessionStore, performer: any OutboxPerformer, doorbell: Doorbell, policy: RetryPolicy, lease: Duration = .seconds(4),
        pollInterval: Duration = defaultPollInterval, metrics: BatonMetrics, random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) },
        now: @escaping @Sendable () -> Date, logger: Logger
    ) {
        self.store = store
        self.performer = performer
        self.doorbell = doorbell
        self.policy = policy
        self.lease = lease.inSeconds
        self.pollInterval = pollInterval
        self.metrics = metrics
        self.random = random
        self.now = now
        self.logger = logger
        self.readiness = StoreReadiness(bell: doorbell)
    }

    /// Lets the worker start: called once the store's schema is migrated (before, its tables may not exist).
    public func storeIsReady() { readiness.open() }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                await readiness.wait()
                group.addTask { await self.renewLeases() }
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    let room = Self.concurrency - inFlight.withLock { $0.count }
                    var claimed: [OutboxItem] = []
                    if room > 0 {
                        do {
                            claimed = try await store.claimOutbox(now: now(), lease: lease, limit: room)
                        } catch {
                            logger.error("the outbox could not be read", metadata: ["error": "\(String(reflecting: error))"])
                        }
                    }
                    for item in claimed {
                        inFlight.withLock { $0[item.id] = item }
                        group.addTask { await self.carryOut(item) }
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
        guard let due = try? await store.nextOutboxDue() else { return pollInterval }
        let milliseconds = Int(due.timeIntervalSince(now()) * 1000)
        guard milliseconds > 0 else { return inFlight.withLock { $0.isEmpty } ? .milliseconds(1) : pollInterval }
        return min(.milliseconds(milliseconds + 1), pollInterval)
    }

    /// The heartbeat: every third of the lease, the leases of the jobs still running are extended by a whole lease,
    /// in one write. It stops once the worker stops and its last job is done (a stopping instance finishes what it
    /// started, still holding its jobs).
    func renewLeases() async {
        let interval = Duration.milliseconds(max(100, Int(lease * 1000 / 3)))
        while !Task.isCancelled {
            if Task.isShuttingDownGracefully {
                // Stopping: renew only while the last jobs finish.
                if inFlight.withLock({ $0.isEmpty }) { return }
                try? await Task.sleep(for: interval)
            } else {
                // A stop ends the wait at once, so it is not held up by the heartbeat.
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            }
            let running = inFlight.withLock { Array($0.values) }
            guard !running.isEmpty, !Task.isCancelled else { continue }
            do {
                try await store.renewOutboxLeases(running, until: now().addingTimeInterval(lease))
            } catch {
                // The jobs go on; if their leases run out meanwhile, another worker may start them a second time,
                // and finds what the first run posted by its source id.
                logger.warning("outbox leases could not be renewed", metadata: ["jobs": "\(running.count)", "error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Carries out `item`, then each next job of its queue that its completion handed out, one after another in
    /// this task: a session with work waiting keeps its slot until its queue is empty or its next job not due.
    private func carryOut(_ item: OutboxItem) async {
        var current = item
        while true {
            let next = await attempt(current)
            inFlight.withLock { inFlight in
                inFlight[current.id] = nil
                if let next { inFlight[next.id] = next }
            }
            guard let next else { break }
            current = next
        }
        // Finishing a job may have made its session's next job a head that this task did not take (not due yet,
        // or past a failure): the worker looks again.
        doorbell.ring()
    }

    /// One attempt, as a span of the trace the job was saved in (a user's message, an agent's reply): its kind,
    /// attempt and outcome, with the calls it makes under it.
    /// - Returns: the queue's next job when this one was done and its completion handed that one out.
    func attempt(_ item: OutboxItem) async -> OutboxItem? {
        await BatonTracing.withSpan("outbox \(item.job.kind)", context: BatonTracing.context(continuing: item.trace), ofKind: .consumer) { span in
            span.attributes["baton.outbox.job"] = item.id
            span.attributes["baton.outbox.attempt"] = item.attempts
            span.attributes["baton.session"] = item.sessionID.rawValue
            let outcome = await performer.perform(item)
            span.attributes["baton.outbox.outcome"] = outcome.traceName
            if case .dead(let reason) = outcome { span.setStatus(SpanStatus(code: .error, message: reason)) }
            return await record(outcome, of: item)
        }
    }

    private func record(_ outcome: JobOutcome, of item: OutboxItem) async -> OutboxItem? {
        do {
            switch outcome {
            case .done, .reported:
                // A stopping worker takes no new job; it finishes those it holds.
                let claimNext = Task.isCancelled || Task.isShuttingDownGracefully ? nil : now()
                let next = try await store.completeOutbox(item, claimingNextAt: claimNext, lease: lease)
                metrics.outboxDone(kind: item.job.kind, retried: item.attempts > 1)
                return next
            case .retry(let reason) where !policy.isExhausted(item, now: now()),
                .unsettled(let reason, _) where !policy.isExhausted(item, now: now()),
                .retryAfter(let reason, _) where !policy.isExhausted(item, now: now()):
                var delay = policy.delay(afterAttempts: item.attempts, jitter: random(RetryPolicy.jitterRange))
                if case .unsettled(_, let settle) = outcome { delay = max(delay, settle) }
                if case .retryAfter(_, let chosen) = outcome { delay = chosen }
                try await store.rescheduleOutbox(id: item.id, at: now().addingTimeInterval(delay.inSeconds), error: reason)
                metrics.outboxRetried(kind: item.job.kind)
                logger.info(
                    "outbox job will be retried",
                    metadata: ["session": "\(item.sessionID)", "job": "\(item.job.kind)", "attempt": "\(item.attempts)", "after": "\(delay)", "reason": "\(reason)"])
            case .retry(let reason), .unsettled(let reason, _), .retryAfter(let reason, _), .dead(let reason):
                try await store.deadLetterOutbox(id: item.id, error: reason, now: now())
                metrics.outboxDead(kind: item.job.kind)
                logger.error(
                    "outbox job given up (dead-lettered)",
                    metadata: ["session": "\(item.sessionID)", "job": "\(item.job.kind)", "outbox": "\(item.id)", "attempts": "\(item.attempts)", "reason": "\(reason)"])
                await performer.deadLettered(item, reason: reason)
            }
        } catch {
            // The lease runs out and the job is tried again: at worst once more than needed, never lost.
            logger.error("the outbox could not record a job's outcome", metadata: ["outbox": "\(item.id)", "error": "\(String(reflecting: error))"])
        }
        return nil
    }
}
