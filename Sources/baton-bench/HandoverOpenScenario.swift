import ChatwootStandIn
import Foundation

/// How soon an agent can see a user who asks for one, and how soon the user hears so: one webchat user after another
/// says "agent" (the bench flow's handover), timed from the frame written to the stand-in's receipt of Baton's
/// `POST …/conversations` (the conversation exists for the agents), and to the handover's accepted notice on the
/// user's socket.
struct HandoverOpenScenario {
    struct Figures: Codable, Sendable {
        var handovers = 0
        var toConversation = Latencies()
        var toNotice = Latencies()
    }

    let rig: BatonRig
    let handovers: Int
    static let notice = "An agent will be with you shortly."

    func run() async throws -> Figures {
        var figures = Figures()
        let told = Stopwatch()
        for number in 0..<handovers {
            let socket = try await BenchSocket.open(url: rig.socketURL(), hello: #"{"type":"hello"}"#) { text in
                if text.contains(Self.notice) { told.arrived(number) }
            }
            guard let session = socket.session else { throw BenchError("no session") }
            let sent = Instant.now
            told.sent(number)
            try await socket.send(#"{"type":"message","text":"agent","clientMessageId":"open-\#(number)"}"#)
            let created = try await rig.standIn.post(to: "/conversations", saying: session)
            guard await told.waitForArrivals(number + 1, timeout: .seconds(10)) else { throw BenchError("handover \(number): no accepted notice") }
            figures.toConversation.add(created.receivedAt.nanoseconds(since: sent))
            figures.handovers += 1
            await SocketsScenario.closeAll([socket])
        }
        figures.toNotice = told.latencies()
        return figures
    }
}
