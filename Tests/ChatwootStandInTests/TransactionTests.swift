@testable import ChatwootStandIn
import Testing

/// The stand-in's transactions restore the message table from its length and an undo log rather than a copy.
@Suite struct TransactionTests {
    struct Refused: Error {}

    @Test func aFailedTransactionRestoresEveryMessageItChangedOrAdded() async throws {
        try await Harness.with { h in
            let conversation = try await h.standIn.startConversation(
                inbox: h.seed.inbox.id, contactName: "Ann", identifier: "ann-1", firstMessage: "first")
            let before = await h.standIn.snapshot().messages
            let first = try #require(before.first { $0.content == "first" })

            await h.standIn.state.changeTwiceAddOneAndFail(messageID: first.id)

            #expect(await h.standIn.snapshot().messages == before, "the change, the nested change and the added row are gone")
            // The table is still the store's own, changed and added to as before.
            try await h.standIn.receiveIncoming(conversation.ref, content: "second")
            let after = await h.standIn.messages(conversation.ref).compactMap(\.content)
            #expect(after.suffix(2) == ["first", "second"])
        }
    }

    @Test func aCommittedTransactionKeepsItsChanges() async throws {
        try await Harness.with { h in
            _ = try await h.standIn.startConversation(inbox: h.seed.inbox.id, contactName: "Bo", identifier: "bo-1", firstMessage: "hello")
            let first = try #require(await h.standIn.snapshot().messages.first { $0.content == "hello" })
            await h.standIn.state.change(messageID: first.id, to: "edited")
            #expect(await h.standIn.snapshot().messages.first { $0.id == first.id }?.content == "edited")
        }
    }
}

extension StandInState {
    /// Changes a message, changes it again in a nested transaction that commits, appends a copy, then fails.
    func changeTwiceAddOneAndFail(messageID: Int) {
        _ = try? transaction { () throws -> Void in
            guard let index = messageIndex(messageID) else { return }
            var changed = db.messages[index]
            changed.content = "changed"
            replaceMessage(at: index, with: changed)
            try transaction {
                changed.content = "changed again"
                replaceMessage(at: index, with: changed)
            }
            db.messages.append(changed)
            throw TransactionTests.Refused()
        }
    }

    func change(messageID: Int, to content: String) {
        _ = try? transaction {
            guard let index = messageIndex(messageID) else { return }
            var changed = db.messages[index]
            changed.content = content
            replaceMessage(at: index, with: changed)
        }
    }
}
