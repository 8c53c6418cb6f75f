import StandInJSON
/// What the OpenAI-compatible stand-in answers when no reply is scripted: a deterministic little bot, so a demo or
/// a test without scripting still sees text, a hand-over and an ending.
///
/// 1. After a tool result (the last message has role `tool`): text `The tool answered: <content>`, so a client's
///    tool loop ends.
/// 2. A tool named `handover` or `handover_to_human`, and the last user message contains "human", "agent" or
///    "person" (any case): a call to it with `{"reason":"the user asked for a person","summary":"…"}`.
/// 3. A tool named `end_conversation` and the last user message contains "bye": a call to it with `{}`.
/// 4. Otherwise text `You said: <last user message>`.
///
/// `tool_choice` is honoured as OpenAI does (`none` hides the tools, a named function is always called,
/// `required` falls back to the first tool); Ollama ignores it (contract §6).
enum DefaultAssistant {
    static let handoverTools = ["handover", "handover_to_human"]

    static func reply(to request: ChatRequest, flavor: OpenAIStandIn.Flavor) -> ScriptedReply {
        if let result = request.trailingToolResult { return .text("The tool answered: \(result)") }
        let userText = request.lastUserText ?? ""
        let choice = flavor == .ollama ? .auto : request.toolChoice
        let tools = choice == .none ? [] : request.toolNames
        if case .function(let forced) = choice { return .toolCall(name: forced, arguments: arguments(for: forced, userText: userText)) }
        let lowered = userText.lowercased()
        if let handover = tools.first(where: handoverTools.contains), ["human", "agent", "person"].contains(where: lowered.contains) {
            return .toolCall(name: handover, arguments: arguments(for: handover, userText: userText))
        }
        if tools.contains("end_conversation"), lowered.contains("bye") { return .toolCall(name: "end_conversation", arguments: "{}") }
        if choice == .required, let first = tools.first { return .toolCall(name: first, arguments: arguments(for: first, userText: userText)) }
        return .text("You said: \(userText)")
    }

    /// The hand-over arguments for a hand-over tool, `{}` for anything else.
    static func arguments(for tool: String, userText: String) -> String {
        guard handoverTools.contains(tool) else { return "{}" }
        let quoted = userText.count > 120 ? String(userText.prefix(120)) + "…" : userText
        return JSONWriter.string(["reason": "the user asked for a person", "summary": .string("The user wrote: \"\(quoted)\"")], style: .compact)
    }
}
