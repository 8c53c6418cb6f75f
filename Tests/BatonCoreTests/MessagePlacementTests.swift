import BatonCore
import Foundation
import Testing

@Suite struct MessagePlacementTests {
    static let session = SessionID(rawValue: "s_00000000000000000000000000000001")
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func draft(_ text: String, order: Int64? = nil) -> MessageDraft {
        MessageDraft(sender: .agent, content: MessageContent(text: text), createdAt: now, externalOrder: order)
    }

    @Test func newMessagesTakeTheNextIds() {
        var placement = MessagePlacement(after: 7)
        let first = placement.place(Self.draft("a"), in: Self.session, later: [])
        let second = placement.place(Self.draft("b"), in: Self.session, later: [])
        #expect([first.message.id, second.message.id] == [8, 9])
        #expect(first.moves.isEmpty && second.moves.isEmpty)
        #expect(placement.lastMessageID == 9)
    }

    @Test func aLateReplyMovesTheLaterOnesBehindIt() {
        let later = [
            Message(id: 4, sessionID: Self.session, draft: Self.draft("third", order: 30)),
            Message(id: 5, sessionID: Self.session, draft: Self.draft("fourth", order: 40)),
        ]
        var placement = MessagePlacement(after: 5)
        let placed = placement.place(Self.draft("second", order: 20), in: Self.session, later: later)
        #expect(placed.message.id == 6)
        #expect(placed.moves.map(\.original.id) == [4, 5])
        #expect(placed.moves.map(\.copy.id) == [7, 8])
        #expect(placed.moves.map(\.copy.movedFrom) == [4, 5])
        #expect(placed.moves.map(\.copy.content.text) == ["third", "fourth"])
        #expect(placement.lastMessageID == 8)
    }

    @Test func aPlanWritesEachPlacementInOrderAndCountsWhatTheSameUpdatePlaced() {
        let stored = [Message(id: 4, sessionID: Self.session, draft: Self.draft("fourth", order: 40))]
        // Two replies in one update, the second older than the first and than the stored one.
        let drafts = [Self.draft("third", order: 30), Self.draft("second", order: 20)]
        let plan = MessagePlacement.plan(drafts, in: Self.session, after: 4, later: [30: stored, 20: stored])
        // "third" (5) moves "fourth" (6); "second" (7) then moves "third" and the copy of "fourth", not the original again.
        #expect(plan.writes.map(\.stored.id) == [5, 6, 7, 8, 9])
        #expect(plan.writes.map(\.stored.content.text) == ["third", "fourth", "second", "third", "fourth"])
        let moves = plan.writes.compactMap { write -> Int64? in if case .move(let original, _) = write { original.id } else { nil } }
        #expect(moves == [4, 5, 6])
        #expect(plan.lastMessageID == 9)
        #expect(MessagePlacement.plan([Self.draft("a")], in: Self.session, after: 2, later: [:]) == ([.insert(Message(id: 3, sessionID: Self.session, draft: Self.draft("a")))], 3))
    }
}
