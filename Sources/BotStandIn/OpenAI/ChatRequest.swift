import StandInJSON
/// A chat-completions request body that passed validation, with the readings the stand-in needs.
struct ChatRequest: Sendable {
    /// How the request restricts tool use (contract §2, `tool_choice`).
    enum ToolChoice: Sendable, Equatable {
        case auto, none, required
        case function(String)
    }

    let body: JSONValue

    var model: String? { body["model"]?.stringValue }
    var messages: [JSONValue] { body["messages"]?.arrayValue ?? [] }
    var stream: Bool { body["stream"]?.boolValue ?? false }
    var includeUsage: Bool { body["stream_options"]?["include_usage"]?.boolValue ?? false }
    /// `stream_options.include_obfuscation` (OpenAI adds an `obfuscation` pad to chunks unless it is false).
    var includeObfuscation: Bool { body["stream_options"]?["include_obfuscation"]?.boolValue ?? true }

    /// The function names of `tools`, in order.
    var toolNames: [String] {
        (body["tools"]?.arrayValue ?? []).compactMap { $0["function"]?["name"]?.stringValue }
    }

    var toolChoice: ToolChoice {
        switch body["tool_choice"] {
        case .string("none")?: return .none
        case .string("required")?: return .required
        case .object?: return body["tool_choice"]?["function"]?["name"]?.stringValue.map(ToolChoice.function) ?? .auto
        default: return .auto
        }
    }

    /// The text of the last `user` message (text parts joined with a space), if there is one.
    var lastUserText: String? {
        messages.last { $0["role"]?.stringValue == "user" }.map(Self.text(of:))
    }

    /// The last message, when it is a tool result: what the model would answer after calling a tool.
    var trailingToolResult: String? {
        guard let last = messages.last, last["role"]?.stringValue == "tool" else { return nil }
        return Self.text(of: last)
    }

    /// A deterministic stand-in for a tokenizer: the words of every message's text.
    var promptTokens: Int { messages.reduce(0) { $0 + Self.wordCount(Self.text(of: $1)) } }

    /// `content` as text: a string, or the `text` of `{"type":"text","text":…}` parts joined with a space.
    static func text(of message: JSONValue) -> String {
        switch message["content"] {
        case .string(let text)?: return text
        case .array(let parts)?:
            return parts.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }.joined(separator: " ")
        default: return ""
        }
    }

    static func wordCount(_ text: String) -> Int {
        text.split(whereSeparator: { $0.isWhitespace }).count
    }
}
