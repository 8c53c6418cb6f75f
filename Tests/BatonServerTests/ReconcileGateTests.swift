@testable import BatonServer
import BatonCore
import Foundation
import Testing

/// Reconciliation reads Chatwoot; a flapping connection must not make it read a session over and over. The
/// gate's time is the injected clock's.
@Suite("Reconciliation gate")
struct ReconcileGateTests {
    @Test func aSessionIsReadOnceAtATimeAndAtMostOncePerInterval() async {
        let gate = ReconcileGate()
        let session = SessionID(rawValue: "s_gate")
        let start = Date(timeIntervalSince1970: 1_000)
        #expect(await gate.begin(session, force: false, now: start, minimumInterval: 5))
        #expect(await !gate.begin(session, force: true, now: start, minimumInterval: 5), "not twice at once, even forced")
        await gate.end(session)
        #expect(await !gate.begin(session, force: false, now: start.addingTimeInterval(4.9), minimumInterval: 5))
        #expect(await gate.begin(session, force: true, now: start.addingTimeInterval(4.9), minimumInterval: 5), "a forced run skips the interval")
        await gate.end(session)
        #expect(await gate.begin(session, force: false, now: start.addingTimeInterval(10), minimumInterval: 5))
        #expect(await gate.begin(SessionID(rawValue: "s_other"), force: false, now: start.addingTimeInterval(10), minimumInterval: 5))
    }
}
