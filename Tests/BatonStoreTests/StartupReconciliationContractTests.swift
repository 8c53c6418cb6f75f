import BatonCore
import Foundation
import Testing

/// The start-up reconciliation's part of the store contract: each active handover is taken once per start, by one
/// instance, and instances that start later take it again.
@Suite("Store contract: start-up reconciliation")
struct StartupReconciliationContractTests {
    static func setPhase(_ phase: HandoverState.Phase, of session: Session, in store: any SessionStore) async throws {
        _ = try await store.update(sessionID: session.id, now: epoch) { update in
            update.state.handover = HandoverState(phase: phase, nodeID: "h", number: 1, conversationID: 7)
        }
    }

    /// Every session a walk from the start takes, `limit` at a time, as `Reconciler.reconcileAllActive` walks.
    static func walk(_ store: any SessionStore, since: Date, now: Date, limit: Int) async throws -> [SessionID] {
        var taken: [SessionID] = []
        var after: SessionID?
        while true {
            let batch = try await store.claimStartupReconciliations(since: since, after: after, now: now, limit: limit)
            #expect(batch.count <= limit)
            guard let last = batch.last else { return taken }
            taken += batch
            after = last
        }
    }

    @Test(arguments: StoreKind.allCases)
    func activeHandoversAreTakenOncePerStartInPagesAndAgainByALaterStart(kind: StoreKind) async throws {
        let store = try await kind.make().store
        var active: [SessionID] = []
        for user in 0..<5 {
            let session = try await newSession(store, user: "active \(user)")
            try await Self.setPhase(.active, of: session, in: store)
            active.append(session.id)
        }
        try await Self.setPhase(.resolved, of: try await newSession(store, user: "resolved"), in: store)
        _ = try await newSession(store, user: "no handover")

        let started = epoch
        let taken = try await Self.walk(store, since: started, now: epoch.addingTimeInterval(1), limit: 2)
        #expect(taken.count == 5 && Set(taken) == Set(active), "every active handover once, nothing else")
        #expect(taken == taken.sorted { $0.rawValue < $1.rawValue }, "in id order")

        // Another instance that started at the same time finds them taken.
        #expect(try await store.claimStartupReconciliations(since: started, after: nil, now: epoch.addingTimeInterval(2), limit: 10).isEmpty)
        // One that started later takes them again: the first reads began before it was up.
        let later = try await store.claimStartupReconciliations(since: epoch.addingTimeInterval(1.5), after: nil, now: epoch.addingTimeInterval(2), limit: 10)
        #expect(Set(later) == Set(active))
        #expect(try await store.claimStartupReconciliations(since: epoch.addingTimeInterval(1.5), after: nil, now: epoch.addingTimeInterval(3), limit: 10).isEmpty)
    }
}
