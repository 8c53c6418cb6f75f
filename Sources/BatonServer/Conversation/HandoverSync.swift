import BatonCore
import Foundation
import Logging

/// Posts a session's transcript to its provider conversation in order, one sync per session at a time: a sync
/// asked for while one runs makes the running one go round again instead of starting a second, racing one.
actor HandoverSync {
    static let page = 50

    private var running: Set<SessionID> = []
    private var again: Set<SessionID> = []

    func sync(
        _ sessionID: SessionID, endpoint: Endpoint, store: any SessionStore, provider: any HandoverProvider, now: @escaping @Sendable () -> Date, logger: Logger
    ) async {
        guard !running.contains(sessionID) else {
            again.insert(sessionID)
            return
        }
        running.insert(sessionID)
        defer { running.remove(sessionID) }
        repeat {
            again.remove(sessionID)
            do {
                try await syncOnce(sessionID, endpoint: endpoint, store: store, provider: provider, now: now)
            } catch {
                logger.error("handover sync failed", metadata: ["session": "\(sessionID)", "error": "\(String(reflecting: error))"])
                return
            }
        } while again.contains(sessionID)
    }

    private func syncOnce(
        _ sessionID: SessionID, endpoint: Endpoint, store: any SessionStore, provider: any HandoverProvider, now: @Sendable () -> Date
    ) async throws {
        while true {
            guard let session = try await store.session(id: sessionID), let handover = session.state.handover, handover.phase == .active else { return }
            let pending = try await store.messages(sessionID: sessionID, after: handover.syncedThrough, limit: Self.page)
            for message in pending {
                guard await provider.post(message, handover: handover, session: session, endpoint: endpoint) == .done else { return }
                _ = try await store.update(sessionID: sessionID, now: now()) { update in
                    // Only the handover this sync worked for moves on; a newer one keeps its own position.
                    guard var current = update.state.handover, current.number == handover.number else { return }
                    current.syncedThrough = max(current.syncedThrough, message.id)
                    update.state.handover = current
                }
            }
            if pending.count < Self.page { return }
        }
    }
}
