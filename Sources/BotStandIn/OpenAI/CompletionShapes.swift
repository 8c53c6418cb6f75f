import Foundation
import StandInJSON

/// The fixed parts of one answer: the same `id` and `created` go on every chunk of a stream (contract §4).
struct CompletionContext: Sendable {
    let id = OpenAIIdentifiers.completion()
    let created = Int(Date().timeIntervalSince1970)
    let model: String
    let flavor: OpenAIStandIn.Flavor
    let promptTokens: Int

    func usage(completionTokens: Int) -> JSONValue {
        ["prompt_tokens": .int(Int64(promptTokens)), "completion_tokens": .int(Int64(completionTokens)),
         "total_tokens": .int(Int64(promptTokens + completionTokens))]
    }

    /// Azure's content-filter verdict: nothing filtered.
    static let contentFilterResults: JSONValue = [
        "hate": ["filtered": false, "severity": "safe"], "self_harm": ["filtered": false, "severity": "safe"],
        "sexual": ["filtered": false, "severity": "safe"], "violence": ["filtered": false, "severity": "safe"],
    ]
    static let promptFilterResults: JSONValue = [["prompt_index": 0, "content_filter_results": contentFilterResults]]
}

/// The non-streamed `chat.completion` object (contract §3), with each flavour's extra fields (§6, "extra fields").
enum CompletionBody {
    static func json(_ plan: CompletionPlan, context: CompletionContext) -> JSONValue {
        var message: JSONValue = ["role": "assistant", "content": plan.text.map(JSONValue.string) ?? .null, "refusal": nil]
        if context.flavor == .openai { message = message.setting("annotations", []) }
        if !plan.calls.isEmpty { message = message.setting("tool_calls", .array(plan.calls.map(toolCall))) }
        var choice: JSONValue = ["index": 0, "message": message, "logprobs": nil, "finish_reason": .string(plan.finishReason)]
        if context.flavor == .azure { choice = choice.setting("content_filter_results", CompletionContext.contentFilterResults) }
        var body: JSONValue = [
            "id": .string(context.id), "object": "chat.completion", "created": .int(Int64(context.created)), "model": .string(context.model),
            "choices": [choice], "usage": context.usage(completionTokens: plan.completionTokens),
        ]
        switch context.flavor {
        case .openai: body = body.setting("service_tier", "default")
        case .ollama: body = body.setting("system_fingerprint", "fp_ollama")
        case .azure: body = body.setting("prompt_filter_results", CompletionContext.promptFilterResults)
        }
        return body
    }

    /// `arguments` stays a JSON string (contract §1.1).
    static func toolCall(_ call: CompletionPlan.Call) -> JSONValue {
        ["id": .string(call.id), "type": "function", "function": ["name": .string(call.name), "arguments": .string(call.arguments)]]
    }
}

/// `chat.completion.chunk` objects for one stream (contract §4).
struct ChunkFactory: Sendable {
    let context: CompletionContext
    let includeUsage: Bool
    let includeObfuscation: Bool

    /// A chunk with one choice. With `include_usage`, every chunk but the last carries `usage: null` (spec).
    func chunk(delta: JSONValue, finishReason: String? = nil) -> JSONValue {
        var choice: JSONValue = ["index": 0, "delta": delta, "logprobs": nil, "finish_reason": finishReason.map(JSONValue.string) ?? .null]
        if context.flavor == .azure, delta["content"]?.stringValue?.isEmpty == false {
            choice = choice.setting("content_filter_results", CompletionContext.contentFilterResults)
        }
        var chunk = header(choices: [choice])
        if includeUsage { chunk = chunk.setting("usage", nil) }
        if context.flavor == .openai, includeObfuscation { chunk = chunk.setting("obfuscation", .string(OpenAIIdentifiers.random(8))) }
        return chunk
    }

    /// The last chunk before `[DONE]` when `include_usage` is set: `choices: []`.
    func usageChunk(completionTokens: Int) -> JSONValue {
        header(choices: []).setting("usage", context.usage(completionTokens: completionTokens))
    }

    /// Azure's first chunk: no choices, only the prompt filter verdict, and blank id, model and object (contract §6).
    static let azurePromptFilterChunk: JSONValue = [
        "choices": [], "created": 0, "id": "", "model": "", "object": "", "prompt_filter_results": CompletionContext.promptFilterResults,
    ]

    private func header(choices: [JSONValue]) -> JSONValue {
        var chunk: JSONValue = [
            "id": .string(context.id), "object": "chat.completion.chunk", "created": .int(Int64(context.created)), "model": .string(context.model),
        ]
        if context.flavor == .ollama { chunk = chunk.setting("system_fingerprint", "fp_ollama") }
        return chunk.setting("choices", .array(choices))
    }
}
