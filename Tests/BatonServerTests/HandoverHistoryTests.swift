import BatonCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Handover history")
struct HandoverHistoryTests {
    /// Chatwoot takes at most 200 messages a minute per conversation, so a long history is cut to its newest
    /// messages and the agents get a note saying how many older ones there are.
    @Test func aLongHistoryIsCutToItsNewestMessagesWithANote() async throws {
        let (app, provider, _) = try await TestBaton.appWithFakeDesk()
        try await app.test(.router) { client in
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
            for index in 0..<60 {
                _ = try await client.postJSON(RESTChannelTests.messagesPath, ["sessionId": .string(session), "text": .string("line \(index)")])
            }
            let before = try await client.getJSON("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=0&limit=1")["lastId"]?.int ?? 0
            #expect(before == 185)
            _ = try await client.postJSON(RESTChannelTests.messagesPath, ["sessionId": .string(session), "text": "agent"])
            try await provider.recorder.waitForPosts(150)
            let posted = await provider.recorder.posted
            #expect(posted.count == 150)
            #expect(posted.first?.id == 37, "the newest 150 of 186 messages")
            #expect(posted.last?.content.text == "agent")
            #expect(await provider.recorder.notes == ["36 earlier messages of this conversation are not shown here (Baton session \(session))."])
        }
    }
}
