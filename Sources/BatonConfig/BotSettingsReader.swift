import BatonCore
import Foundation

/// Reads the config's `bots:` and checks the flows' `bot` nodes against it.
///
/// ```yaml
/// bots:
///   assistant:
///     openai: { baseURL, model, apiKey | apiKeyFile | apiKeyEnv, azureApiVersion, temperature, maxTokens,
///               maxTokensField: max_tokens, stream: true, handoverTool: true, endTool: true }
///     systemPrompt: "You answer for {{ session.endpoint }}."
///     timeoutSeconds: 30
///     retrySeconds: 20
///     history: 20
///   rasa:
///     webhook: { url, secret | secretFile | secretEnv }
/// ```
struct BotSettingsReader {
    let loader: ConfigLoader
    let baseDirectory: String
    /// The outbox's settings: a turn runs under its lease, so its timeout must be well shorter, and its retries
    /// must end before the outbox gives the job up.
    let delivery: DeliverySettings
    let sink: DiagnosticSink

    static let sharedKeys = ["systemPrompt", "timeoutSeconds", "retrySeconds", "history"]
    func bots(_ value: YAMLValue) -> [String: BotSettings] {
        guard !value.isNull, let members = value.mapping(allowed: nil, sink) else { return [:] }
        var bots: [String: BotSettings] = [:]
        for (name, body) in members.members {
            if name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
                sink.error(body, "bot names may use letters, digits, '-' and '_' only")
            }
            if let bot = bot(name: name, body) { bots[name] = bot }
        }
        return bots
    }

    func bot(name: String, _ value: YAMLValue) -> BotSettings? {
        guard let members = value.mapping(allowed: ["openai", "webhook"] + Self.sharedKeys, sink) else { return nil }
        let kinds = ["openai", "webhook"].filter(members.has)
        guard kinds.count == 1 else {
            sink.error(value, kinds.isEmpty ? "a bot needs one of: openai, webhook" : "a bot is either openai or webhook, not both")
            return nil
        }
        let kind: BotSettings.Kind
        if members.has("openai") {
            guard let settings = openAI(members["openai"]) else { return nil }
            kind = .openAI(settings)
        } else {
            guard let settings = webhook(members["webhook"]) else { return nil }
            kind = .webhook(settings)
        }
        var bot = BotSettings(name: name, kind: kind)
        if members.has("timeoutSeconds"), let seconds = members["timeoutSeconds"].int(sink, range: 1...600) { bot.timeoutSeconds = seconds }
        if members.has("retrySeconds"), let seconds = members["retrySeconds"].int(sink, range: 0...600) { bot.retrySeconds = seconds }
        if bot.retrySeconds + bot.timeoutSeconds >= delivery.giveUpAfterSeconds {
            sink.error(
                members.has("retrySeconds") ? members["retrySeconds"] : value,
                "retrySeconds (\(bot.retrySeconds)) plus timeoutSeconds (\(bot.timeoutSeconds)) must be shorter than delivery.giveUpAfterSeconds (\(delivery.giveUpAfterSeconds)), so a turn fails with its own reason before the outbox gives it up")
        }
        if members.has("history"), let count = members["history"].int(sink, range: 1...500) { bot.history = count }
        if members.has("systemPrompt"), let text = members["systemPrompt"].string(sink) {
            do {
                bot.systemPrompt = try Template(parsing: text)
            } catch {
                sink.error(members["systemPrompt"], "in the system prompt: \(error)")
            }
        }
        return bot
    }

    func openAI(_ value: YAMLValue) -> OpenAIBotSettings? {
        let allowed = [
            "baseURL", "model", "apiKey", "apiKeyFile", "apiKeyEnv", "apiKeyHeader", "azureApiVersion", "temperature", "maxTokens", "maxTokensField", "stream",
            "handoverTool", "endTool",
        ]
        guard let members = value.mapping(allowed: allowed, sink) else { return nil }
        guard let url = members.required("baseURL", sink), let baseURL = url.string(sink), let model = members.required("model", sink)?.string(sink) else { return nil }
        guard Attachment.isWebURL(baseURL) else {
            sink.error(url, "must be an http(s) URL, found '\(baseURL)'")
            return nil
        }
        var settings = OpenAIBotSettings(baseURL: baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL, model: model)
        settings.apiKey = secret("apiKey", in: members)
        if members.has("azureApiVersion") { settings.azureAPIVersion = members["azureApiVersion"].string(sink) }
        if members.has("apiKeyHeader"), let header = members["apiKeyHeader"].string(sink) {
            switch header.lowercased() {
            case "authorization": settings.apiKeyHeader = false
            case "api-key": settings.apiKeyHeader = true
            default: sink.error(members["apiKeyHeader"], "apiKeyHeader is authorization (Bearer) or api-key, found '\(header)'")
            }
        }
        if members.has("temperature"), let text = members["temperature"].string(sink) {
            if let number = Double(text), (0...2).contains(number) { settings.temperature = number } else {
                sink.error(members["temperature"], "temperature is a number from 0 to 2, found '\(text)'")
            }
        }
        if members.has("maxTokens"), let tokens = members["maxTokens"].int(sink, range: 1...1_000_000) { settings.maxTokens = tokens }
        if members.has("maxTokensField"), let field = members["maxTokensField"].string(sink) {
            if ["max_tokens", "max_completion_tokens"].contains(field) { settings.maxTokensField = field } else {
                sink.error(members["maxTokensField"], "maxTokensField is max_tokens or max_completion_tokens, found '\(field)'")
            }
        }
        if members.has("stream") { settings.stream = members["stream"].bool(sink) ?? true }
        if members.has("handoverTool") { settings.handoverTool = members["handoverTool"].bool(sink) ?? true }
        if members.has("endTool") { settings.endTool = members["endTool"].bool(sink) ?? true }
        return settings
    }

    func webhook(_ value: YAMLValue) -> WebhookBotSettings? {
        guard let members = value.mapping(allowed: ["url", "secret", "secretFile", "secretEnv"], sink) else { return nil }
        guard let urlValue = members.required("url", sink), let url = urlValue.string(sink) else { return nil }
        guard Attachment.isWebURL(url) else {
            sink.error(urlValue, "must be an http(s) URL, found '\(url)'")
            return nil
        }
        return WebhookBotSettings(url: url, secret: secret("secret", in: members))
    }

    /// `key`, `keyFile`, or `keyEnv` naming an environment variable (`apiKeyEnv: OPENAI_API_KEY`); one of them.
    func secret(_ key: String, in members: YAMLMapping) -> Secret? {
        let envKey = key + "Env"
        guard members.has(envKey) else { return loader.readSecret(key, in: members, baseDirectory: baseDirectory, sink) }
        if members.has(key) || members.has(key + "File") {
            sink.error(members[envKey], "set one of '\(key)', '\(key)File' and '\(envKey)'")
            return nil
        }
        guard let variable = members[envKey].string(sink) else { return nil }
        guard let value = loader.environment[variable], !value.isEmpty else {
            sink.error(members[envKey], "the environment variable '\(variable)' is not set")
            return nil
        }
        return Secret(value)
    }

    /// Every `bot` node must name a configured bot; a node without a `prompt` takes its bot's `systemPrompt`.
    static func resolve(_ flow: inout Flow, bots: [String: BotSettings], flowValue: YAMLValue, sink: DiagnosticSink) {
        for index in flow.nodes.indices {
            guard case .bot(var node) = flow.nodes[index].kind else { continue }
            guard let bot = bots[node.bot] else {
                let hint = YAMLValue.closest(node.bot, in: bots.keys.sorted()).map { " (did you mean '\($0)'?)" } ?? ""
                let known = bots.isEmpty ? "the config has no bots" : "configured: \(bots.keys.sorted().joined(separator: ", "))"
                sink.add(Diagnostic(at: flow.nodes[index].location ?? flowValue.location, path: "", "node '\(flow.nodes[index].id)' names bot '\(node.bot)', which is not in the config's bots\(hint); \(known)"))
                continue
            }
            if node.prompt == nil { node.prompt = bot.systemPrompt }
            flow.nodes[index].kind = .bot(node)
        }
    }
}
