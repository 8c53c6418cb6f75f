public import BatonCore
import Synchronization

/// Something a session's open sockets must hear about.
public enum HubEvent: Sendable, Hashable {
    /// A message was stored.
    case message(Message)
    /// A message was deleted by its author.
    case retracted(messageID: Int64)
    /// A message was stored again as `to`, further down, to keep the desk's order.
    case moved(messageID: Int64, to: Int64)
    /// Someone started or stopped typing.
    case typing(sender: Sender, on: Bool)
    /// The handover moved to another phase (published after the messages of the same step).
    case handover(HandoverPhase)
    /// A bot's answer as written so far (streamed), never stored; `nil` withdraws it. The bot's next stored
    /// message replaces it.
    case draft(text: String?)
    /// The session was deleted (erased, or idle past the retention): a page still showing it starts over.
    case deleted
}

/// An event published on one instance's hub, for the other instances sharing the store (see `HubFanOut`).
public struct HubAnnouncement: Sendable, Hashable {
    public var sessionID: SessionID
    public var event: HubEvent
}

/// In-process fan-out of session events to every socket open on the session.
///
/// Events are published only after the store committed them, and a subscriber that sees a gap in message
/// ids reads the store, so a dropped or reordered event never loses a message.
///
/// Publishing never waits: stored messages are published by the store's committing thread as each transaction
/// commits (see `Conversations`), before the request that wrote them is even resumed, so what reaches a socket
/// crosses no thread it need not. Subscribers are therefore called under the hub's lock, in publication order, and
/// must only hand the event over.
public final class ConversationHub: Sendable {
    /// Per subscriber; a socket that falls this far behind loses live events and catches up from the store.
    static let bufferSize = 1_000
    /// Announcements waiting for the relay; if it falls this far behind, the oldest go (receivers catch up from the store).
    static let announcementBufferSize = 10_000

    private struct Subscribers {
        /// Each session's subscribers in the order they came: a small array each (a socket's subscription is one
        /// entry of it, where a dictionary per session took twice the memory).
        var bySession: [SessionID: [(token: Int, receive: @Sendable (HubEvent) -> Void)]] = [:]
        var nextToken = 0
    }

    private let subscribers = Mutex(Subscribers())
    /// Where published events go for other instances; `nil` when this process is the only one.
    private let announcements: AnnouncementQueue?
    /// Where the sessions someone here listens to are recorded for the other instances; `nil` when alone.
    private let listening: ListeningRegistry?

    public init() { (announcements, listening) = (nil, nil) }

    private init(announcements: AnnouncementQueue, listening: ListeningRegistry) {
        self.announcements = announcements
        self.listening = listening
    }

    /// A hub whose published events are also queued in `announcements`, and whose subscribed sessions in
    /// `listening`, for a `HubFanOut` to carry to and record for other instances.
    public static func relayed() -> (hub: ConversationHub, announcements: AnnouncementQueue, listening: ListeningRegistry) {
        let queue = AnnouncementQueue(capacity: announcementBufferSize)
        let listening = ListeningRegistry()
        return (ConversationHub(announcements: queue, listening: listening), queue, listening)
    }

