import Dispatch
import NIOCore
import NIOPosix
import Testing

@testable import BatonServer

/// A webchat socket's forwarder runs on its socket's event loop (`EventLoopTaskExecutor`): before it waits, and
/// after, however its wait ends; and its sockets' loops share one executor each.
@Suite("Event loop task executor")
struct EventLoopTaskExecutorTests {
    @Test func aTaskThatPrefersALoopRunsOnItBeforeAndAfterItWaits() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(group.makeIterator())
        try #require(loops.count == 2)
        let (loop, other) = (loops[0], loops[1])
        let ran = await Task(executorPreference: EventLoopTaskExecutor(loop)) { () async -> [Bool] in
            let before = loop.inEventLoop
            // Resumed from a thread of its own, as a read of the store is: the task comes back to the loop.
            await withCheckedContinuation { continuation in DispatchQueue.global().async { continuation.resume() } }
            return [before, loop.inEventLoop]
        }.value
        #expect(ran == [true, true])

        let executors = EventLoopTaskExecutors()
        #expect(executors.executor(for: loop) === executors.executor(for: loop), "one executor a loop, not one a socket")
        #expect(executors.executor(for: other) !== executors.executor(for: loop))
        #expect(executors.executor(for: other).loop === other)
        try await group.shutdownGracefully()
    }
}
