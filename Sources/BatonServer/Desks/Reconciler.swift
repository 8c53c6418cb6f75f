import BatonCore
import Foundation
import Logging

/// Reads a handover's conversation through its desk's API and delivers the agent replies no webhook brought
/// (Chatwoot never retries a webhook), in the desk's order and without duplicates, and a status change whose
/// webhooks were lost (an agent resolved while Baton restarted). Runs after a restart, when a
/// webchat reconnects or an open page pings, when a REST client posts or reads, and when the desk answers again
/// after an outage.
struct Reconciler: Sendable {
    /// A session is read at most this often (a flapping webchat connection must not flood the desk with reads).
    static let minimumInterval: TimeInterval = 5
    /// How often an open, silent webchat page makes the desk be read (on its pings).
    static let idleInterval: TimeInterval = 60
    /// Pages read per reconciliation at most (100 messages each).
    static let maxPages = 20

    let store: any SessionStore
    let desks: Desks
    let endpoints: EndpointRegistry
    let conversations: Conversations
    let background: BackgroundWork
    let metrics: BatonMetrics
    let now: @Sendable () -> Date
    let logger: Logger
    private let gate = ReconcileGate()

    init(
        store: any SessionStore, desks: Desks, endpoints: EndpointRegistry, conversations: Conversations, background: BackgroundWork,
        metrics: BatonMetrics, now: @escaping @Sendable () -> Date, logger: Logger
    ) {
        self.store = store
        self.desks = desks
        self.endpoints = endpoints
        self.conversations = conversations
        self.background = background
        self.metrics = metrics
        self.now = now
        self.logger = logger
    }

    /// Reconciles one session now, unless it is being reconciled or was within `minimumInterval` (`force` skips
    /// the interval).
    /// - Returns: how many messages were delivered.
    @discardableResult
    func reconcile(_ sessionID: SessionID, force: Bool = false, minimumInterval: TimeInterval = Self.minimumInterval) async -> Int {
        guard await gate.begin(sessionID, force: force, now: now(), minimumInterval: minimumInterval) else { return 0 }
        var changed = 0
        // Where the next page starts, once a page was read; saved page by page while no status waits.
        var through: Int64?
        // The newest status read, applied once every page's messages are in: a status is read as it is now, so a
        // resolve read on a first page of many comes after the replies of the later pages.
        var status: (event: HandoverEvent, endpoint: Endpoint, handover: Int)?
        for _ in 0..<Self.maxPages {
            guard let session = try? await store.session(id: sessionID), var handover = session.state.handover, handover.conversationID != nil,
                handover.phase == .active || handover.phase == .resolved,
                let endpoint = endpoints.endpoint(id: session.endpointID)
            else { break }
            if let through { handover.reconciledThrough = through }
            guard let history = await desks.desk(for: endpoint, channel: session.channel).history(of: handover, session: session) else { break }
            changed += await deliver(history.messages, sessionID: sessionID)
            if let event = history.status { status = (event, endpoint, handover.number) }
            guard history.through > handover.reconciledThrough ?? 0 else { break }
            through = history.through
            if status == nil {
                try? await conversations.reconciled(through: history.through, handover: handover.number, sessionID: sessionID)
            }
        }
        if let status, let through {
            do {
                try await conversations.handover(status.event, sessionID: sessionID, endpoint: status.endpoint)
                try? await conversations.reconciled(through: through, handover: status.handover, sessionID: sessionID)
            } catch {
                // Not applied: the pages from the one that read it are read again next time.
                logger.error("reconciliation could not apply a status", metadata: ["session": "\(sessionID)", "error": "\(String(reflecting: error))"])
            }
        }
        await gate.end(sessionID)
        if changed > 0 {
            metrics.reconciled(changed)
            logger.notice("reconciliation delivered agent messages no webhook brought", metadata: ["session": "\(sessionID)", "count": "\(changed)"])
        }
        return changed
    }

    /// Stores what the desk has that the session does not; returns how many messages were new.
    private func deliver(_ messages: [DeskMessage], sessionID: SessionID) async -> Int {
        var changed = 0
        for message in messages {
            do {
                if message.deleted {
                    try await conversations.retract(externalID: message.externalID, sessionID: sessionID)
                } else if try await conversations.agentMessage(
                    message.content, agentName: message.agentName, externalID: message.externalID, order: message.order, sentAt: message.sentAt,
                    sessionID: sessionID) != nil
                {
                    changed += 1
                }
            } catch {
                logger.error("reconciliation could not store a message", metadata: ["session": "\(sessionID)", "error": "\(String(reflecting: error))"])
            }
        }
        return changed
    }

    /// Reconciles in the background.
    func reconcileLater(_ sessionID: SessionID, force: Bool = false, minimumInterval: TimeInterval = Self.minimumInterval) {
        background.submit { await reconcile(sessionID, force: force, minimumInterval: minimumInterval) }
    }

    /// Sessions a start-up reconciliation takes from the store at a time.
    static let startupBatch = 16
    /// Reconciles, one at a time, every session with an active handover whose desk no instance began to read after
    /// `startedAt` (webhooks sent while Baton was down are lost). Instances that start together share the sessions
    /// (`SessionStore.claimStartupReconciliations`), so the desk is read once per conversation, not once per
    /// instance; one that starts later reads again what was read before it was up. Instances sharing a store wait
    /// `gathering` first, so that those starting within it of each other (a deployment's replicas, a restart after an
    /// outage) share the reading. A session taken by an instance that dies before reading it is read when that one
    /// starts again.
    /// - Returns: how many sessions this instance read.
    @discardableResult
    func reconcileAllActive(startedAt: Date, after gathering: Duration = .zero) async -> Int {
        if gathering > .zero {
            do { try await Task.sleep(for: gathering) } catch { return 0 }
        }
        var after: SessionID?
        var read = 0
        while !Task.isCancelled {
            let batch: [SessionID]
            do {
                batch = try await store.claimStartupReconciliations(since: startedAt, after: after, now: now(), limit: Self.startupBatch)
            } catch {
                logger.warning("could not take sessions to reconcile at start", metadata: ["error": "\(String(reflecting: error))"])
                break
            }
            guard let last = batch.last else { break }
            for sessionID in batch { await reconcile(sessionID, force: true) }
            read += batch.count
            after = last
        }
        logger.info("start-up reconciliation done", metadata: ["sessions": "\(read)"])
        return read
    }
}

/// Keeps reconciliations of one session from running twice at once or too often.
actor ReconcileGate {
    private var running: Set<SessionID> = []
    private var lastRun: [SessionID: Date] = [:]

    func begin(_ sessionID: SessionID, force: Bool, now: Date, minimumInterval: TimeInterval) -> Bool {
        if running.contains(sessionID) { return false }
        if !force, let last = lastRun[sessionID], now.timeIntervalSince(last) < minimumInterval { return false }
        running.insert(sessionID)
        lastRun[sessionID] = now
        if lastRun.count > 10_000 { lastRun = lastRun.filter { now.timeIntervalSince($0.value) < minimumInterval } }
        return true
    }

    func end(_ sessionID: SessionID) { running.remove(sessionID) }
}
