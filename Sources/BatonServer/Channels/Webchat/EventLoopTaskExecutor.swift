import NIOCore
import Synchronization

/// Runs a task's jobs on one event loop.
///
/// A webchat socket's forwarder sends from its socket's own loop, where the frame is written to the socket at once;
/// sent from a thread of the concurrency pool, it was handed over to the loop, one more thread to wake for each live
/// event on its way to the user. What a forwarder does between writes is small (a frame encoded, an id compared);
/// the reads of the store a gap needs suspend it without holding the loop.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// One executor per event loop, made when a loop's first socket asks (a few loops, many sockets: one each would be
/// memory every open socket pays for).
final class EventLoopTaskExecutors: Sendable {
    private let executors = Mutex<[ObjectIdentifier: EventLoopTaskExecutor]>([:])

    func executor(for loop: any EventLoop) -> EventLoopTaskExecutor {
        executors.withLock { executors in
            if let known = executors[ObjectIdentifier(loop)] { return known }
            let made = EventLoopTaskExecutor(loop)
            executors[ObjectIdentifier(loop)] = made
            return made
        }
    }
}
