import Testing

@testable import BatonServer

@Suite("Store readiness")
struct StoreReadinessTests {
    /// The outbox, the clock and the housekeeping wait here before their first read: a ring for other reasons (a job
    /// stored, a timer set) must not let one through before the schema exists, and the opening must.
    @Test func aServiceWaitsThroughOtherRingsUntilTheStoreIsReady() async throws {
        let bell = Doorbell()
        let readiness = StoreReadiness(bell: bell)
        let through = Signal()
        let service = Task {
            await readiness.wait()
            await through.fire()
        }
        while !bell.hasWaiter { await Task.yield() }
        bell.ring()
        // Parked again, or through: the other ring must not have let it through.
        while !bell.hasWaiter, await !through.hasFired { await Task.yield() }
        #expect(await !through.hasFired, "a ring that was not the opening let the service read the store")
        readiness.open()
        await service.value
        #expect(await through.hasFired)
    }

    /// Opened before the service began to wait (a store migrated quickly), the wait returns at once.
    @Test func anOpeningBeforeTheWaitIsNotMissed() async {
        let bell = Doorbell()
        let readiness = StoreReadiness(bell: bell)
        readiness.open()
        await readiness.wait()
        #expect(!bell.hasWaiter)
    }
}
