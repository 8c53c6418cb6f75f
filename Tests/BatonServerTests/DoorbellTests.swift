import Testing

@testable import BatonServer

@Suite("Doorbell")
struct DoorbellTests {
    /// A service waiting out a long interval (the housekeeping's hour) must end when its group cancels it: a group
    /// whose server could not start gives its services two seconds, then stops the process with a crash.
    @Test func aWaitWithALongTimeoutEndsWhenItsTaskIsCancelled() async throws {
        let bell = Doorbell()
        let returned = Signal()
        let waiter = Task {
            await bell.wait(upTo: .seconds(3600))
            await returned.fire()
        }
        // Cancelled before it parks, a wait returns at once with or without a handler: cancel it parked.
        while !bell.hasWaiter { await Task.yield() }
        waiter.cancel()
        // `Signal.wait` returns after its timeout too: whether the wait is still parked is what tells.
        try await returned.wait(within: .seconds(10))
        #expect(!bell.hasWaiter, "the cancelled wait returned")
    }
}
