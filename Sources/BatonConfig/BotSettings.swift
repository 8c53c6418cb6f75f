public import BatonCore

/// An outside bot that flows' `bot` nodes name: a language model behind an OpenAI-compatible API, or a webhook bot
/// (Rasa's REST channel, or Baton's own format).
public struct BotSettings: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case openAI(OpenAIBotSettings)
        case webhook(WebhookBotSettings)

        /// The provider's name, as the config's key and the metrics' `provider` label: `openai`, `webhook`.
        public var provider: String {
            switch self {
            case .openAI: "openai"
            case .webhook: "webhook"
            }
        }
    }

    /// The name nodes use (`bot: { use: <name> }`).
    public var name: String
    /// The kind of bot and its own settings.
    public var kind: Kind
    /// How long one request may take, from sending it to the last byte of the answer.
    public var timeoutSeconds = 30
    /// How long a turn may keep being retried after 429s and 5xx before it fails (`rate_limited`, `server_error`).
    public var retrySeconds = 20
    /// How many of the conversation's latest messages a language model is shown.
    public var history = 20
    /// The bot's instructions (a language model's system prompt): a template over `context`, `profile`, `session`,
    /// used by nodes that give no `prompt` of their own.
    public var systemPrompt: Template?

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// A model behind `POST {baseURL}/chat/completions` (OpenAI, Azure OpenAI, Ollama, vLLM, llama.cpp, LiteLLM).
public struct OpenAIBotSettings: Sendable, Hashable {
    /// Up to, not including, `/chat/completions`: `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`, or for
    /// Azure's dated API `https://{resource}.openai.azure.com/openai/deployments/{deployment}`.
    public var baseURL: String
    /// The model (Azure's dated API: ignored in favour of the deployment in `baseURL`).
    public var model: String
    /// Sent as `Authorization: Bearer`, or as Azure's `api-key` header when `azureAPIVersion` is set; none for a
    /// local server that needs none.
    public var apiKey: Secret?
    /// Azure OpenAI's dated API: `?api-version=` on every request and the key in `api-key`.
    public var azureAPIVersion: String?
    /// Send the key in an `api-key` header rather than `Authorization: Bearer`: Azure's v1 API (no api-version)
    /// and other gateways that take it so. Implied by `azureAPIVersion`.
    public var apiKeyHeader = false

    /// Whether the key goes in `api-key`.
    public var keyInAPIKeyHeader: Bool { apiKeyHeader || azureAPIVersion != nil }
    /// Sampling temperature (0–2) and the answer's token limit; the server's defaults when absent.
    public var temperature: Double?
    public var maxTokens: Int?
    /// The name the token limit is sent under: `max_tokens` (understood by every server) or OpenAI's newer
    /// `max_completion_tokens` (required by its reasoning models, unknown to Ollama).
    public var maxTokensField = "max_tokens"
    /// Stream answers (`stream: true`) so the webchat shows them as they are written.
    public var stream = true
    /// Offer the model the `handover` tool (a person takes over) and the `end_conversation` tool.
    public var handoverTool = true
    public var endTool = true

    public init(baseURL: String, model: String) {
        self.baseURL = baseURL
        self.model = model
    }
}

/// A bot Baton posts each turn to: Rasa's REST channel (`…/webhooks/rest/webhook`) as it is, or any bot that
/// answers in Baton's format (docs/bots.md).
public struct WebhookBotSettings: Sendable, Hashable {
    public var url: String
    /// Signs every request (`X-Baton-Signature: sha256=<hex>` over `<timestamp>.<body>`, `X-Baton-Timestamp`),
    /// as Chatwoot signs its webhooks; unsigned when absent.
    public var secret: Secret?

    public init(url: String, secret: Secret? = nil) {
        self.url = url
        self.secret = secret
    }
}
