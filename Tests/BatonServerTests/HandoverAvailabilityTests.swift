import BatonConfig
import BatonCore
import BatonServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `whenUnavailable`: before handing over, Baton asks Chatwoot whether the inbox is inside its working hours and a
/// member is online, and either skips the handover or hands over with a word about the wait.
@Suite("Handover availability")
struct HandoverAvailabilityTests {
    static func flow(_ choice: String, extra: String = "") -> String {
        """
        name: Availability
        nodes:
          - id: loop
            question: { text: "Say something", store: last }
          - handover:
              inboxId: 1
              acceptedMessage: "Queued."
              whenUnavailable: \(choice)\(extra)
          - say: "Handover: {{ input.handover.status }} {{ input.handover.reason }}"
          - goto: loop
        """
    }

    static func say(_ text: String, session: String? = nil, _ client: some TestClientProtocol) async throws -> String {
        var body: JSONValue = ["text": .string(text)]
        if let session { body = body.setting(.string(session), at: ["sessionId"]) }
        let answer = try await client.postJSON(RESTChannelTests.messagesPath, body)
        guard case .string(let id)? = answer["sessionId"] else { throw ChatError.unexpected("no session in \(answer.jsonText)") }
        return id
    }

    @Test func withSkipNobodyOnlineMeansNoHandoverAndTheAnswerIsKeptForAWhile() async throws {
        try await HandoverEndToEndTests.withBaton(flow: Self.flow("skip")) { chatwoot, client in
            try await chatwoot.agentIs("offline")
            let session = try await Self.say("help", client)
            let texts = try await client.waitForText("Handover: unavailable no_agent_online", session: session)
            #expect(texts == ["Say something", "help", "Handover: unavailable no_agent_online", "Say something"], "no apology: the flow speaks")
            #expect(await chatwoot.conversationCount() == 0, "nothing was opened")
            // A second user within the cache's lifetime (30 s): no second look at the members, even though the
            // agent came online meanwhile.
            try await chatwoot.agentIs("online")
            let other = try await Self.say("help too", client)
            _ = try await client.waitForText("Handover: unavailable no_agent_online", session: other)
            #expect(await chatwoot.memberReads(chatwoot.supportInbox) == 1)
        }
    }

    @Test func withSkipAClosedInboxIsOutsideBusinessHours() async throws {
        try await HandoverEndToEndTests.withBaton(flow: Self.flow("skip")) { chatwoot, client in
            try await chatwoot.closeForTheWeek(chatwoot.supportInbox)
            let session = try await Self.say("help", client)
            _ = try await client.waitForText("Handover: unavailable outside_business_hours", session: session)
            #expect(await chatwoot.conversationCount() == 0)
            #expect(await chatwoot.memberReads(chatwoot.supportInbox) == 0, "closed: nobody's availability matters")
        }
    }

    @Test func withHandoverTheUserIsToldItMayTakeAWhile() async throws {
        try await HandoverEndToEndTests.withBaton(flow: Self.flow("handover")) { chatwoot, client in
            try await chatwoot.agentIs("offline")
            let session = try await Self.say("help", client)
            let texts = try await client.waitForText(HandoverNotices.english(.noAgentOnline), session: session)
            #expect(texts.suffix(2) == ["Queued.", HandoverNotices.english(.noAgentOnline)])
            _ = try await chatwoot.waitForConversation(session: session)
        }
    }

    @Test func busyCountsWhenTheEndpointSaysSo() async throws {
        try await HandoverEndToEndTests.withBaton(flow: Self.flow("skip"), configure: { $0.busyIsAvailable = true }) { chatwoot, client in
            try await chatwoot.agentIs("busy")
            let session = try await Self.say("help", client)
            _ = try await client.waitForText("Queued.", session: session)
            _ = try await chatwoot.waitForConversation(session: session)
        }
    }

    /// With `announcePosition`, each user hears their place among the inbox's open unassigned conversations.
    @Test func theQueuePositionIsToldWhenTheNodeAsks() async throws {
        try await HandoverEndToEndTests.withBaton(flow: Self.flow("handover", extra: "\n      announcePosition: true")) { chatwoot, client in
            let first = try await Self.say("help", client)
            let texts = try await client.waitForText("You're next in line.", session: first)
            #expect(texts.suffix(2) == ["Queued.", "You're next in line."])
            _ = try await chatwoot.waitForConversation(session: first)
            let second = try await Self.say("me too", client)
            _ = try await client.waitForText("You're number 2 in the queue.", session: second)
        }
    }
}
