import ChatwootStandIn
import Foundation
import NIOHTTP1
import Testing

/// The Swift API used by tests and the console: seeding, acting as an agent, waiting.
@Suite struct InProcessTests {
    @Test func agentActionsProduceTheirEvents() async throws {
        try await Harness.with { h in
            let conversation = try await h.standIn.startConversation(
                inbox: h.seed.inbox.id, contactName: "Jane Doe", identifier: "jane-1", firstMessage: "I need a human")
            let ref = conversation.ref
            let maria = h.standIn.agent(h.seed.agent.id)

            try await maria.typing(ref, on: true)
            _ = try await h.receiver.waitFor(event: "conversation_typing_on")
            try await maria.typing(ref, on: false, isPrivate: true)
            let off = try await h.receiver.waitFor(event: "conversation_typing_off")
            #expect(off.json["is_private"] == true)

            let photo = StandInFile(filename: "photo.png", mimeType: "image/png", data: [1, 2, 3])
            let reply = try await maria.reply(ref, "Here is a **photo**", attachments: [photo])
            #expect(reply.attachments.first?.fileType == "image")
            let messages = try await h.standIn.waitForMessages(ref, count: 2) { $0.messageType != .activity }
            #expect(messages.map(\.content) == ["I need a human", "Here is a **photo**"])

            try await maria.assign(ref, to: h.seed.agent.id)
            #expect(await h.standIn.conversation(ref)?.assigneeId == h.seed.agent.id)

            try await maria.snooze(ref)
            #expect(await h.standIn.conversation(ref)?.status == .snoozed)
            try await h.standIn.receiveIncoming(ref, content: "hello again")
            #expect(await h.standIn.conversation(ref)?.status == .open)

            try await maria.resolve(ref)
            let resolved = try await h.receiver.waitFor(event: "conversation_status_changed") { $0.json["status"] == "resolved" }
            #expect(resolved.json["id"] == .int(ref.displayId))
            try await maria.reopen(ref)
            _ = try await h.receiver.waitFor(event: "conversation_status_changed") { $0.json["status"] == "open" && $0.json["meta"]?["assignee"]?["id"] == .int(h.seed.agent.id) }

            let deleted = try await maria.deleteMessage(reply.id, in: ref)
            #expect(deleted.isDeleted)
            _ = try await h.receiver.waitFor(event: "message_updated") { $0.json["id"] == .int(reply.id) }

            // An agent of another account cannot act here.
            let other = await h.standIn.createAccount(name: "Other")
            let stranger = await h.standIn.createUser(name: "Stranger", email: "s@example.com", roles: [other.id: .agent])
            await #expect(throws: StandInAPIError.self) { try await h.standIn.agent(stranger.id).reply(ref, "hi") }

            let json = try #require(await h.standIn.conversationJSON(ref))
            #expect(json["meta"]?["assignee_type"] == "User")
        }
    }

    @Test func waitUntilTimesOut() async throws {
        try await Harness.with { h in
            await #expect(throws: StandInTimeoutError.self) {
                _ = try await h.standIn.waitUntil(timeout: .milliseconds(200), "never") { _ -> Bool? in nil }
            }
        }
    }

    @Test func waitForRequestsCountsThoseRecordedAlreadyAndThoseToCome() async throws {
        try await Harness.with { h in
            let isInboxRead: @Sendable (RecordedRequest) -> Bool = { $0.method == "GET" && $0.path.hasSuffix("/inboxes/\(h.seed.inbox.id)") }
            _ = try await h.call(.GET, "/inboxes/\(h.seed.inbox.id)", token: h.adminToken)
            _ = try await h.call(.GET, "/contacts", token: h.adminToken)
            let already = try await h.standIn.waitForRequests(count: 1, timeout: .seconds(5), where: isInboxRead)
            #expect(already.map(\.path) == ["/api/v1/accounts/\(h.account)/inboxes/\(h.seed.inbox.id)"])

            async let three = h.standIn.waitForRequests(count: 3, timeout: .seconds(10), where: isInboxRead)
            for _ in 0..<2 { _ = try await h.call(.GET, "/inboxes/\(h.seed.inbox.id)", token: h.adminToken) }
            let found = try await three
            #expect(found.count == 3)
            #expect(found.map(\.id) == found.map(\.id).sorted(), "in arrival order")

            await #expect(throws: StandInTimeoutError.self) {
                _ = try await h.standIn.waitForRequests(count: 5, timeout: .milliseconds(200), where: isInboxRead)
            }
        }
    }

    @Test func consoleIsServed() async throws {
        try await Harness.with { h in
            let root = try await h.call(.GET, "/", token: nil)
            #expect(root.status == 302)
            let page = try await h.call(.GET, "/console", token: nil)
            #expect(page.status == 200)
            #expect(page.headers.first(name: "content-type")?.hasPrefix("text/html") == true)
            #expect(page.text.contains("Agent console"))
            let script = try await h.call(.GET, "/console/console.js", token: nil)
            #expect(script.status == 200)
            #expect(!script.text.contains("innerHTML"))
            let css = try await h.call(.GET, "/console/console.css", token: nil)
            #expect(css.headers.first(name: "content-type")?.hasPrefix("text/css") == true)
            let bootstrap = try await h.call(.GET, "/console/bootstrap.json", token: nil)
            #expect(bootstrap.json["accounts"]?[0]?["users"]?.arrayValue?.count == 2)
            #expect(await h.standIn.specViolations().isEmpty)
        }
    }
}
