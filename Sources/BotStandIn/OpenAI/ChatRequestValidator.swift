import StandInJSON
/// Checks a chat-completions body the way the servers do (contract §2, §5), first problem wins.
///
/// Messages follow OpenAI's validation wording. The rule that an assistant message with `tool_calls` must be
/// followed by one `tool` message per call is OpenAI's own (contract §1.9); Azure runs the same models behind the
/// same validation, and Ollama does not check it.
enum ChatRequestValidator {
    static let roles = ["developer", "system", "user", "assistant", "tool", "function"]

    static func problem(in body: JSONValue, flavor: OpenAIStandIn.Flavor) -> OpenAIErrorInfo? {
        guard body.isObject else { return unparsable }
        // Azure's dated API takes the model from the deployment in the path.
        if flavor != .azure || body["model"] != nil {
            guard let model = body["model"] else { return .invalidRequest("you must provide a model parameter") }
            guard model.stringValue != nil else { return .invalidRequest("Invalid type for 'model': expected a string.", param: "model", code: "invalid_type") }
        }
        if let problem = messagesProblem(body["messages"]) { return problem }
        if flavor != .ollama, let problem = toolResponseProblem(body["messages"]?.arrayValue ?? []) { return problem }
        if let problem = ChatRequestOptionsValidator.problem(in: body) { return problem }
        return nil
    }

    /// OpenAI's answer to a body that is not a JSON object.
    static let unparsable = OpenAIErrorInfo.invalidRequest(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
    )

    private static func messagesProblem(_ value: JSONValue?) -> OpenAIErrorInfo? {
        guard let value else { return .invalidRequest("Missing required parameter: 'messages'.", param: "messages", code: "missing_required_parameter") }
        guard let messages = value.arrayValue else {
            return .invalidRequest("Invalid type for 'messages': expected an array of objects.", param: "messages", code: "invalid_type")
        }
        guard !messages.isEmpty else {
            return .invalidRequest(
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", param: "messages",
                code: "empty_array")
        }
        for (index, message) in messages.enumerated() {
            let at = "messages[\(index)]"
            guard message.isObject else { return .invalidRequest("Invalid type for '\(at)': expected an object.", param: at, code: "invalid_type") }
            guard let role = message["role"] else {
                return .invalidRequest("Missing required parameter: '\(at).role'.", param: "\(at).role", code: "missing_required_parameter")
            }
            guard let name = role.stringValue, roles.contains(name) else {
                return .invalidRequest(
                    "Invalid value: '\(role.stringValue ?? JSONWriter.string(role, style: .compact))'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.",
                    param: "\(at).role", code: "invalid_value")
            }
            if let problem = contentProblem(message, role: name, at: at) { return problem }
        }
        return nil
    }

    private static func contentProblem(_ message: JSONValue, role: String, at: String) -> OpenAIErrorInfo? {
        let content = message["content"]
        let hasToolCalls = !(message["tool_calls"]?.arrayValue ?? []).isEmpty
        // Only an assistant message that calls tools may leave out its content (spec: "Required unless tool_calls").
        if content == nil || content == .null {
            if role == "assistant" && hasToolCalls { return nil }
            return .invalidRequest("Missing required parameter: '\(at).content'.", param: "\(at).content", code: "missing_required_parameter")
        }
        if content?.stringValue == nil && content?.arrayValue == nil {
            return .invalidRequest("Invalid type for '\(at).content': expected one of a string or array of objects.", param: "\(at).content", code: "invalid_type")
        }
        if role == "tool", message["tool_call_id"]?.stringValue == nil {
            return .invalidRequest("Missing required parameter: '\(at).tool_call_id'.", param: "\(at).tool_call_id", code: "missing_required_parameter")
        }
        return nil
    }

    /// Every `tool_calls` id must be answered by the `tool` messages right after it, and a `tool` message must answer one.
    private static func toolResponseProblem(_ messages: [JSONValue]) -> OpenAIErrorInfo? {
        var index = 0
        while index < messages.count {
            let message = messages[index]
            let role = message["role"]?.stringValue
            if role == "tool" {
                return .invalidRequest(
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
                    param: "messages.[\(index)].role")
            }
            let calls = message["tool_calls"]?.arrayValue ?? []
            index += 1
            guard role == "assistant", !calls.isEmpty else { continue }
            var open = calls.compactMap { $0["id"]?.stringValue }
            while index < messages.count, messages[index]["role"]?.stringValue == "tool" {
                let answered = messages[index]["tool_call_id"]?.stringValue
                open.removeAll { $0 == answered }
                index += 1
            }
            if !open.isEmpty {
                return .invalidRequest(
                    "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: \(open.joined(separator: ", "))",
                    param: "messages.[\(index - 1)].role")
            }
        }
        return nil
    }
}
