import BotStandIn
import NIOCore
import Testing
import StandInJSON

/// `?stream=true`, scripted failures, and one turn at a time per sender (contract §1.9, §4).
@Suite struct RasaStreamAndOrderTests {
    @Test func streamIsNewlineDelimitedJSONUnderEventStream() async throws {
        try await withRasa { rasa async throws in
            rasa.enqueue(.messages([RasaMessage(text: "Here is our office:", image: "https://example.com/office.jpg")]))
            let streamed = try await HTTP.stream(rasa.webhookURL + "?stream=true", json: ["sender": "c0a8f2e1", "message": "office"])
            #expect(streamed.status == 200)
            #expect(streamed.header("content-type") == "text/event-stream")
            #expect(streamed.failure == nil)
            // `json.dumps(message) + "\n"`: Python's default separators, no SSE framing.
            #expect(
                streamed.text == """
                    {"recipient_id": "c0a8f2e1", "text": "Here is our office:"}
                    {"recipient_id": "c0a8f2e1", "image": "https://example.com/office.jpg"}

                    """)
        }
    }

    @Test func scriptedFailures() async throws {
        try await withRasa { rasa async throws in
            rasa.enqueue(.status(502, body: "Bad Gateway", headers: ["Content-Type": "text/plain"]))
            rasa.enqueue(.malformed("[{\"text\": "))
            rasa.enqueue(.cutConnection)
            rasa.enqueue(.delay(seconds: 0.3, then: .messages([.text("slow")])))
            let body: JSONValue = ["sender": "s", "message": "m"]
            let gateway = try await HTTP.send(rasa.webhookURL, json: body)
            #expect(gateway.status == 502)
            #expect(gateway.text == "Bad Gateway")
            let malformed = try await HTTP.send(rasa.webhookURL, json: body)
            #expect(malformed.status == 200)
            #expect(malformed.json == nil)
            await #expect(throws: (any Error).self) { _ = try await HTTP.send(rasa.webhookURL, json: body) }
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await HTTP.send(rasa.webhookURL, json: body).json?[0]?["text"] == "slow")
            #expect(clock.now - start >= .milliseconds(300))
        }
    }

    @Test func oneTurnAtATimePerSender() async throws {
        try await withRasa { rasa async throws in
            // Long enough that the other sender's answer comes first even on a machine busy with the whole suite.
            rasa.enqueue(.delay(seconds: 8, then: .messages([.text("first")])))
            let finished = Tally()
            let clock = ContinuousClock()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let reply = try await HTTP.send(rasa.webhookURL, json: ["sender": "same", "message": "one"], timeout: .seconds(30))
                    finished.append("one: " + (reply.json?[0]?["text"]?.stringValue ?? "?"))
                }
                // The second request for the same sender arrives while the first turn is still running …
                _ = try await rasa.waitForRequests(count: 1)
                group.addTask {
                    let start = clock.now
                    let reply = try await HTTP.send(rasa.webhookURL, json: ["sender": "same", "message": "two"], timeout: .seconds(30))
                    // … and is only answered once that turn is over (the script was the first turn's, not this one's).
                    #expect(clock.now - start >= .seconds(6))
                    finished.append("two: " + (reply.json?[0]?["text"]?.stringValue ?? "?"))
                }
                // Another sender's request does not wait for it.
                _ = try await rasa.waitForRequests(count: 2)
                let other = try await HTTP.send(rasa.webhookURL, json: ["sender": "other", "message": "three"])
                finished.append("three: " + (other.json?[0]?["text"]?.stringValue ?? "?"))
                try await group.waitForAll()
            }
            #expect(finished.all.first == "three: Rasa heard: three")
            // The two answers of one sender are written back at once when the first turn ends; which response the
            // client reads first is the network's business (the wait of "two" above shows the order of the turns).
            #expect(Set(finished.all.dropFirst()) == ["one: first", "two: Rasa heard: two"])
        }
    }
}
