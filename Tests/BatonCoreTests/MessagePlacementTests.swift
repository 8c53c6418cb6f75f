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
}
