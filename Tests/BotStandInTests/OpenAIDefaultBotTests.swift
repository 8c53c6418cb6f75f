import BotStandIn
import Testing
import StandInJSON

/// The answers without scripting: echo, hand-over tool, end-of-conversation tool, after a tool result.
@Suite struct OpenAIDefaultBotTests {
    func answer(_ llm: OpenAIStandIn, _ body: JSONValue) async throws -> JSONValue {
        try #require(try await HTTP.send(llm.chatCompletionsURL(), json: body).json?["choices"]?[0]?["message"])
    }

    @Test func echoesTheLastUserMessageIncludingContentParts() async throws {
        try await withOpenAI { llm async throws in
            let parts: JSONValue = ["role": "user", "content": [["type": "text", "text": "Where is"], ["type": "text", "text": "my parcel?"]]]
            let message = try await answer(llm, Chat.body(messages: [Chat.user("earlier"), parts]))
            #expect(message["content"] == "You said: Where is my parcel?")
        }
    }

    @Test func asksForAHandoverWhenTheUserWantsAPerson() async throws {
        try await withOpenAI { llm async throws in
            for tool in ["handover", "handover_to_human"] {
                let message = try await answer(llm, Chat.body(messages: [Chat.user("Can I talk to a real PERSON?")], tools: ["other", tool]))
                let call = try #require(message["tool_calls"]?[0])
                #expect(call["function"]?["name"] == .string(tool))
                let arguments = try JSONValue.parse(try #require(call["function"]?["arguments"]?.stringValue))
                #expect(arguments["reason"] == "the user asked for a person")
                #expect(arguments["summary"]?.stringValue?.contains("Can I talk to a real PERSON?") == true)
            }
        }
    }

    @Test func withoutTheToolAPersonRequestIsJustText() async throws {
        try await withOpenAI { llm async throws in
            let message = try await answer(llm, Chat.body(messages: [Chat.user("an agent please")]))
            #expect(message["content"] == "You said: an agent please")
            #expect(message["tool_calls"] == nil)
        }
    }

    @Test func endsTheConversationOnBye() async throws {
        try await withOpenAI { llm async throws in
            let message = try await answer(llm, Chat.body(messages: [Chat.user("ok bye")], tools: ["end_conversation"]))
            #expect(message["tool_calls"]?[0]?["function"] == ["name": "end_conversation", "arguments": "{}"])
        }
    }

    @Test func answersTextAfterAToolResultSoToolLoopsEnd() async throws {
        try await withOpenAI { llm async throws in
            let call: JSONValue = ["id": "call_1", "type": "function", "function": ["name": "handover", "arguments": "{}"]]
            let messages: [JSONValue] = [
                Chat.user("a human please"), ["role": "assistant", "content": nil, "tool_calls": [call]],
                ["role": "tool", "tool_call_id": "call_1", "content": "queued for an agent"],
            ]
            let message = try await answer(llm, Chat.body(messages: messages, tools: ["handover"]))
            #expect(message["content"] == "The tool answered: queued for an agent")
        }
    }

    @Test func toolChoiceIsHonouredExceptByOllama() async throws {
        try await withOpenAI { llm async throws in
            let none = Chat.body(messages: [Chat.user("a human please")], tools: ["handover"]).setting("tool_choice", "none")
            #expect(try await answer(llm, none)["tool_calls"] == nil)
            let forced = Chat.body(tools: ["lookup"]).setting("tool_choice", ["type": "function", "function": ["name": "lookup"]])
            #expect(try await answer(llm, forced)["tool_calls"]?[0]?["function"]?["name"] == "lookup")
        }
        try await withOpenAI(.init(flavor: .ollama)) { llm async throws in
            let none = Chat.body(messages: [Chat.user("a human please")], tools: ["handover"]).setting("tool_choice", "none")
            #expect(try await answer(llm, none)["tool_calls"]?[0]?["function"]?["name"] == "handover")
        }
    }
}
