import BatonCore
import Foundation
import Testing

/// The handover timers' part of the store contract: each session's next time is kept with its state, and a claim
/// hands a due session to one worker at a time.
@Suite("Store contract: wake-ups")
struct WakeUpContractTests {
    /// Gives the session an active handover whose reminder falls due `seconds` after `epoch`.
    static func schedule(_ store: any SessionStore, _ session: Session, inSeconds seconds: Double) async throws {
        _ = try await store.update(sessionID: session.id, now: epoch) { update in
            var handover = HandoverState(phase: .active, nodeID: "agent", number: 1, conversationID: 5)
            handover.timers = HandoverTimers(reminderEvery: seconds, reminderTimes: 1)
            handover.openedAt = epoch
            update.state.handover = handover
        }
    }

    @Test(arguments: StoreKind.allCases)
    func theNextTimeFollowsTheStateAndDueSessionsAreClaimedOnceWhileReserved(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let soon = try await newSession(store, user: "soon")
        let later = try await newSession(store, user: "later")
        _ = try await newSession(store, user: "none")
        #expect(try await store.nextWakeUp() == nil)
        try await Self.schedule(store, soon, inSeconds: 10)
        try await Self.schedule(store, later, inSeconds: 100)
        #expect(try await store.nextWakeUp()?.timeIntervalSince(epoch.addingTimeInterval(10)).magnitude ?? 1 < 0.001)

        #expect(try await store.claimWakeUps(now: epoch.addingTimeInterval(9), lease: 60, limit: 10).isEmpty, "nothing due yet")
        #expect(try await store.claimWakeUps(now: epoch.addingTimeInterval(10), lease: 60, limit: 10) == [soon.id])
        #expect(try await store.claimWakeUps(now: epoch.addingTimeInterval(20), lease: 60, limit: 10).isEmpty, "reserved for its worker")
        // A worker that died: the reservation runs out and the session is due again, earliest first.
        #expect(try await store.claimWakeUps(now: epoch.addingTimeInterval(200), lease: 60, limit: 1) == [soon.id])
        #expect(try await store.claimWakeUps(now: epoch.addingTimeInterval(200), lease: 60, limit: 10) == [later.id])

        // The step that ran the timer writes the state's next time (none): the session is never claimed again.
        _ = try await store.update(sessionID: soon.id, now: epoch) { update in update.state.handover?.phase = .inactive }
        #expect(try await store.claimWakeUps(now: epoch.addingTimeInterval(10_000), lease: 60, limit: 10) == [later.id])
    }

    /// Stores may leave a column alone when a turn keeps its value (SQLite does: setting an indexed column rewrites
    /// its index entry); what they keep must still be the state's, also when a claim leased the wake-up meanwhile.
    @Test(arguments: StoreKind.allCases)
    func theActiveHandoversAndNextTimeStayTheStatesThroughTurnsThatKeepThem(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store)
        try await Self.schedule(store, session, inSeconds: 10)
        @Sendable func reply(_ update: inout SessionUpdate) { update.append(draft("still here", .agent)) }
        func nextWakeUp() async throws -> TimeInterval? { try await store.nextWakeUp()?.timeIntervalSince(epoch) }
        _ = try await store.update(sessionID: session.id, now: epoch, reply)
        #expect(try await store.sessionsWithActiveHandover() == [session.id])
        #expect(try await nextWakeUp()?.rounded() == 10)

        // A claim leases the wake-up (the next time moves 60 s on); the next turn writes the state's time back.
        #expect(try await store.claimWakeUps(now: epoch.addingTimeInterval(10), lease: 60, limit: 10) == [session.id])
        #expect(try await nextWakeUp()?.rounded() == 70)
        _ = try await store.update(sessionID: session.id, now: epoch, reply)
        #expect(try await nextWakeUp()?.rounded() == 10)

        _ = try await store.update(sessionID: session.id, now: epoch) { update in update.state.handover?.phase = .resolved }
        #expect(try await store.sessionsWithActiveHandover().isEmpty)
        #expect(try await nextWakeUp() == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func workersOfTwoProcessesNeverClaimOneSessionTogether(kind: StoreKind) async throws {
        let (first, reopen) = try await kind.make()
        let second = try await reopen()
        var due: Set<SessionID> = []
        for index in 0..<40 {
            let session = try await newSession(first, user: "u\(index)")
            try await Self.schedule(first, session, inSeconds: 1)
            due.insert(session.id)
        }
        let claimed = try await withThrowingTaskGroup(of: [SessionID].self) { group in
            for worker in 0..<6 {
                let store = worker.isMultiple(of: 2) ? first : second
                group.addTask {
                    var mine: [SessionID] = []
                    while true {
                        let batch = try await store.claimWakeUps(now: epoch.addingTimeInterval(5), lease: 600, limit: 3)
                        if batch.isEmpty { return mine }
                        mine += batch
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(claimed.count == 40, "each once")
        #expect(Set(claimed) == due)
    }
}
