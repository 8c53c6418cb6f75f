public import BatonCore
public import Foundation
public import Logging
public import ServiceLifecycle

/// Makes the hubs of several Baton instances act as one: what is published on this instance's hub is announced
/// through the relay, and what other instances announce is handed to the sockets here.
///
/// Announcements carry ids, and a message whole when it fits (see `HubWireEvent`); a longer one is read from the
/// store (it was committed before it was published). A stored event goes only to the instances that listen to its
/// session (``recipients(of:)``) (a message, a move, a retraction, a handover's phase); typing and drafts go to every
/// instance, this one included, which drops its own.
/// After every (re)subscribe, each session someone listens to here gets its newest message published, so a socket
/// that missed messages while the relay was down sees a gap and reads the store, and its retractions and moves again,
/// which no gap would bring back.
public struct HubFanOut: Service {
    let hub: ConversationHub
    let announcements: AnnouncementQueue
    /// The sessions subscribed here, recorded through the relay so other instances announce what they need.
    let listening: ListeningRegistry
    let relay: any HubRelay
    let store: any SessionStore
    /// Tells this instance's announcements from the others'.
    let instanceID: String
    let metrics: BatonMetrics
    let now: @Sendable () -> Date
    /// Where payloads that are commands between instances rather than hub events go (they start with
    /// ``commandPrefix``): a reload asked on another instance, and the answers to one asked here.
    let commands: @Sendable (String) -> Void
    let logger: Logger
    /// How a command between instances starts, and no hub event does (its members are written in order, and none
    /// is called `command`).
    static let commandPrefix = #"{"command":"#
    /// The wait before subscribing again after the relay dropped.
    static let resubscribeBackoff = Backoff(base: .seconds(1), cap: .seconds(30))
    /// A subscription that lasted this long was healthy: the next drop waits the shortest time again.
    static let healthySubscription: TimeInterval = 30

    public init(
        hub: ConversationHub, announcements: AnnouncementQueue, listening: ListeningRegistry, relay: any HubRelay, store: any SessionStore,
        instanceID: String = UUID().uuidString, metrics: BatonMetrics = BatonMetrics(), now: @escaping @Sendable () -> Date = Date.init,
        commands: @escaping @Sendable (String) -> Void = { _ in }, logger: Logger
    ) {
        self.commands = commands
        self.metrics = metrics
        self.now = now
        self.hub = hub
        self.announcements = announcements
        self.listening = listening
        self.relay = relay
        self.store = store
        self.instanceID = instanceID
        self.logger = logger
    }

