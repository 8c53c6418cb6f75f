import BotStandIn
import Testing
import StandInJSON

/// `stream: true`: SSE framing, pieces, finish chunk, usage chunk, `[DONE]` (contract §4).
@Suite struct OpenAIStreamTests {
    @Test func textStreamsInPiecesThenFinishUsageAndDone() async throws {
        try await withOpenAI { llm async throws in
            llm.enqueue(.text("The parcel left the depot today."))
            let streamed = try await HTTP.stream(llm.chatCompletionsURL(), json: Chat.body(stream: true, includeUsage: true))
            #expect(streamed.status == 200)
            #expect(streamed.header("content-type") == "text/event-stream")
            #expect(streamed.header("transfer-encoding") == "chunked")
            #expect(streamed.failure == nil)
            #expect(streamed.text.hasSuffix("data: [DONE]\n\n"))
            #expect(streamed.comments == [": keep-alive"])
            let chunks = streamed.chunks
            #expect(Set(chunks.compactMap { $0["id"]?.stringValue }).count == 1)
            #expect(chunks.allSatisfy { $0["object"] == "chat.completion.chunk" })
            #expect(chunks.first?["choices"]?[0]?["delta"] == ["role": "assistant", "content": "", "refusal": nil])
            let pieces = chunks.dropFirst().compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }
            #expect(pieces.count == 6)
            #expect(pieces.joined() == "The parcel left the depot today.")
            let finish = try #require(chunks.dropLast().last?["choices"]?[0])
            #expect(finish["delta"] == [:])
            #expect(finish["finish_reason"] == "stop")
            let usage = try #require(chunks.last)
            #expect(usage["choices"] == [])
            #expect(usage["usage"] == ["prompt_tokens": 2, "completion_tokens": 6, "total_tokens": 8])
            // The spec: every other chunk carries `usage: null`.
            #expect(chunks.dropLast().allSatisfy { $0["usage"] == .null })
        }
    }

    @Test func withoutIncludeUsageThereIsNoUsageChunk() async throws {
        try await withOpenAI { llm async throws in
            let streamed = try await HTTP.stream(llm.chatCompletionsURL(), json: Chat.body(stream: true))
            #expect(streamed.sawDone)
            #expect(streamed.content == "You said: Hello there")
            #expect(streamed.chunks.allSatisfy { $0["usage"] == nil && $0["choices"] != [] })
        }
    }

    @Test func openAIStreamsToolCallsInFragmentsKeyedByIndex() async throws {
        try await withOpenAI { llm async throws in
            let first = #"{"reason":"user asked","summary":"wants a person"}"#
            llm.enqueue(.toolCalls([ScriptedToolCall(name: "handover", arguments: first), ScriptedToolCall(name: "tag", arguments: #"{"tag":"vip"}"#)]))
            let streamed = try await HTTP.stream(llm.chatCompletionsURL(), json: Chat.body(tools: ["handover", "tag"], stream: true))
            #expect(streamed.sawDone)
            let fragments = streamed.choiceChunks.flatMap { $0["choices"]?[0]?["delta"]?["tool_calls"]?.arrayValue ?? [] }
            #expect(fragments.count > 4)
            var arguments: [Int: String] = [:]
            for index in [0, 1] {
                let mine = fragments.filter { $0["index"]?.intValue == index }
                let opening = try #require(mine.first)
                #expect(opening["id"]?.stringValue?.hasPrefix("call_") == true)
                #expect(opening["type"] == "function")
                #expect(opening["function"]?["arguments"] == "")
                // Later fragments carry only the index and a piece of the arguments.
                #expect(mine.dropFirst().allSatisfy { $0.keys == ["index", "function"] && $0["function"]?.keys == ["arguments"] })
                arguments[index] = mine.compactMap { $0["function"]?["arguments"]?.stringValue }.joined()
            }
            #expect(arguments[0] == first)
            #expect(arguments[1] == #"{"tag":"vip"}"#)
            // No text: the first chunk has content null and already opens call 0.
            #expect(streamed.choiceChunks.first?["choices"]?[0]?["delta"]?["content"] == .null)
            #expect(streamed.choiceChunks.last?["choices"]?[0]?["finish_reason"] == "tool_calls")
        }
    }

    @Test func ollamaStreamsEachToolCallWholeInOneChunk() async throws {
        try await withOpenAI(.init(flavor: .ollama)) { llm async throws in
            let arguments = #"{"reason":"user asked","summary":"wants a person"}"#
            llm.enqueue(.toolCall(name: "handover", arguments: arguments))
            let streamed = try await HTTP.stream(llm.chatCompletionsURL(), json: Chat.body(tools: ["handover"], stream: true))
            let withCalls = streamed.choiceChunks.filter { $0["choices"]?[0]?["delta"]?["tool_calls"] != nil }
            #expect(withCalls.count == 1)
            let call = try #require(withCalls.first?["choices"]?[0]?["delta"]?["tool_calls"]?[0])
            #expect(call["index"] == 0)
            #expect(call["id"]?.stringValue?.hasPrefix("call_") == true)
            #expect(call["function"] == ["name": "handover", "arguments": .string(arguments)])
            #expect(streamed.chunks.first?["system_fingerprint"] == "fp_ollama")
            #expect(streamed.sawDone)
        }
    }

    @Test func slowTextArrivesPieceByPiece() async throws {
        try await withOpenAI { llm async throws in
            llm.enqueue(.slowText("one two three four", pieceDelayMilliseconds: 150))
            let seen = Tally()
            let clock = ContinuousClock()
            let start = clock.now
            let streamed = try await HTTP.stream(llm.chatCompletionsURL(), json: Chat.body(stream: true)) { soFar in
                seen.append(soFar)
            }
            #expect(clock.now - start >= .milliseconds(450))
            #expect(streamed.content == "one two three four")
            // The client got the body in several reads, so it could show the text growing.
            #expect(seen.all.count >= 4)
        }
    }
}
