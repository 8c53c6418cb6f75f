import BatonCore
import Foundation
import Logging

/// Posts a session's transcript to its provider conversation in order, one sync per session at a time: a sync
/// asked for while one runs makes the running one go round again instead of starting a second, racing one.
/// A sync the provider cannot take now reports when to try again.
actor HandoverSync {
    static let page = 50
    /// Chatwoot refuses more than 200 messages a minute in one conversation; a longer backlog is cut to its newest
    /// messages, with a note telling the agents how many older ones there are.
    static let maxBacklog = 150

    /// How a sync ended.
    enum Outcome: Sendable, Equatable {
        /// Everything that could be posted was posted (or there is no active handover).
        case finished
        /// The provider asked to try later (rate limit, outage): retry after `delay`.
        case stalled(retryAfter: Duration)
        /// Another sync of the session is running and will go round again.
        case handedOver
    }

    private var running: Set<SessionID> = []
    private var again: Set<SessionID> = []
    private var failures: [SessionID: Int] = [:]
    private var idleWaiters: [SessionID: [CheckedContinuation<Void, Never>]] = [:]
    let retryBase: Duration

    init(retryBase: Duration = .seconds(1)) {
        self.retryBase = retryBase
    }

    func sync(
        _ sessionID: SessionID, endpoint: Endpoint, store: any SessionStore, provider: any HandoverProvider, now: @escaping @Sendable () -> Date, logger: Logger
    ) async -> Outcome {
        guard !running.contains(sessionID) else {
            again.insert(sessionID)
            return .handedOver
        }
        running.insert(sessionID)
        defer {
            running.remove(sessionID)
            idleWaiters.removeValue(forKey: sessionID)?.forEach { $0.resume() }
        }
        repeat {
            again.remove(sessionID)
            do {
                guard try await syncOnce(sessionID, endpoint: endpoint, store: store, provider: provider, now: now) else {
                    return .stalled(retryAfter: backoff(after: sessionID))
                }
            } catch {
                logger.error("handover sync failed", metadata: ["session": "\(sessionID)", "error": "\(String(reflecting: error))"])
                return .stalled(retryAfter: backoff(after: sessionID))
            }
        } while again.contains(sessionID)
        failures[sessionID] = nil
        return .finished
    }

    /// Returns once no sync of the session is running. Closing a provider conversation waits for this, so a post
    /// still in flight cannot land after the close (an incoming message would reopen a resolved Chatwoot
    /// conversation).
    func waitUntilIdle(_ sessionID: SessionID) async {
        guard running.contains(sessionID) else { return }
        await withCheckedContinuation { idleWaiters[sessionID, default: []].append($0) }
    }

    /// Exponential backoff with jitter, from `retryBase` up to a minute: a provider that is down is asked less
    /// and less often, and many sessions do not retry in lockstep.
    private func backoff(after sessionID: SessionID) -> Duration {
        let attempt = (failures[sessionID] ?? 0) + 1
        failures[sessionID] = attempt
        let exponential = retryBase * (1 << min(attempt - 1, 16))
        let capped = min(exponential, .seconds(60))
        return capped * Double.random(in: 0.5...1.0)
    }

    private func syncOnce(
        _ sessionID: SessionID, endpoint: Endpoint, store: any SessionStore, provider: any HandoverProvider, now: @Sendable () -> Date
    ) async throws -> Bool {
        while true {
            guard let session = try await store.session(id: sessionID), var handover = session.state.handover, handover.phase == .active else { return true }
            let backlog = session.lastMessageID - handover.syncedThrough
            if backlog > Int64(Self.maxBacklog) {
                let skipped = backlog - Int64(Self.maxBacklog)
                let note = "\(skipped) earlier messages of this conversation are not shown here (Baton session \(session.id))."
                guard await provider.note(note, handover: handover, session: session, endpoint: endpoint) == .done else { return false }
                handover.syncedThrough += skipped
                try await advance(sessionID, handover: handover, to: handover.syncedThrough, store: store, now: now)
            }
            let pending = try await store.messages(sessionID: sessionID, after: handover.syncedThrough, limit: Self.page)
            for message in pending {
                guard await provider.post(message, handover: handover, session: session, endpoint: endpoint) == .done else { return false }
                // Stop as soon as the handover is no longer live (the user cancelled, the agent resolved).
                guard try await advance(sessionID, handover: handover, to: message.id, store: store, now: now) else { return true }
            }
            if pending.count < Self.page { return true }
        }
    }

    /// Saves how far the sync got.
    /// - Returns: whether the handover the sync works for is still active.
    @discardableResult
    private func advance(
        _ sessionID: SessionID, handover: HandoverState, to messageID: Int64, store: any SessionStore, now: @Sendable () -> Date
    ) async throws -> Bool {
        try await store.update(sessionID: sessionID, now: now()) { update in
            // Only the handover this sync worked for moves on; a newer one keeps its own position.
            guard var current = update.state.handover, current.number == handover.number else { return false }
            current.syncedThrough = max(current.syncedThrough, messageID)
            update.state.handover = current
            return current.phase == .active
        }.result
    }
}