    public func run() async throws {
        relay.announceInTransactions(
            with: StoredEventAnnouncer(queue: announcements, relay: relay, instanceID: instanceID, metrics: metrics))
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await announce() }
                group.addTask { await listen() }
                group.addTask { await record() }
            }
        }
    }

    /// Sends this instance's events in publication order: whatever was published while the previous batch was on
    /// its way goes in the next one, so a busy instance makes one round trip per batch instead of one per event.
    /// (Stored messages and handover phases mostly went out with the transaction that stored them: see
    /// `StoredEventAnnouncer`.)
    func announce() async {
        var sequence = 0
        while let published = await announcements.next(upTo: Self.announcementBatch) {
            defer { announcements.sent() }
            let batch = published.compactMap { announcement in
                let to = Self.recipients(of: announcement, relay: relay, instanceID: instanceID)
                return to?.isEmpty == true ? nil : (announcement, to)
            }
            if batch.count < published.count { metrics.fanOut("unheard", count: published.count - batch.count) }
            if batch.isEmpty { continue }
            do {
                let payloads = batch.map { announcement, to in
                    sequence += 1
                    return (Self.payload(of: announcement, from: instanceID, sequence: sequence), to)
                }
                try await relay.send(payloads)
                metrics.fanOut("sent", count: batch.count)
            } catch {
                if Task.isCancelled { return }
                metrics.fanOut("send_failed", count: batch.count)
                // Not fatal: the other instances' sockets catch up from the store on their next event or reconnect.
                logger.warning("could not announce hub events to other instances", metadata: ["events": "\(batch.count)", "error": "\(String(reflecting: error))"])
            }
        }
    }

    /// The instances an announcement of `instanceID`'s is for. A stored event goes to the other instances its session's
    /// latest write here found among its listeners, each on a channel of its own, so an instance that holds no socket
    /// of the session never hears of it; to none (it is not sent) when there are none (see `HubListeners` for why none
    /// is missed); to every instance (nil) when that write is not known here. Typing and drafts come from no write of
    /// this instance, so what it knows of their listeners may be old, and a deletion took the row that named them:
    /// they go to every instance.
    static func recipients(of announcement: HubAnnouncement, relay: any HubRelay, instanceID: String) -> [String]? {
        switch announcement.event {
        case .message, .moved, .retracted, .handover:
            return relay.listeners(of: announcement.sessionID)?.filter { $0 != instanceID }
        case .typing, .draft, .deleted:
            return nil
        }
    }

    /// What carries `announcement` to the other instances: the message whole while the payload stays under
    /// NOTIFY's limit, its id otherwise. `sequence` makes it unique among those sent together (PostgreSQL delivers
    /// identical payloads of one transaction once).
    static func payload(of announcement: HubAnnouncement, from instanceID: String, sequence: Int) -> String {
        var wire = HubWireEvent(from: instanceID, announcement)
        wire.seq = sequence
        var payload = wire.storageText
        if payload.utf8.count > HubWireEvent.maxPayloadBytes, wire.message != nil {
            wire.message = nil
            payload = wire.storageText
        }
        return payload
    }

    /// Records, in batches, the sessions whose first subscriber came here or whose last one left; a subscriber
    /// waits for its session's record. A record that fails is tried again a second later.
    func record() async {
        while let sessions = await listening.next() {
            let held = hub.subscribed(among: sessions)
            do {
                try await relay.listen(to: Array(held), as: instanceID)
                try await relay.stopListening(to: Array(sessions.subtracting(held)), as: instanceID)
                listening.recorded(sessions, held: held, succeeded: true)
            } catch {
                listening.recorded(sessions, held: held, succeeded: false)
                if Task.isCancelled { return }
                metrics.fanOut("record_failed", count: sessions.count)
                logger.warning(
                    "could not record which sessions this instance listens to",
                    metadata: ["sessions": "\(sessions.count)", "error": "\(String(reflecting: error))"])
                try? await Task.sleep(for: .seconds(1))
                listening.changed(sessions)
            }
        }
    }

    /// Events sent in one round trip at most. Small on purpose: with 256, the other instance got events so much
    /// faster that, on a machine both share with PostgreSQL, it took the time this one needed to acknowledge
    /// webhooks at 2,000 msg/s, and some timed out (BENCHMARKS.md, 4 December).
    static let announcementBatch = 16

    /// Listens for the other instances' events, subscribing again (after 1 s, doubling to 30 s) whenever it drops.
    func listen() async {
        var drops = 0
        while !Task.isCancelled {
            let started = now()
            do {
                try await relay.listen(as: instanceID, onSubscribed: { await catchUp() }, receive: { await receive($0) })
            } catch {
                if Task.isCancelled { return }
                logger.warning("lost the hub relay; subscribing again", metadata: ["error": "\(String(reflecting: error))"])
            }
            if Task.isCancelled { return }
            metrics.fanOutResubscribed()
            drops = now().timeIntervalSince(started) > Self.healthySubscription ? 1 : drops + 1
            try? await Task.sleep(for: Self.resubscribeBackoff.delay(afterAttempts: drops))
        }
    }

    func receive(_ payload: String) async {
        if payload.hasPrefix(Self.commandPrefix) { return commands(payload) }
        // Our own typing and drafts come back on the shared channel; they were delivered here when published:
        // dropped unread.
        if HubWireEvent.isSent(by: instanceID, payload) { return }
        // What comes on the shared channel is mostly for sessions whose sockets are on other instances: dropped
        // unread. (A stored event comes only to the instances that listen to its session, on their own channel.)
        let scanned = HubWireEvent.session(in: payload)
        if let scanned, hub.subscriberCount(SessionID(rawValue: scanned)) == 0 {
            metrics.fanOut("not_held")
            return
        }
        guard let wire = try? HubWireEvent(storageText: payload) else {
            logger.warning("ignored a malformed hub relay payload")
            return
        }
        let sessionID = SessionID(rawValue: wire.session)
        // Our own events, when the sender could not be read off the payload; whether someone here listens was asked
        // above, unless the session could not be.
        guard wire.from != instanceID else { return }
        if scanned == nil { guard hub.subscriberCount(sessionID) > 0 else { return } }
        metrics.fanOut("received")
        switch wire.kind {
        case .message:
            if let message = wire.message, message.sessionID == sessionID {
                hub.deliver(.message(message), to: sessionID)
            } else if let id = wire.id {
                metrics.fanOut("read")
                await deliverMessage(id, in: sessionID)
            }
        case .retracted:
            if let id = wire.id { hub.deliver(.retracted(messageID: id), to: sessionID) }
        case .moved:
            if let id = wire.id, let to = wire.to { hub.deliver(.moved(messageID: id, to: to), to: sessionID) }
        case .typing:
            if let sender = wire.sender, let on = wire.on { hub.deliver(.typing(sender: sender, on: on), to: sessionID) }
        case .draft:
            if let text = wire.text {
                hub.deliver(.draft(text: text), to: sessionID)
            } else {
                hub.deliver(wire.on == true ? .typing(sender: .bot, on: true) : .draft(text: nil), to: sessionID)
            }
        case .deleted:
            hub.deliver(.deleted, to: sessionID)
        case .handover:
            if let number = wire.number, let asOf = wire.id {
                let phase = HandoverPhase(
                    phase: wire.phase, number: number, asOf: asOf, agentJoined: wire.agentJoined ?? false, agentName: wire.agentName, agentAvatar: wire.agentAvatar)
                hub.deliver(.handover(phase), to: sessionID)
            }
        }
    }

    /// Publishes here the handover phase, the retractions and the newest message of every session someone here
    /// listens to (see the type's comment).
    func catchUp() async {
        let subscribed = hub.subscribedSessions()
        // Recorded again first: while this instance was not listening, another may have taken its name off.
        do {
            try await relay.listen(to: subscribed, as: instanceID)
        } catch {
            listening.changed(subscribed)
        }
        for sessionID in subscribed {
            guard let session = try? await store.session(id: sessionID) else { continue }
            hub.deliver(.handover(HandoverPhase(session.state.handover, asOf: session.lastMessageID)), to: sessionID)
            await deliverRetractions(through: session.lastMessageID, in: sessionID)
            if session.lastMessageID > 0 { await deliverMessage(session.lastMessageID, in: sessionID) }
        }
    }

    /// Publishes here every retraction and move of the session's messages up to `through`: one announced while
    /// this instance was not listening is of a message its sockets may show, which no later message brings back.
    /// A socket takes a repeat as the retraction it has. (Retracted messages are few, read through their own index.)
    func deliverRetractions(through: Int64, in sessionID: SessionID) async {
        do {
            for message in try await store.retractedMessages(sessionID: sessionID, through: through) {
                hub.deliver(message.movedTo.map { .moved(messageID: message.id, to: $0) } ?? .retracted(messageID: message.id), to: sessionID)
            }
        } catch {
            metrics.fanOut("read_failed")
            logger.warning("could not read a session's retractions", metadata: ["session": "\(sessionID)", "error": "\(String(reflecting: error))"])
        }
    }

    func deliverMessage(_ id: Int64, in sessionID: SessionID) async {
        do {
            guard let message = try await store.messages(sessionID: sessionID, after: id - 1, limit: 1).first, message.id == id else { return }
            hub.deliver(.message(message), to: sessionID)
        } catch {
            metrics.fanOut("read_failed")
            logger.warning("could not read a message another instance announced", metadata: ["session": "\(sessionID)", "error": "\(String(reflecting: error))"])
        }
    }
}

extension HubFanOut: CustomStringConvertible {
    /// ServiceLifecycle logs every service by its description: a synthesized one would print the relay's whole
    /// configuration, database password included.
    public var description: String { "HubFanOut(instance: \(instanceID), relay: \(relay))" }
}
