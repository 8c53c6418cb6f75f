import BatonCore

/// Builds one chat completion from a non-streamed answer's `message` or from a stream's `delta`s: text pieces are
/// joined, tool calls are put together by `index` (OpenAI streams them in fragments, Ollama whole), and the finish
/// reason, usage and any error event are kept.
struct CompletionAccumulator {
    struct ToolCall: Hashable {
        var id: String?
        var name = ""
        var arguments = ""
    }

    var text = ""
    var toolCalls: [Int: ToolCall] = [:]
    /// Where the later fragments of a reused `index` go (see `take`).
    private var indexAliases: [Int: Int] = [:]
    var finishReason: String?
    var usage: (prompt: Int, completion: Int)?
    /// The message of an error event sent after the 200 (`data: {"error":{…}}`).
    var error: String?
    /// Whether anything of a completion was seen (a chunk or a message with choices).
    var sawCompletion = false

    /// Takes one non-streamed answer or one stream chunk. Returns false when it is not a completion at all.
    @discardableResult
    mutating func take(_ json: JSONValue, streamed: Bool) -> Bool {
        guard case .object(let members) = json else { return false }
        if let error = members["error"], error != .null {
            self.error = Self.message(of: error)
            return true
        }
        if case .object(let usage)? = members["usage"], let prompt = usage["prompt_tokens"]?.intValue, let completion = usage["completion_tokens"]?.intValue {
            self.usage = (prompt, completion)
        }
        // Azure's first chunk and the usage chunk have `choices: []`: nothing to take, but well formed.
        guard case .array(let choices)? = members["choices"] else { return members["usage"] != nil }
        for choice in choices where (choice["index"]?.intValue ?? 0) == 0 {
            sawCompletion = true
            if case .string(let reason)? = choice["finish_reason"] { finishReason = reason }
            guard let part = streamed ? choice["delta"] : choice["message"] else { continue }
            take(part)
        }
        return true
    }

    private mutating func take(_ part: JSONValue) {
        switch part["content"] {
        case .string(let piece)?: text += piece
        case .array(let pieces)?:
            // Content parts: `[{"type":"text","text":…}]`.
            for piece in pieces { if case .string(let value)? = piece["text"] { text += value } }
        default: break
        }
        guard case .array(let calls)? = part["tool_calls"] else { return }
        for (position, call) in calls.enumerated() {
            // Streamed fragments carry `index`; a whole message's calls are in order. Older Ollama builds send
            // every call with index 0: a fragment that brings another id is another call.
            var index = call["index"]?.intValue ?? position
            let id = call["id"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            if let id, let known = toolCalls[index]?.id, known != id {
                index = (toolCalls.keys.max() ?? index) + 1
                indexAliases[call["index"]?.intValue ?? position] = index
            } else if id == nil, let alias = indexAliases[index] {
                index = alias
            }
            var current = toolCalls[index] ?? ToolCall()
            if let id { current.id = id }
            if case .string(let name)? = call["function"]?["name"] { current.name += name }
            if case .string(let arguments)? = call["function"]?["arguments"] { current.arguments += arguments }
            toolCalls[index] = current
        }
    }

    /// The tool calls in their order.
    var orderedToolCalls: [ToolCall] { toolCalls.sorted { $0.key < $1.key }.map(\.value) }

    static func message(of error: JSONValue) -> String {
        if case .string(let text) = error { return text }
        if case .string(let text)? = error["message"] { return text }
        return error.jsonText
    }
}
