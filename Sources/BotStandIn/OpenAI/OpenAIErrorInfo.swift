import StandInJSON
/// One error the OpenAI-compatible stand-in can answer, before it is put in a flavour's body shape.
struct OpenAIErrorInfo: Sendable {
    var status: Int
    var message: String
    var type: String?
    var param: String?
    var code: String?

    /// 400 `invalid_request_error`.
    static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIErrorInfo {
        OpenAIErrorInfo(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// OpenAI's body shape (contract §5): all four keys, `param` and `code` may be null.
    var openAIBody: String {
        JSONWriter.string(
            [
                "error": [
                    "message": .string(message), "type": type.map(JSONValue.string) ?? .null,
                    "param": param.map(JSONValue.string) ?? .null, "code": code.map(JSONValue.string) ?? .null,
                ]
            ], style: .compact)
    }

    /// The body in the flavour's shape (contract §6, "error body").
    func body(for flavor: OpenAIStandIn.Flavor) -> String {
        switch flavor {
        case .openai:
            return openAIBody
        case .ollama:
            // Ollama's `NewError`: the type follows the status; param and code are always null.
            let type = status == 404 ? "not_found_error" : status < 500 ? "invalid_request_error" : "api_error"
            return JSONWriter.string(["error": ["message": .string(message), "type": .string(type), "param": nil, "code": nil]], style: .compact)
        case .azure:
            // Azure: the status as a string code, no type unless the error has one.
            var inner: JSONValue = ["code": .string(code ?? String(status)), "message": .string(message)]
            if let param { inner = inner.setting("param", .string(param)) }
            if let type { inner = inner.setting("type", .string(type)) }
            return JSONWriter.string(["error": inner], style: .compact)
        }
    }

    func reply(for flavor: OpenAIStandIn.Flavor) -> StandInReply {
        .full(status: status, headers: [("Content-Type", "application/json")], body: Array(body(for: flavor).utf8))
    }
}

extension OpenAIErrorInfo {
    static let serverError = OpenAIErrorInfo(
        status: 500, message: "The server had an error while processing your request. Sorry about that!", type: "server_error")
    static let overloaded = OpenAIErrorInfo(
        status: 503,
        message: "That model is currently overloaded with other requests. You can retry your request, or contact us through our help center at help.openai.com if the error persists.",
        type: "server_error")
    static let rateLimited = OpenAIErrorInfo(
        status: 429,
        message: "Rate limit reached for gpt-4o-mini in organization org-standin on tokens per min (TPM): Limit 30000, Requested 30601. Please try again in 2s.",
        type: "tokens", code: "rate_limit_exceeded")

    /// Azure's answer to a wrong or missing `api-key` (contract §6).
    static let azureAccessDenied = OpenAIErrorInfo(
        status: 401,
        message: "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.")
    /// Azure's answer to an unknown path or a missing `api-version` (contract §1.10).
    static let azureNotFound = OpenAIErrorInfo(status: 404, message: "Resource not found")

    /// OpenAI's 401 for a wrong key (contract §5), with the key shown masked as OpenAI does.
    static func incorrectAPIKey(_ presented: String) -> OpenAIErrorInfo {
        OpenAIErrorInfo(
            status: 401,
            message: "Incorrect API key provided: \(mask(presented)). You can find your API key at https://platform.openai.com/account/api-keys.",
            type: "invalid_request_error", code: "invalid_api_key")
    }

    /// 401 without any key (same family; OpenAI's wording for a missing header, not quoted in the contract).
    static let missingAPIKey = OpenAIErrorInfo(
        status: 401,
        message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        type: "invalid_request_error")

    /// 404 for a model the server does not serve (OpenAI: `model_not_found`; Ollama: its own words).
    static func modelNotFound(_ model: String, flavor: OpenAIStandIn.Flavor) -> OpenAIErrorInfo {
        if flavor == .ollama { return OpenAIErrorInfo(status: 404, message: "model \"\(model)\" not found, try pulling it first") }
        return OpenAIErrorInfo(
            status: 404, message: "The model `\(model)` does not exist or you do not have access to it.", type: "invalid_request_error",
            code: "model_not_found")
    }

    static func bodyTooLarge(limit: Int) -> OpenAIErrorInfo {
        OpenAIErrorInfo(status: 413, message: "Request body too large: the stand-in accepts at most \(limit) bytes.", type: "invalid_request_error")
    }

    /// `sk-abc…wxyz` with the middle starred, so a log never shows the key.
    static func mask(_ key: String) -> String {
        guard key.count > 8 else { return String(repeating: "*", count: key.count) }
        return String(key.prefix(3)) + String(repeating: "*", count: key.count - 7) + String(key.suffix(4))
    }
}
