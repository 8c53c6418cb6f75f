public import BatonCore
public import BatonStorePostgres
public import Foundation

/// Carries short payloads between the Baton instances that share a store, so a hub event on one instance reaches
/// the sockets open on another. Best effort: what is sent while an instance is not listening is not kept for it.
public protocol HubRelay: Sendable {
    /// Sends `payload` to every listening instance (the sender's own listener may receive it too).
    func send(_ payload: String) async throws

    /// Sends `payloads`, in order, as one batch where the relay can (one round trip instead of one each), each to
    /// the instances named with it, or to every instance when it names none (nil). An instance hears what is sent
    /// to it, whether to it alone or to all, in the order sent.
    func send(_ payloads: [(payload: String, to: [String]?)]) async throws

    /// Listens as `instance` and passes every payload to `receive` until the underlying connection drops (it throws
    /// then) or the task is cancelled. `onSubscribed` runs each time listening starts, before any payload, so the
    /// caller can catch up. While it listens, `listen(to:as:)` of other instances keeps `instance`'s name.
    func listen(as instance: String, onSubscribed: @Sendable () async -> Void, receive: @Sendable (String) async -> Void) async throws

    /// Records that `instance` listens to `sessions`, so that other instances announce their events; returns once
    /// a write of those sessions that comes after will see it. Instances no longer listening may be taken off them.
    func listen(to sessions: [SessionID], as instance: String) async throws

    /// Records that `instance` no longer listens to `sessions`.
    func stopListening(to sessions: [SessionID], as instance: String) async throws

    /// The instances that listened to `session` as of this instance's latest write of it; nil when not known, and
    /// then every event of the session is announced.
    func listeners(of session: SessionID) -> [String]?

    /// Has the store's writes announce the messages they store themselves, in their own transactions, through
    /// `announcer`, where the relay and the store can (PostgreSQL: `NOTIFY` in the statement that stores them).
    func announceInTransactions(with announcer: any TransactionAnnouncer)

    /// The instances listening now, this one included, each with the address the relay sees it at where it knows
    /// one; nil when the relay cannot tell.
    func listeningInstances() async throws -> [ListeningInstance]?
}

/// An instance that listens on the relay (``HubRelay/listeningInstances()``).
public struct ListeningInstance: Sendable, Hashable {
    /// Its name, as it listens (``HubRelay/listen(as:onSubscribed:receive:)``); possibly cut short by the relay.
    public var name: String
    /// Where it connected from, as the relay's server saw it.
    public var address: String?
    /// When it began listening (its start, or its last reconnection).
    public var since: Date?

    public init(name: String, address: String?, since: Date? = nil) {
        self.name = name
        self.address = address
        self.since = since
    }
}

extension HubRelay {
    /// A relay with no channel per instance sends everything to every instance.
    public func send(_ payloads: [(payload: String, to: [String]?)]) async throws {
        for (payload, _) in payloads { try await send(payload) }
    }

    /// A relay that keeps no record of who listens: every event is announced.
    public func listen(to sessions: [SessionID], as instance: String) async throws {}
    public func stopListening(to sessions: [SessionID], as instance: String) async throws {}
    public func listeners(of session: SessionID) -> [String]? { nil }

    /// A relay that cannot announce in the store's transactions has every event announced after its commit.
    public func announceInTransactions(with announcer: any TransactionAnnouncer) {}

    /// A relay that does not know who listens.
    public func listeningInstances() async throws -> [ListeningInstance]? { nil }
}

/// PostgreSQL's LISTEN/NOTIFY is the relay of instances that share a PostgreSQL store.
extension PostgresNotifications: HubRelay {
    public func listeningInstances() async throws -> [ListeningInstance]? {
        try await listeningConnections().map { ListeningInstance(name: $0.name, address: $0.address, since: $0.since) }
    }
}

/// A hub event as it travels between instances: who sent it, the session, ids, and a stored message whole when it
/// fits in a NOTIFY payload (capped at 8000 bytes), so the instance holding the user's socket need not read it back
/// from the store; a longer one travels as its id and is read there. (The payload goes only to processes connected
/// to Baton's own database, which holds the message anyway.) Sent and read as `JSONStorable` (HubWireEvent+JSON.swift);
/// `Codable` stays as the format's reference, the one the version before sent and read, which the tests hold the
/// hand-written JSON to.
struct HubWireEvent: Codable, Hashable {
    enum Kind: String, Codable { case message, retracted, moved, typing, handover, draft, deleted }
    /// A draft's text travels only while it is short enough for a NOTIFY payload; a longer one travels as
    /// "still writing" (`text` absent, `on` true), and the stored answer follows.
    static let maxDraftBytes = 6_000
    /// The longest payload sent with a message in it: PostgreSQL refuses payloads of 8000 bytes or more.
    static let maxPayloadBytes = 7_900
    var from: String
    /// The sender's count of its announcements: it makes every payload unique, since PostgreSQL delivers identical
    /// payloads sent in one transaction (one batch) once, and a batch may hold the same typing event twice.
    var seq: Int?
    var session: String
    var kind: Kind
    var id: Int64?
    var to: Int64?
    var sender: Sender?
    var on: Bool?
    var phase: HandoverState.Phase?
    var number: Int?
    var agentJoined: Bool?
    var agentName: String?
    var agentAvatar: String?
    var text: String?
    /// The stored message of a `message` event, while the payload stays under `maxPayloadBytes`.
    var message: Message?

    init(from instance: String, _ announcement: HubAnnouncement) {
        from = instance
        session = announcement.sessionID.rawValue
        switch announcement.event {
        case .message(let message): (kind, id, self.message) = (.message, message.id, message)
        case .retracted(let messageID): (kind, id) = (.retracted, messageID)
        case .moved(let messageID, let to): (kind, id, self.to) = (.moved, messageID, to)
        case .typing(let sender, let on): (kind, self.sender, self.on) = (.typing, sender, on)
        case .handover(let handover):
            (kind, id, phase, number, agentJoined, agentName) = (.handover, handover.asOf, handover.phase, handover.number, handover.agentJoined, handover.agentName)
            agentAvatar = handover.agentAvatar
        case .draft(let text):
            kind = .draft
            on = text != nil
            if let text, text.utf8.count <= Self.maxDraftBytes { self.text = text }
        case .deleted:
            kind = .deleted
        }
    }
}
