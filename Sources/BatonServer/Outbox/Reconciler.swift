import BatonCore
import Foundation
import Logging

/// Keeps reconciliations of one session from running twice at once or too often (a flapping webchat connection
/// must not flood Chatwoot with reads).
actor Reconciler {
    static let minimumInterval: Duration = .seconds(5)
    /// Pages read per reconciliation at most (100 messages each).
    static let maxPages = 20

    private var running: Set<SessionID> = []
    private var lastRun: [SessionID: ContinuousClock.Instant] = [:]

    func begin(_ sessionID: SessionID, force: Bool) -> Bool {
        let now = ContinuousClock.now
        if running.contains(sessionID) { return false }
        if !force, let last = lastRun[sessionID], now - last < Self.minimumInterval { return false }
        running.insert(sessionID)
        lastRun[sessionID] = now
        if lastRun.count > 10_000 { lastRun = lastRun.filter { now - $0.value < Self.minimumInterval } }
        return true
    }

    func end(_ sessionID: SessionID) { running.remove(sessionID) }
}

extension ConversationService {
    /// Reads the handover conversation through the provider's API and delivers the agent replies no webhook brought
    /// (Chatwoot never retries a webhook), in the provider's order and without duplicates. Runs after a restart,
    /// when a webchat reconnects, and when the provider answers again after an outage.
    /// - Returns: how many messages were delivered or retracted.
    @discardableResult
    public func reconcile(_ sessionID: SessionID, force: Bool = false) async -> Int {
        guard await reconciler.begin(sessionID, force: force) else { return 0 }
        var changed = 0
        for _ in 0..<Reconciler.maxPages {
            guard let session = try? await store.session(id: sessionID), let handover = session.state.handover, handover.conversationID != nil,
                handover.phase == .active || handover.phase == .resolved,
                let endpoint = endpoints.endpoint(id: session.endpointID),
                let history = await provider(endpoint).history(of: handover, session: session, endpoint: endpoint)
            else { break }
            for message in history.messages {
                do {
                    if message.deleted {
                        try await retract(externalID: message.externalID, sessionID: sessionID)
                    } else if try await agentMessage(
                        message.content, agentName: message.agentName, externalID: message.externalID, order: message.order, sessionID: sessionID) != nil
                    {
                        changed += 1
                    }
                } catch {
                    logger.error("reconciliation could not store a message", metadata: ["session": "\(sessionID)", "error": "\(String(reflecting: error))"])
                }
            }
            let previous = handover.reconciledThrough ?? 0
            guard history.through > previous else { break }
            _ = try? await store.update(sessionID: sessionID, now: now()) { update in
                guard var current = update.state.handover, current.number == handover.number else { return }
                current.reconciledThrough = max(current.reconciledThrough ?? 0, history.through)
                update.state.handover = current
            }
        }
        await reconciler.end(sessionID)
        if changed > 0 {
            metrics.reconciled(changed)
            logger.notice("reconciliation delivered agent messages no webhook brought", metadata: ["session": "\(sessionID)", "count": "\(changed)"])
        }
        return changed
    }

    /// Reconciles in the background.
    public func reconcileLater(_ sessionID: SessionID, force: Bool = false) {
        background.submit { await reconcile(sessionID, force: force) }
    }

    /// Reconciles every session with an active handover (at start: webhooks sent while Baton was down are lost).
    func reconcileAllActive() async {
        guard let sessions = try? await store.sessionsWithActiveHandover() else { return }
        for sessionID in sessions { await reconcile(sessionID, force: true) }
    }
}
