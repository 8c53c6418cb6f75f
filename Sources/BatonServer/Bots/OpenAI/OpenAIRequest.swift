import BatonConfig
import BatonCore

/// The body of `POST …/chat/completions` for one turn: the node's instructions as the system message, the
/// transcript as user and assistant messages, and the tools the bot may call to end its turn.
enum OpenAIRequest {
    static let handoverTool = "handover"
    static let endTool = "end_conversation"

    static func body(for turn: BotTurn, settings: OpenAIBotSettings, stream: Bool) -> JSONValue {
        var members: [String: JSONValue] = ["model": .string(settings.model), "messages": .array(messages(for: turn))]
        if let temperature = settings.temperature { members["temperature"] = .number(temperature) }
        if let maxTokens = settings.maxTokens { members[settings.maxTokensField] = .number(Double(maxTokens)) }
        let tools = tools(settings)
        // `tool_choice` is left to its default ("auto" with tools): Ollama ignores it, and vLLM refuses an explicit
        // "auto" unless started with its tool parser.
        if !tools.isEmpty { members["tools"] = .array(tools) }
        if stream {
            members["stream"] = true
            members["stream_options"] = ["include_usage": true]
        }
        return .object(members)
    }

    /// The system prompt, then the transcript as alternating user and assistant messages: consecutive messages of
    /// one side are joined (a flow's two questions, a user's three quick lines), because some servers' chat
    /// templates refuse two in a row.
    static func messages(for turn: BotTurn) -> [JSONValue] {
        var turns: [(role: String, text: String)] = []
        for message in turn.transcript {
            let text = content(of: message)
            guard !text.isEmpty else { continue }
            let role: String
            var line = text
            switch message.sender {
            case .user: role = "user"
            case .bot: role = "assistant"
            // What an agent wrote, the model should know was said, and by whom.
            case .agent:
                role = "assistant"
                line = "[\(message.agentName ?? "Agent")] \(text)"
            // Baton's notices ("You're back with the bot") are not the conversation.
            case .system: continue
            }
            if turns.last?.role == role { turns[turns.count - 1].text += "\n\n" + line } else { turns.append((role, line)) }
        }
        var messages: [JSONValue] = turn.request.prompt.map { [["role": "system", "content": .string($0)]] } ?? []
        messages += turns.map { ["role": .string($0.role), "content": .string($0.text)] }
        return messages
    }

    /// A message's words, with its attachments named by URL (models read text).
    static func content(of message: Message) -> String {
        let files = message.content.attachments.map { "[\($0.kind.rawValue): \($0.url)]" }
        return ([message.content.text] + files).filter { !$0.isEmpty }.joined(separator: "\n")
    }

    static func tools(_ settings: OpenAIBotSettings) -> [JSONValue] {
        var tools: [JSONValue] = []
        if settings.handoverTool {
            tools.append(
                function(
                    handoverTool,
                    description: "Hand the conversation to a human agent: when the user asks for a person, or when you cannot help them.",
                    properties: [
                        "reason": ["type": "string", "description": "Why a person should take over, in a few words."],
                        "summary": ["type": "string", "description": "What the user needs and what is known so far, for the agent."],
                    ], required: ["reason", "summary"]))
        }
        if settings.endTool {
            tools.append(
                function(
                    endTool, description: "End the conversation once the user's request is handled and they have nothing more to ask.",
                    properties: ["reason": ["type": "string", "description": "Why the conversation can end."]], required: []))
        }
        return tools
    }

    static func function(_ name: String, description: String, properties: [String: JSONValue], required: [String]) -> JSONValue {
        [
            "type": "function",
            "function": [
                "name": .string(name), "description": .string(description),
                "parameters": ["type": "object", "properties": .object(properties), "required": .array(required.map(JSONValue.string))],
            ],
        ]
    }
}
