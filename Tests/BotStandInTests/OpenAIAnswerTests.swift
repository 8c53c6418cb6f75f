import BotStandIn
import Testing
import StandInJSON

/// Non-streamed answers: the `chat.completion` shape of contract §3, scripted and default.
@Suite struct OpenAIAnswerTests {
    @Test func textAnswerHasTheChatCompletionShape() async throws {
        try await withOpenAI(.init(apiKey: "sk-test-key-123456")) { llm async throws in
            llm.enqueue(.text("Hello, how can I help?"))
            let reply = try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body(), headers: Chat.bearer("sk-test-key-123456"))
            #expect(reply.status == 200)
            #expect(reply.header("content-type") == "application/json")
            let json = try #require(reply.json)
            #expect(json["id"]?.stringValue?.hasPrefix("chatcmpl-") == true)
            #expect(json["object"] == "chat.completion")
            #expect((json["created"]?.intValue ?? 0) > 1_700_000_000)
            #expect(json["model"] == "gpt-4o-mini")
            let choice = try #require(json["choices"]?[0])
            #expect(choice["index"] == 0)
            #expect(choice["message"] == ["role": "assistant", "content": "Hello, how can I help?", "refusal": nil, "annotations": []])
            #expect(choice["logprobs"] == .null)
            #expect(choice["finish_reason"] == "stop")
            // Words stand in for tokens: "Hello there" → 2, the answer → 5.
            #expect(json["usage"] == ["prompt_tokens": 2, "completion_tokens": 5, "total_tokens": 7])
        }
    }

    @Test func toolCallArgumentsAreAStringAndContentIsNull() async throws {
        try await withOpenAI { llm async throws in
            // Invalid JSON on purpose: models produce it, clients must survive it.
            llm.enqueue(.toolCall(name: "lookup_order", arguments: #"{"order": "A-1""#))
            let json = try #require(try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body(tools: ["lookup_order"])).json)
            let choice = try #require(json["choices"]?[0])
            #expect(choice["finish_reason"] == "tool_calls")
            let message = try #require(choice["message"])
            #expect(message.keys.contains("content"))
            #expect(message["content"] == .null)
            let call = try #require(message["tool_calls"]?[0])
            #expect(call["id"]?.stringValue?.hasPrefix("call_") == true)
            #expect(call["type"] == "function")
            #expect(call["function"]?["name"] == "lookup_order")
            #expect(call["function"]?["arguments"] == .string(#"{"order": "A-1""#))
        }
    }

    @Test func textAndToolCallTogether() async throws {
        try await withOpenAI { llm async throws in
            llm.enqueue(.textAndToolCall(text: "One moment.", name: "handover", arguments: "{}"))
            let message = try #require(try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body(tools: ["handover"])).json?["choices"]?[0]?["message"])
            #expect(message["content"] == "One moment.")
            #expect(message["tool_calls"]?[0]?["function"]?["name"] == "handover")
        }
    }

    @Test func recordsWhatTheClientSent() async throws {
        try await withOpenAI(.init(apiKey: "sk-abc")) { llm async throws in
            let body = Chat.body(messages: [["role": "system", "content": "Be brief."], Chat.user("Hi")], tools: ["handover_to_human"])
                .setting("temperature", 0.2).setting("max_completion_tokens", 200)
            _ = try await HTTP.send(llm.chatCompletionsURL(), json: body, headers: Chat.bearer("sk-abc"))
            let recorded = try #require(await llm.requests().first)
            #expect(recorded.method == "POST")
            #expect(recorded.path == "/v1/chat/completions")
            #expect(recorded.header("Authorization") == "Bearer sk-abc")
            #expect(recorded.headers.allSatisfy { $0.name == $0.name.lowercased() })
            let sent = try #require(recorded.json)
            #expect(sent["model"] == "gpt-4o-mini")
            #expect(sent["temperature"] == 0.2)
            #expect(sent["max_completion_tokens"] == 200)
            #expect(sent["messages"]?[0]?["role"] == "system")
            #expect(sent["tools"]?[0]?["function"]?["name"] == "handover_to_human")
        }
    }

    @Test func scriptedRepliesAreUsedInOrder() async throws {
        try await withOpenAI { llm async throws in
            llm.enqueue(.text("first"))
            llm.enqueue(.text("second"))
            #expect(llm.pendingReplies == 2)
            for expected in ["first", "second", "You said: Hello there"] {
                let json = try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body()).json
                #expect(json?["choices"]?[0]?["message"]?["content"] == .string(expected))
            }
            #expect(llm.pendingReplies == 0)
        }
    }
}
