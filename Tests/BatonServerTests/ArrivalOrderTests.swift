@testable import BatonServer
import Synchronization
import Testing

@Suite struct ArrivalOrderTests {
    final class Log: Sendable {
        let entries = Mutex<[String]>([])
        func add(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    @Test func aBurstRunsOneAtATimeLowestOrderFirst() async throws {
        let arrival = ArrivalOrder(window: .milliseconds(200))
        let log = Log()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for order in [30, 10, 20] {
                group.addTask {
                    try await arrival.run("c1", order: order) {
                        log.add("start \(order)")
                        await Task.yield()
                        log.add("end \(order)")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(log.all == ["start 10", "end 10", "start 20", "end 20", "start 30", "end 30"])
    }

    @Test func otherConversationsAndFailuresDoNotHoldALineUp() async throws {
        let arrival = ArrivalOrder(window: .zero)
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await arrival.run("c1", order: 1) { throw Refused() } }
        // The line was left: the next event of c1 and one of c2 run.
        #expect(try await arrival.run("c1", order: 2) { "second" } == "second")
        #expect(try await arrival.run("c2", order: 1) { "other" } == "other")
    }
}
