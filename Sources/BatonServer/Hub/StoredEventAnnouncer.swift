import BatonCore
import BatonStorePostgres
import Synchronization

/// Announces the message a write takes back, the messages it stores, their moves, and the handover phase it moves to,
/// from inside the statement that stores them (see `TransactionAnnouncer`): other instances hear of them exactly at the
/// commit, with no statement of their own, and even when this instance dies before the commit's answer comes back. It
/// declines while events of their session published before wait in the queue or are being sent, which they would
/// overtake: then they are announced after the commit, as every other event is.
final class StoredEventAnnouncer: TransactionAnnouncer {
    let queue: AnnouncementQueue
    let relay: any HubRelay
    let instanceID: String
    let metrics: BatonMetrics
    /// Makes payloads unique within a transaction (see `HubFanOut.payload(of:from:sequence:)`).
    private let sequence = Atomic<Int>(0)

    init(queue: AnnouncementQueue, relay: any HubRelay, instanceID: String, metrics: BatonMetrics) {
        self.queue = queue
        self.relay = relay
        self.instanceID = instanceID
        self.metrics = metrics
    }

    func announcements(of session: SessionID, retracted: Int64?, messages: [Message], phase: HandoverPhase?) -> [(payload: String, to: [String]?)]? {
        // In the order `Conversations` publishes them once the write committed: the retraction, the messages, then
        // the phase.
        let events = (retracted.map { [HubAnnouncement(sessionID: session, event: .retracted(messageID: $0))] } ?? [])
            + ConversationHub.events(ofStored: messages) + (phase.map { [HubAnnouncement(sessionID: session, event: .handover($0))] } ?? [])
        guard queue.announceInTransaction(events) else { return nil }
        var sent: [(payload: String, to: [String]?)] = []
        for event in events {
            let to = HubFanOut.recipients(of: event, relay: relay, instanceID: instanceID)
            if to?.isEmpty == true { continue }
            let number = sequence.add(1, ordering: .relaxed).newValue
            sent.append((HubFanOut.payload(of: event, from: instanceID, sequence: number), to))
        }
        if sent.count < events.count { metrics.fanOut("unheard", count: events.count - sent.count) }
        if !sent.isEmpty { metrics.fanOut("sent", count: sent.count) }
        return sent
    }
}
