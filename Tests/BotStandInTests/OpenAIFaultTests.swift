import BotStandIn
import NIOCore
import Testing
import StandInJSON

/// Scripted failures: statuses, cut streams, errors after 200, garbage, delays.
@Suite struct OpenAIFaultTests {
    @Test func rateLimitedWithRetryAfter() async throws {
        try await withOpenAI { llm async throws in
            llm.enqueue(.rateLimited(retryAfterSeconds: 2))
            let reply = try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body(stream: true))
            #expect(reply.status == 429)
            #expect(reply.header("retry-after") == "2")
            #expect(reply.json?["error"]?["code"] == "rate_limit_exceeded")
            #expect(reply.json?["error"]?.keys == ["message", "type", "param", "code"])
        }
    }

    @Test func serverErrorsAndCustomStatuses() async throws {
        try await withOpenAI { llm async throws in
            llm.enqueue(.serverError)
            llm.enqueue(.overloaded)
            llm.enqueue(.status(502, body: "<html>Bad gateway</html>", headers: ["Content-Type": "text/html"]))
            let first = try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body())
            #expect(first.status == 500)
            #expect(first.json?["error"]?["type"] == "server_error")
            #expect(try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body()).status == 503)
            let gateway = try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body())
            #expect(gateway.status == 502)
            #expect(gateway.header("content-type") == "text/html")
            #expect(gateway.text == "<html>Bad gateway</html>")
        }
    }

    @Test func cutStreamEndsWithoutFinishOrDone() async throws {
        try await withOpenAI { llm async throws in
            llm.enqueue(.cutStream(afterPieces: 2, text: "alpha beta gamma delta"))
            let streamed = try await HTTP.stream(llm.chatCompletionsURL(), json: Chat.body(stream: true))
            #expect(streamed.failure != nil)
            #expect(!streamed.sawDone)
            // The pieces written before the cut, or fewer: a client that is slow to read may lose what it had
            // buffered when the connection breaks (AsyncHTTPClient then reports the error first), never more.
            #expect("alpha beta".hasPrefix(streamed.content), "\(streamed.content)")
            #expect(!streamed.content.contains("gamma"))
            #expect(streamed.choiceChunks.allSatisfy { $0["choices"]?[0]?["finish_reason"] == .null })
        }
    }

    @Test func cutWithoutStreamClosesWithoutAnAnswer() async throws {
        try await withOpenAI { llm async throws in
            llm.enqueue(.cutStream(afterPieces: 0, text: "never"))
            await #expect(throws: (any Error).self) { _ = try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body()) }
            // The next request is served normally.
            #expect(try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body()).status == 200)
        }
    }

    @Test func errorEventAfter200PerFlavour() async throws {
        try await withOpenAI { llm async throws in
            llm.enqueue(.errorEvent(afterPieces: 1, text: "partial answer"))
            let streamed = try await HTTP.stream(llm.chatCompletionsURL(), json: Chat.body(stream: true))
            #expect(streamed.status == 200)
            #expect(streamed.failure == nil)
            #expect(streamed.content == "partial")
            #expect(streamed.chunks.last?["error"]?["type"] == "server_error")
            #expect(!streamed.sawDone)
        }
        try await withOpenAI(.init(flavor: .ollama)) { llm async throws in
            llm.enqueue(.errorEvent(afterPieces: 1, text: "partial answer"))
            let streamed = try await HTTP.stream(llm.chatCompletionsURL(), json: Chat.body(stream: true))
            #expect(streamed.failure == nil)
            // The error is lost: an empty-content chunk, no finish chunk, no [DONE].
            #expect(streamed.chunks.allSatisfy { $0["error"] == nil })
            #expect(streamed.choiceChunks.last?["choices"]?[0]?["delta"]?["content"] == "")
            #expect(streamed.choiceChunks.allSatisfy { $0["choices"]?[0]?["finish_reason"] == .null })
            #expect(!streamed.sawDone)
        }
    }

    @Test func errorEventWithoutStreamIsA500() async throws {
        try await withOpenAI { llm async throws in
            llm.enqueue(.errorEvent(afterPieces: 1, text: "x"))
            #expect(try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body()).status == 500)
        }
    }

    @Test func malformedBodyComesWith200() async throws {
        try await withOpenAI { llm async throws in
            llm.enqueue(.malformed("this is {not json"))
            let reply = try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body())
            #expect(reply.status == 200)
            #expect(reply.text == "this is {not json")
            #expect(reply.json == nil)
        }
    }

    @Test func delayAnswersLate() async throws {
        try await withOpenAI { llm async throws in
            llm.enqueue(.delay(seconds: 0.4, then: .text("late")))
            let clock = ContinuousClock()
            let start = clock.now
            let reply = try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body())
            #expect(clock.now - start >= .milliseconds(400))
            #expect(reply.json?["choices"]?[0]?["message"]?["content"] == "late")
        }
    }

    @Test func aDelayLongerThanTheClientWaitsTimesOutAndShutdownDoesNotWaitForIt() async throws {
        let llm = try await OpenAIStandIn.start()
        llm.enqueue(.delay(seconds: 120, then: .text("far too late")))
        await #expect(throws: (any Error).self) {
            _ = try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body(), timeout: .milliseconds(300))
        }
        let clock = ContinuousClock()
        let start = clock.now
        await llm.shutdown()
        #expect(clock.now - start < .seconds(30))
    }
}
