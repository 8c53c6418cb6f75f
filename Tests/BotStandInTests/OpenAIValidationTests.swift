import BotStandIn
import Testing
import StandInJSON

/// Authentication and request validation, in OpenAI's words and shapes (contract §1.9, §5).
@Suite struct OpenAIValidationTests {
    @Test func wrongOrMissingKeyIs401() async throws {
        try await withOpenAI(.init(apiKey: "sk-right-key-0000")) { llm async throws in
            let wrong = try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body(), headers: Chat.bearer("sk-wrong-key-9999"))
            #expect(wrong.status == 401)
            let error = try #require(wrong.json?["error"])
            #expect(error.keys == ["message", "type", "param", "code"])
            #expect(error["type"] == "invalid_request_error")
            #expect(error["param"] == .null)
            #expect(error["code"] == "invalid_api_key")
            #expect(error["message"]?.stringValue?.hasPrefix("Incorrect API key provided: sk-") == true)
            // The key is shown masked, never whole.
            #expect(error["message"]?.stringValue?.contains("sk-wrong-key-9999") == false)
            let missing = try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body())
            #expect(missing.status == 401)
            #expect(missing.json?["error"]?["type"] == "invalid_request_error")
            #expect(await llm.requests().count == 2)
        }
    }

    @Test func unknownModelIs404WhenModelsAreListed() async throws {
        try await withOpenAI(.init(models: ["llama3.2"])) { llm async throws in
            let reply = try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body(model: "gpt-5"))
            #expect(reply.status == 404)
            #expect(reply.json?["error"]?["code"] == "model_not_found")
            #expect(try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body(model: "llama3.2")).status == 200)
        }
        try await withOpenAI(.init(flavor: .ollama, models: ["llama3.2"])) { llm async throws in
            let reply = try await HTTP.send(llm.chatCompletionsURL(), json: Chat.body(model: "gpt-5"))
            #expect(reply.status == 404)
            #expect(reply.json?["error"] == ["message": #"model "gpt-5" not found, try pulling it first"#, "type": "not_found_error", "param": nil, "code": nil])
        }
    }

    @Test func malformedRequestsAre400AndDoNotUseUpScripts() async throws {
        try await withOpenAI { llm async throws in
            llm.enqueue(.text("kept for a valid request"))
            let cases: [(JSONValue?, String?, String)] = [
                (nil, "{not json", "We could not parse the JSON body"),
                (Chat.body(model: nil), nil, "you must provide a model parameter"),
                (Chat.body(messages: []), nil, "empty array"),
                (Chat.body(messages: [["role": "robot", "content": "hi"]]), nil, "Invalid value: 'robot'"),
                (Chat.body(tools: ["has space"]), nil, "does not match pattern"),
                (Chat.body().setting("stream", "yes"), nil, "Invalid type for 'stream'"),
                (Chat.body().setting("temperature", 3), nil, "decimal above maximum value"),
                (Chat.body().setting("stream_options", ["include_usage": true]), nil, "only allowed when 'stream' is enabled"),
            ]
            for (json, raw, expected) in cases {
                let reply = try await HTTP.send(llm.chatCompletionsURL(), json: json, raw: raw)
                #expect(reply.status == 400, "\(expected)")
                #expect(reply.json?["error"]?["message"]?.stringValue?.contains(expected) == true, "\(reply.text)")
            }
            #expect(llm.pendingReplies == 1)
        }
    }

    @Test func toolCallsMustBeAnsweredByToolMessages() async throws {
        let call: JSONValue = ["id": "call_abc123", "type": "function", "function": ["name": "handover", "arguments": "{}"]]
        let assistant: JSONValue = ["role": "assistant", "content": nil, "tool_calls": [call]]
        let unanswered = Chat.body(messages: [Chat.user("a person please"), assistant, Chat.user("hello?")], tools: ["handover"])
        let stray = Chat.body(messages: [Chat.user("hi"), ["role": "tool", "tool_call_id": "call_x", "content": "done"]])
        let answered = Chat.body(
            messages: [Chat.user("a person please"), assistant, ["role": "tool", "tool_call_id": "call_abc123", "content": "queued"]], tools: ["handover"])
        try await withOpenAI { llm async throws in
            let reply = try await HTTP.send(llm.chatCompletionsURL(), json: unanswered)
            #expect(reply.status == 400)
            let message = try #require(reply.json?["error"]?["message"]?.stringValue)
            #expect(message.hasPrefix("An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'."))
            #expect(message.contains("call_abc123"))
            #expect(reply.json?["error"]?["type"] == "invalid_request_error")
            #expect(try await HTTP.send(llm.chatCompletionsURL(), json: stray).status == 400)
            #expect(try await HTTP.send(llm.chatCompletionsURL(), json: answered).status == 200)
        }
        // Ollama does not check the rule.
        try await withOpenAI(.init(flavor: .ollama)) { llm async throws in
            #expect(try await HTTP.send(llm.chatCompletionsURL(), json: unanswered).status == 200)
        }
    }

    @Test func unknownRoutesAndOversizedBodies() async throws {
        try await withOpenAI(.init(maxBodyBytes: 2048)) { llm async throws in
            let unknown = try await HTTP.send(llm.rootURL + "/v1/completions", json: Chat.body())
            #expect(unknown.status == 404)
            #expect(unknown.json?["error"]?["message"] == "Invalid URL (POST /v1/completions)")
            #expect(try await HTTP.send(llm.rootURL + "/chat/completions", json: Chat.body()).status == 200)
            let huge = Chat.body(messages: [Chat.user(String(repeating: "word ", count: 1000))])
            #expect(try await HTTP.send(llm.chatCompletionsURL(), json: huge).status == 413)
        }
        try await withOpenAI(.init(flavor: .ollama)) { llm async throws in
            let unknown = try await HTTP.send(llm.rootURL + "/v1/nothing", json: Chat.body())
            #expect(unknown.status == 404)
            #expect(unknown.text == "404 page not found")
        }
    }
}
