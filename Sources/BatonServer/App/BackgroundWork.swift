public import ServiceLifecycle

/// Work that must not hold up a request: reconciliation reads, typing relayed to a desk, the agent bot set-up. A `Service`, so a
/// graceful shutdown stops taking new jobs and waits for the running ones.
public final class BackgroundWork: Service, Sendable {
    public typealias Job = @Sendable () async -> Void

    private let jobs: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation

    public init() {
        (jobs, continuation) = AsyncStream.makeStream(of: Job.self)
    }

    /// Queues a job; it starts as soon as the service runs.
    public func submit(_ job: @escaping Job) {
        continuation.yield(job)
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            for await job in jobs.cancelOnGracefulShutdown() {
                group.addTask { await job() }
            }
        }
    }
}
