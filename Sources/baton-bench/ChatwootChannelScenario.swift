import ChatwootStandIn
import Foundation

/// A flow's turn for a contact on a Chatwoot inbox (WhatsApp here): the contact writes in the stand-in, which
/// delivers the agent-bot webhook to Baton; Baton runs the flow and posts its reply as the agent bot. Timed from the
/// moment the stand-in began delivering the webhook to its receipt of the reply, turn after turn (the stand-in's own
/// time before it delivers is Chatwoot's, not Baton's). It holds the 150 ms Baton waits for the rest of a burst of
/// one conversation's messages (Chatwoot delivers them from parallel workers, in either order), which every message
/// of a quiet conversation waits out in full.
struct ChatwootChannelScenario {
    struct Figures: Codable, Sendable {
        var turns = 0
        var webhookToReply = Latencies()
    }

    let rig: BatonRig
    let turns: Int

    func run() async throws -> Figures {
        guard let inbox = rig.channelInbox else { throw BenchError("the rig answers no Chatwoot inbox") }
        // Baton connects its agent bot to the inbox as it starts.
        _ = try await rig.standIn.waitUntil(timeout: .seconds(30), "Baton's agent bot on inbox \(inbox)") { snapshot in snapshot.inbox(inbox)?.agentBotId }
        let contact = ChannelContact(sourceId: "4915100000000", name: "Bench contact", phoneNumber: "+4915100000000")
        // The first message starts the flow, which asks its question.
        let first = try await rig.standIn.contactWrites(inbox: inbox, as: contact, content: "hello")
        let conversation = first.conversationDisplayId
        _ = try await rig.standIn.post(to: "/conversations/\(conversation)/messages", saying: "Say something")

        var figures = Figures()
        for turn in 0..<turns {
            let marker = "channel:\(turn);"
            let written = try await rig.standIn.contactWrites(inbox: inbox, as: contact, content: marker)
            let answer = try await rig.standIn.post(to: "/conversations/\(conversation)/messages", saying: "You said \(marker)")
            let webhook = try await rig.standIn.waitForDeliveries(count: 1, event: "message_created", where: { $0.messageId == written.id })[0]
            figures.webhookToReply.add(answer.receivedAt.nanoseconds(since: webhook.startedAt))
            figures.turns += 1
        }
        return figures
    }
}