    /// A stream of the session's events from now on; it ends when the consumer stops iterating. Returns once other
    /// instances announce the session's events here too (a relayed hub), so a read of the store after it misses
    /// nothing.
    public func subscribe(_ sessionID: SessionID) async -> AsyncStream<HubEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: HubEvent.self, bufferingPolicy: .bufferingNewest(Self.bufferSize))
        let token = await subscribe(sessionID) { continuation.yield($0) }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(sessionID, token: token) }
        return stream
    }

    /// Calls `receive` with each of the session's events from now on, on the publisher's side and under the hub's
    /// lock: it must only hand the event over, never wait nor call the hub. Webchat sockets take events this way, so
    /// an idle socket has no task waiting for them. Returns once other instances announce the session's events here
    /// too, as `subscribe(_:)`.
    /// - Returns: the token that ends the subscription (`unsubscribe`).
    public func subscribe(_ sessionID: SessionID, receive: @escaping @Sendable (HubEvent) -> Void) async -> Int {
        let token = subscribers.withLock { subscribers in
            defer { subscribers.nextToken += 1 }
            subscribers.bySession[sessionID, default: []].append((subscribers.nextToken, receive))
            return subscribers.nextToken
        }
        await listening?.held(sessionID)
        return token
    }

    /// Hands the event to the session's subscribers here and, on a relayed hub, announces it to other instances.
    public func publish(_ event: HubEvent, to sessionID: SessionID) {
        // Announced under the lock too: other instances hear a session's events in the order its sockets here do.
        subscribers.withLock { subscribers in
            subscribers.bySession[sessionID]?.forEach { $0.receive(event) }
            announcements?.append(HubAnnouncement(sessionID: sessionID, event: event))
        }
    }

    /// Hands the event to the session's subscribers here only: for events that came from another instance.
    public func deliver(_ event: HubEvent, to sessionID: SessionID) {
        subscribers.withLock { subscribers in subscribers.bySession[sessionID]?.forEach { $0.receive(event) } }
    }

    /// The sessions someone here listens to.
    public func subscribedSessions() -> [SessionID] { subscribers.withLock { Array($0.bySession.keys) } }

    /// Those of `sessions` someone here listens to.
    func subscribed(among sessions: Set<SessionID>) -> Set<SessionID> {
        subscribers.withLock { subscribers in sessions.filter { subscribers.bySession[$0] != nil } }
    }

    /// Publishes messages just stored: for each that is a moved copy, that its original moved, then every message,
    /// in the order given (``events(ofStored:)``).
    public func publish(_ messages: [Message]) {
        for announcement in Self.events(ofStored: messages) { publish(announcement.event, to: announcement.sessionID) }
    }

    /// The events that tell of messages just stored, in the order they are published: for each that is a moved copy,
    /// that its original moved, then every message, in the order given.
    static func events(ofStored messages: [Message]) -> [HubAnnouncement] {
        var events: [HubAnnouncement] = []
        for copy in messages {
            if let original = copy.movedFrom { events.append(HubAnnouncement(sessionID: copy.sessionID, event: .moved(messageID: original, to: copy.id))) }
        }
        for message in messages { events.append(HubAnnouncement(sessionID: message.sessionID, event: .message(message))) }
        return events
    }

    /// Returns when a message with an id above `after` is published for the session, or one up to `after` is
    /// retracted or moved, or the session is deleted, or after `timeout`; at once when `alreadyThere` (asked once listening, so a message stored
    /// just before cannot be missed) says so.
    public func waitForChange(
        in sessionID: SessionID, after: Int64, upTo timeout: Duration, alreadyThere: @Sendable () async -> Bool
    ) async {
        let events = await subscribe(sessionID)
        if await alreadyThere() { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events {
                    switch event {
                    case .message(let message) where message.id > after: return
                    case .retracted(let id) where id <= after, .moved(let id, _) where id <= after: return
                    case .deleted: return
                    default: continue
                    }
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// How many sockets listen to the session (for tests and metrics).
    public func subscriberCount(_ sessionID: SessionID) -> Int { subscribers.withLock { $0.bySession[sessionID]?.count ?? 0 } }

    /// Ends a subscription made with `subscribe(_:receive:)`.
    public func unsubscribe(_ sessionID: SessionID, token: Int) {
        let released = subscribers.withLock { subscribers -> Bool in
            subscribers.bySession[sessionID]?.removeAll { $0.token == token }
            guard subscribers.bySession[sessionID]?.isEmpty == true else { return false }
            subscribers.bySession[sessionID] = nil
            return true
        }
        if released { listening?.released(sessionID) }
    }
}
