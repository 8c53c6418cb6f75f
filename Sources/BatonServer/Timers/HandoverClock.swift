import BatonCore
import Foundation
import Logging
import ServiceLifecycle

/// Runs handover timers (reminders, inactivity closes; see `HandoverTimers`) when they fall due. Each session's
/// next time is kept in the store beside its state (`ConversationState.wakeAt`), so timers survive restarts; a
/// claim reserves a due session for one worker, so several instances on one database run each timer once; and the
/// step itself is safe to repeat (the pure machine acts only on what is due, and acting moves the time on).
final class HandoverClock: Service, Sendable {
    let store: any SessionStore
    let conversations: Conversations
    let endpoints: EndpointRegistry
    let now: @Sendable () -> Date
    let logger: Logger
    /// Rung when a step sets an earlier time than the clock waits for.
    let bell: Doorbell
    /// How long a claimed session is reserved: far longer than a wake step takes (milliseconds), and how long a dead
    /// instance's due timers wait for another instance. A step is safe to repeat, so one that outlives it costs a
    /// repeat at worst.
    static let lease: TimeInterval = 5
    /// Other instances may set times this one is not told about; it looks at least this often.
    static let pollInterval: Duration = .seconds(2)
    static let batch = 50
    private let readiness: StoreReadiness

    init(store: any SessionStore, conversations: Conversations, endpoints: EndpointRegistry, bell: Doorbell, now: @escaping @Sendable () -> Date, logger: Logger) {
        self.store = store
        self.conversations = conversations
        self.endpoints = endpoints
        self.bell = bell
        self.now = now
        self.logger = logger
        self.readiness = StoreReadiness(bell: bell)
    }

    /// Lets the clock start: called once the store's schema is migrated.
    func storeIsReady() { readiness.open() }

    func run() async throws {
        await readiness.runPasses {
            var claimed: [SessionID] = []
            do {
                claimed = try await self.store.claimWakeUps(now: self.now(), lease: Self.lease, limit: Self.batch)
            } catch {
                self.logger.error("handover timers could not be read", metadata: ["error": "\(String(reflecting: error))"])
            }
            for sessionID in claimed { await self.wake(sessionID) }
            // A full batch: more may be due at once.
            return claimed.count == Self.batch ? nil : await self.waitDuration()
        }
    }

    func wake(_ sessionID: SessionID) async {
        do {
            guard let session = try await store.session(id: sessionID), let endpoint = endpoints.endpoint(id: session.endpointID) else { return }
            try await conversations.wake(sessionID, endpoint: endpoint)
        } catch {
            // The reservation runs out and the session is claimed again.
            logger.error("a handover timer could not run", metadata: ["session": "\(sessionID)", "error": "\(String(reflecting: error))"])
        }
    }

    /// Until the earliest time falls due, at most the poll interval.
    func waitDuration() async -> Duration {
        guard let due = try? await store.nextWakeUp() else { return Self.pollInterval }
        let milliseconds = Int(due.timeIntervalSince(now()) * 1000)
        return min(.milliseconds(max(milliseconds, 0) + 1), Self.pollInterval)
    }
}
