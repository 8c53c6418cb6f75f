import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A flow's turn over the REST channel: a user message posted, the flow's answer in the response (the channel
/// answers with everything the message caused), turn after turn in one session.
struct RESTScenario {
    struct Figures: Codable, Sendable {
        var turns = 0
        var messageToAnswer = Latencies()
    }

    let rig: BatonRig
    let client: HTTPClient
    let turns: Int

    func run() async throws -> Figures {
        // The first message starts the session and the flow, which asks its question.
        guard let session = try await send("hello", session: nil)["sessionId"] as? String else { throw BenchError("no sessionId in the REST answer") }
        var figures = Figures()
        for turn in 0..<turns {
            let marker = "rest:\(turn);"
            let start = Stopwatch.now()
            let answer = try await send(marker, session: session)
            figures.messageToAnswer.add(Stopwatch.now() - start)
            let texts = (answer["messages"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
            guard texts.contains("You said \(marker)") else { throw BenchError("turn \(turn) was answered \(texts)") }
            figures.turns += 1
        }
        return figures
    }

    /// Posts the user's `text` (in `session`, or a new one); the answer's JSON.
    func send(_ text: String, session: String?) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: rig.baseURLs[0] + "/api/v1/endpoints/\(BatonRig.endpoint)/messages")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        var body: [String: Any] = ["text": text, "clientMessageId": "rest-\(UUID().uuidString)"]
        if let session { body["sessionId"] = session }
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        let response = try await client.execute(request, timeout: .seconds(10))
        let answer = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw BenchError("the REST channel answered \(response.status): \(String(buffer: answer))") }
        return (try JSONSerialization.jsonObject(with: Data(buffer: answer)) as? [String: Any]) ?? [:]
    }
}
