import Foundation

/// Which requests reach chat completions, and who may make them, per flavour (contract §6, "URL" and "auth").
enum OpenAIRoute {
    /// A routed request: the chat endpoint (with Azure's deployment, if any) or an answer already decided.
    enum Outcome {
        case chat(deployment: String?)
        case answer(StandInReply)
    }

    static func route(_ request: IncomingRequest, options: OpenAIStandIn.Options) -> Outcome {
        let segments = request.path.split(separator: "/").map(String.init)
        switch options.flavor {
        case .openai, .ollama:
            // `/v1/chat/completions`, and `/chat/completions` as llama.cpp and LiteLLM also serve it.
            guard request.method == "POST", segments == ["v1", "chat", "completions"] || segments == ["chat", "completions"] else {
                return .answer(notFound(request, flavor: options.flavor))
            }
        case .azure:
            guard request.method == "POST" else { return .answer(OpenAIErrorInfo.azureNotFound.reply(for: .azure)) }
            if segments.count == 5, segments[0] == "openai", segments[1] == "deployments", segments[3...] == ["chat", "completions"] {
                // The dated API needs `api-version`; without it Azure answers 404 (contract §1.10).
                guard let version = request.queryValue("api-version"), !version.isEmpty else {
                    return .answer(OpenAIErrorInfo.azureNotFound.reply(for: .azure))
                }
                return denial(request, options: options).map(Outcome.answer) ?? .chat(deployment: QueryString.decode(segments[2]))
            }
            // The "v1" API: no api-version, the model names the deployment.
            guard segments == ["openai", "v1", "chat", "completions"] else { return .answer(OpenAIErrorInfo.azureNotFound.reply(for: .azure)) }
        }
        return denial(request, options: options).map(Outcome.answer) ?? .chat(deployment: nil)
    }

    /// The 401 for a missing or wrong key; nil when the key is right or none is configured (Ollama's default).
    static func denial(_ request: IncomingRequest, options: OpenAIStandIn.Options) -> StandInReply? {
        guard let expected = options.apiKey else { return nil }
        if options.flavor == .azure {
            // `api-key`, not Bearer: Bearer is for Entra ID tokens, which the stand-in does not issue.
            return request.header("api-key") == expected ? nil : OpenAIErrorInfo.azureAccessDenied.reply(for: .azure)
        }
        guard let authorization = request.header("authorization") else { return OpenAIErrorInfo.missingAPIKey.reply(for: options.flavor) }
        let parts = authorization.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return OpenAIErrorInfo.missingAPIKey.reply(for: options.flavor) }
        let presented = parts[1].trimmingCharacters(in: .whitespaces)
        return presented == expected ? nil : OpenAIErrorInfo.incorrectAPIKey(presented).reply(for: options.flavor)
    }

    /// OpenAI names the unknown route; Ollama's Go router answers plain text.
    private static func notFound(_ request: IncomingRequest, flavor: OpenAIStandIn.Flavor) -> StandInReply {
        if flavor == .ollama { return .text("404 page not found", status: 404) }
        return OpenAIErrorInfo(status: 404, message: "Invalid URL (\(request.method) \(request.path))", type: "invalid_request_error").reply(for: .openai)
    }
}
