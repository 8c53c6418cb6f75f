import StandInJSON
/// Checks the fields besides `model` and `messages`: `stream`, `stream_options`, `temperature`, `tools`.
enum ChatRequestOptionsValidator {
    static func problem(in body: JSONValue) -> OpenAIErrorInfo? {
        if let stream = body["stream"], stream != .null, stream.boolValue == nil {
            return .invalidRequest("Invalid type for 'stream': expected a boolean.", param: "stream", code: "invalid_type")
        }
        if let options = body["stream_options"], options != .null, body["stream"]?.boolValue != true {
            return .invalidRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", param: "stream_options")
        }
        if let temperature = body["temperature"], temperature != .null {
            guard let value = temperature.doubleValue else {
                return .invalidRequest("Invalid type for 'temperature': expected a decimal.", param: "temperature", code: "invalid_type")
            }
            if value > 2 {
                return .invalidRequest(
                    "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got \(value) instead.", param: "temperature",
                    code: "decimal_above_max_value")
            }
            if value < 0 {
                return .invalidRequest(
                    "Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got \(value) instead.", param: "temperature",
                    code: "decimal_below_min_value")
            }
        }
        return toolsProblem(body["tools"])
    }

    /// `tools[].function.name` matches `[a-zA-Z0-9_-]`, at most 64 characters (contract §2).
    private static func toolsProblem(_ value: JSONValue?) -> OpenAIErrorInfo? {
        guard let value, value != .null else { return nil }
        guard let tools = value.arrayValue else {
            return .invalidRequest("Invalid type for 'tools': expected an array of objects.", param: "tools", code: "invalid_type")
        }
        for (index, tool) in tools.enumerated() {
            let at = "tools[\(index)]"
            guard tool["type"]?.stringValue == "function" else {
                return .invalidRequest("Invalid value for '\(at).type': expected 'function'.", param: "\(at).type", code: "invalid_value")
            }
            guard let name = tool["function"]?["name"]?.stringValue else {
                return .invalidRequest(
                    "Missing required parameter: '\(at).function.name'.", param: "\(at).function.name", code: "missing_required_parameter")
            }
            let allowed = name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }
            guard allowed, !name.isEmpty else {
                return .invalidRequest(
                    "Invalid '\(at).function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                    param: "\(at).function.name", code: "invalid_value")
            }
            guard name.count <= 64 else {
                return .invalidRequest(
                    "Invalid '\(at).function.name': string too long. Expected a string with maximum length 64, but got a string with length \(name.count) instead.",
                    param: "\(at).function.name", code: "string_above_max_length")
            }
        }
        return nil
    }
}
