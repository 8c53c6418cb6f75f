import BatonCore
import Foundation
import Testing

@testable import BatonServer

/// When a stored message may be announced by the transaction that stores it (ahead of its publication) and when it
/// must wait its turn in the queue: it never overtakes an event of its session published before it.
@Suite("Hub announcements in the storing transaction")
struct AnnouncementQueueTests {
    static let session = SessionID(rawValue: "s_1")

    static func stored(_ id: Int64) -> HubAnnouncement {
        let message = Message(
            id: id, sessionID: session,
            draft: MessageDraft(sender: .agent, content: MessageContent(text: "reply \(id)"), createdAt: Date(timeIntervalSince1970: 1_800_000_000)))
        return HubAnnouncement(sessionID: session, event: .message(message))
    }

    static let typing = HubAnnouncement(sessionID: session, event: .typing(sender: .agent, on: true))
    static let elsewhere = HubAnnouncement(sessionID: SessionID(rawValue: "s_2"), event: .typing(sender: .agent, on: true))

    @Test func aMessageGoesWithItsTransactionOnlyWhenNothingOfItsSessionPublishedBeforeWaitsOrIsOnItsWay() async throws {
        let (hub, queue, _) = ConversationHub.relayed()
        hub.publish(Self.elsewhere.event, to: Self.elsewhere.sessionID)
        #expect(queue.announceInTransaction([Self.stored(1)]), "nothing of its session waits: announced by its transaction")
        hub.publish(Self.stored(1).event, to: Self.session)
        #expect(
            try #require(await queue.next(upTo: 16)) == [Self.elsewhere],
            "another session's event did not hold it back, and the message its transaction announced is not queued again")
        queue.sent()

        hub.publish(Self.typing.event, to: Self.session)
        #expect(!queue.announceInTransaction([Self.stored(2)]), "typing waits to be sent: the message must not overtake it")
        let waiting = try #require(await queue.next(upTo: 16))
        #expect(waiting == [Self.typing], "typing is taken to be sent")
        #expect(!queue.announceInTransaction([Self.stored(2)]), "typing is on its way")
        hub.publish(Self.stored(2).event, to: Self.session)
        queue.sent()
        #expect(try #require(await queue.next(upTo: 16)) == [Self.stored(2)], "a message declined is queued when published")
        queue.sent()

        #expect(queue.announceInTransaction([Self.stored(3)]), "all sent: announced by its transaction again")
        // Its transaction did not commit; the write runs again while typing waits, and is declined this time.
        hub.publish(Self.typing.event, to: Self.session)
        #expect(!queue.announceInTransaction([Self.stored(3)]))
        hub.publish(Self.stored(3).event, to: Self.session)
        #expect(try #require(await queue.next(upTo: 16)) == [Self.typing, Self.stored(3)], "in the order published")
    }

    /// A long queue is not read through in every write transaction: past a few batches' worth the fan-out is behind,
    /// and a message joins the queue whichever sessions wait in it.
    @Test func behindALongQueueEveryMessageWaitsItsTurn() async throws {
        let (hub, queue, _) = ConversationHub.relayed()
        for _ in 0..<AnnouncementQueue.lookedThrough { hub.publish(Self.elsewhere.event, to: Self.elsewhere.sessionID) }
        #expect(queue.announceInTransaction([Self.stored(1)]), "other sessions' events only, and few enough to look through")
        hub.publish(Self.elsewhere.event, to: Self.elsewhere.sessionID)
        #expect(!queue.announceInTransaction([Self.stored(2)]), "one more: the queue is not read")
    }
}
