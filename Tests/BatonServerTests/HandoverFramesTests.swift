import BatonCore
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import Testing

/// The webchat learns each handover phase from the step that committed it, through the hub: a socket reads the
/// session once when it opens, not once per forwarded message.
@Suite("Webchat socket: handover phases from the hub")
struct HandoverFramesTests {
    /// Frames until one of `type` satisfies `done`, collecting the handover frames met on the way.
    static func frames(_ chat: Chat, until done: (JSONValue) -> Bool) async throws -> [JSONValue] {
        var seen: [JSONValue] = []
        while true {
            let frame = try await chat.inbox.next(within: .seconds(10))
            seen.append(frame)
            if done(frame) { return seen }
        }
    }

    @Test func eachPhaseReachesTheSocketAndForwardingReadsNoSession() async throws {
        let (app, provider, store) = try await TestBaton.appWithFakeDesk(now: ChatwootWebhookRouteTests.fixedNow, wrapStore: { CountingStore($0) })
        let counting = try #require(store as? CountingStore)
        try await app.test(.live) { client in
            try await client.chat("t0k3n") { chat in
                _ = try await chat.hello(handoverUpdates: true)
                #expect(try await chat.next("handover") == ["type": "handover", "phase": nil, "number": 0, "agentJoined": false])
                _ = try await chat.messages(2)
                try await chat.say("Ada")
                _ = try await chat.messages(3)
                try await chat.say("agent")
                let opening = try await Self.frames(chat) { $0["type"] == "handover" && $0["phase"] == "active" }
                #expect(opening.filter { $0["type"] == "handover" } == [
                    ["type": "handover", "phase": "opening", "number": 1, "agentJoined": false], ["type": "handover", "phase": "active", "number": 1, "agentJoined": false],
                ])
                try await provider.recorder.waitForPosts(6)

                let readsBefore = counting.sessionReadCount
                var reply = try JSONValue(jsonText: String(decoding: try ChatwootWebhookRouteTests.sample("01-"), as: UTF8.self))
                for id in 1...5 {
                    reply = reply.setting(.number(Double(90_300 + id)), at: ["id"]).setting(.string("reply \(id)"), at: ["content"])
                    #expect(try await ChatwootWebhookRouteTests.deliver(Data(reply.jsonText.utf8), client).status == .ok)
                }
                #expect(try await chat.messages(5).map(\.text) == (1...5).map { "reply \($0)" })
                #expect(try await ChatwootWebhookRouteTests.deliver(try ChatwootWebhookRouteTests.sample("14-"), client).status == .ok)
                let resolved = try await Self.frames(chat) { $0["type"] == "handover" }
                #expect(resolved.last == ["type": "handover", "phase": "resolved", "number": 1, "agentJoined": false])
                #expect(resolved.dropLast().contains { $0["message"]?["sender"] == "system" }, "the notice comes before the phase it announces")
                #expect(counting.sessionReadCount == readsBefore, "forwarding five replies and a resolve read no session")
                // A write the store ran again (after another in its batch failed) hands its phase over again.
                let handed = counting.handoverPhases.map { "\($0.phase?.rawValue ?? "none") \($0.number)" }
                #expect(
                    handed.enumerated().filter { $0.offset == 0 || handed[$0.offset - 1] != $0.element }.map(\.element) == ["opening 1", "active 1", "resolved 1"],
                    "each step that moved the phase handed it to the store, which announces it to other instances with its write: \(handed)")
            }
        }
    }
}
