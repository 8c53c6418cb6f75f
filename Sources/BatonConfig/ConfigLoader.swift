import BatonCore
public import Foundation
import Yams

/// Reads and validates a config file and every flow it names.
///
/// ## Keys
/// ```yaml
/// server:   { host: 127.0.0.1, port: 8080, publicURL: https://baton.example.com, maxConnections, maxInFlightRequests: 4096,
///             idleTimeoutSeconds: 75 }
/// storage:  { sqlite: { path: data/baton.sqlite } }    # or, for several instances:
///           { postgres: { url | urlFile, maxConnections: 20 } }   # url: postgres://user:password@host:port/db
/// log:      { level: info }
/// admin:    { token | tokenFile }                  # enables /admin/outbox (Authorization: Bearer <token>)
/// limits:   { messagesPerMinute: 60, maxMessageLength: 4000, maxFileBytes: 10485760 }
/// delivery: { giveUpAfterSeconds: 900, openGiveUpAfterSeconds: 120, requestTimeoutSeconds: 10, leaseSeconds: 60 }
/// bots:     { <name>: { openai: { … } | webhook: { … }, systemPrompt, timeoutSeconds, retrySeconds, history } }
///           # the outside bots flows' `bot` nodes name (see `BotSettingsReader`)
/// endpoints:
///   <id>:
///     name: Support
///     urlToken: support            # public token in the endpoint's URLs
///     flow: flows/support.yaml     # relative to this file
///     channels: { webchat: { enabled: true, identitySecret | identitySecretFile, subtitle }, rest: { enabled: true, apiKey: …, apiKeyFile: … } }
///     language: en                 # notices for users whose profile has no `language`
///     notices: { de: { resolved: "…" } }                   # Baton's notices, per language (docs/flows.md)
///     handoverDefaults: { inactivity: { userSeconds, agentSeconds }, reminder: { everySeconds, times } }
///     handover:
///       provider: chatwoot
///       chatwoot: { baseURL, accountId, apiAccessToken | apiAccessTokenFile, agentBotName, agentBotDescription,
///                   webhookSecret | webhookSecretFile, webhookPathSecret | webhookPathSecretFile, profileAttributes,
///                   showAgentNames: false, forwardUserTyping: false, busyIsAvailable: false, availabilityCacheSeconds: 30 }
/// ```
/// Every scalar key can be overridden by `BATON_` + its path in upper snake case (see `Overrides`).
public struct ConfigLoader: Sendable {
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Loads the config file at `path`.
    /// - Returns: the configuration and any warnings.
    /// - Throws: `ConfigurationError` listing every error found.
    public func load(path: String) throws(ConfigurationError) -> (BatonConfiguration, warnings: [Diagnostic]) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(diagnostics: [Diagnostic(at: SourceLocation(file: path, line: 1), path: "", "cannot read the config file: \(error.localizedDescription)")])
        }
        return try load(text: text, file: path, baseDirectory: (path as NSString).deletingLastPathComponent)
    }

    /// Loads config text; flow paths are resolved against `baseDirectory`.
    public func load(text: String, file: String, baseDirectory: String) throws(ConfigurationError) -> (BatonConfiguration, warnings: [Diagnostic]) {
        let sink = DiagnosticSink()
        let root = YAMLDocument.parse(text, file: file, overrides: Overrides(environment: environment), sink: sink)
        var configuration: BatonConfiguration?
        if let root {
            configuration = read(root, baseDirectory: baseDirectory, sink: sink)
        }
        guard let configuration, !sink.hasErrors else {
            throw ConfigurationError(diagnostics: sink.diagnostics.filter { $0.severity == .error } + sink.diagnostics.filter { $0.severity == .warning })
        }
        return (configuration, sink.diagnostics)
    }

    func read(_ root: YAMLValue, baseDirectory: String, sink: DiagnosticSink) -> BatonConfiguration? {
        guard let top = root.mapping(allowed: ["server", "storage", "log", "admin", "limits", "delivery", "bots", "endpoints"], sink) else { return nil }
        let server = readServer(top["server"], sink)
        let storage = readStorage(top["storage"], baseDirectory: baseDirectory, sink)
        let log = readLog(top["log"], sink)
        let admin = readAdmin(top["admin"], baseDirectory: baseDirectory, sink)
        let limits = readLimits(top["limits"], sink)
        let delivery = readDelivery(top["delivery"], sink)
        let bots = BotSettingsReader(loader: self, baseDirectory: baseDirectory, delivery: delivery, sink: sink).bots(top["bots"])
        var endpoints: [EndpointConfiguration] = []
        if let endpointsValue = top.required("endpoints", sink), let members = endpointsValue.mapping(allowed: nil, sink) {
            if members.members.isEmpty { sink.error(endpointsValue, "declare at least one endpoint") }
            for (id, value) in members.members {
                if id.isEmpty || !id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
                    sink.error(value, "endpoint ids may use letters, digits, '-' and '_' only")
                }
                if let endpoint = readEndpoint(id: id, value, baseDirectory: baseDirectory, bots: bots, sink) { endpoints.append(endpoint) }
            }
            var seen: [String: String] = [:]
            for endpoint in endpoints {
                if let other = seen[endpoint.urlToken] {
                    // At the written urlToken, else (a token defaulting to the id) at the endpoint.
                    let endpointValue = members[endpoint.id]
                    sink.error(endpointValue.child("urlToken", endpointValue.node?["urlToken"]), "urlToken '\(endpoint.urlToken)' is already used by endpoint '\(other)'")
                }
                seen[endpoint.urlToken] = endpoint.id
            }
            // An inbox has one agent bot: two endpoints cannot both answer it.
            var answered: [String: String] = [:]
            for endpoint in endpoints {
                if endpoint.chatwoot != nil, server.publicURL == nil {
                    sink.warning(
                        members[endpoint.id],
                        "server.publicURL is not set, so the Chatwoot agent bot will post to http://\(server.host):<port>, which only a Chatwoot on this machine reaches; set it to the address Chatwoot reaches Baton at")
                }
                guard let channel = endpoint.chatwoot, case .chatwoot(let settings)? = endpoint.handover else { continue }
                for inbox in channel.inboxes {
                    let key = "\(settings.baseURL)#\(settings.accountID)#\(inbox)"
                    if let other = answered[key] {
                        sink.error(members[endpoint.id], "Chatwoot inbox \(inbox) is already answered by endpoint '\(other)'")
                    }
                    answered[key] = endpoint.id
                }
            }
        }
        return BatonConfiguration(
            server: server, storage: storage, log: log, admin: admin, limits: limits, delivery: delivery, endpoints: endpoints, bots: bots, sourceFile: root.file)
    }

    func readServer(_ value: YAMLValue, _ sink: DiagnosticSink) -> ServerSettings {
        var settings = ServerSettings()
        guard !value.isNull || hasAnyOverride(under: value.path) else { return settings }
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: ["host", "port", "publicURL", "maxConnections", "maxInFlightRequests", "idleTimeoutSeconds"], sink)
        guard let members else { return settings }
        if members.has("host"), let host = members["host"].string(sink) { settings.host = host }
        if members.has("port"), let port = members["port"].int(sink, range: 0...65535) { settings.port = port }
        if members.has("maxConnections"), let cap = members["maxConnections"].int(sink, range: 1...1_000_000) { settings.maxConnections = cap }
        if members.has("maxInFlightRequests"), let cap = members["maxInFlightRequests"].int(sink, range: 1...1_000_000) { settings.maxInFlightRequests = cap }
        if members.has("idleTimeoutSeconds"), let seconds = members["idleTimeoutSeconds"].int(sink, range: 1...3_600) { settings.idleTimeoutSeconds = seconds }
        if members.has("publicURL"), let url = members["publicURL"].string(sink) {
            if Attachment.isWebURL(url) { settings.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url } else {
                sink.error(members["publicURL"], "must be an http(s) URL, found '\(url)'")
            }
        }
        return settings
    }

    func readStorage(_ value: YAMLValue, baseDirectory: String, _ sink: DiagnosticSink) -> StorageSettings {
        var settings = StorageSettings(sqlitePath: Self.resolve("data/baton.sqlite", against: baseDirectory))
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: ["sqlite", "postgres"], sink)
        guard let members else { return settings }
        let sqlite = members["sqlite"]
        let sqliteMembers = sqlite.isNull ? YAMLMapping(owner: sqlite, members: []) : sqlite.mapping(allowed: ["path"], sink)
        if let sqliteMembers, sqliteMembers.has("path"), let path = sqliteMembers["path"].string(sink) {
            settings.sqlitePath = Self.resolve(path, against: baseDirectory)
        }
        let postgres = members["postgres"]
        // The environment alone may choose PostgreSQL (BATON_STORAGE_POSTGRES_URL), whatever engine the file names.
        guard members.members.contains(where: { $0.0 == "postgres" }) || hasAnyOverride(under: postgres.path) else { return settings }
        if members.members.contains(where: { $0.0 == "sqlite" }), members.members.contains(where: { $0.0 == "postgres" }) {
            sink.error(postgres, "set either 'sqlite' or 'postgres', not both")
            return settings
        }
        settings.postgres = readPostgres(postgres, baseDirectory: baseDirectory, sink)
        return settings
    }

    /// `storage.postgres`: `url` or `urlFile` (the URL holds a password, so it is read as a secret), `maxConnections`.
    func readPostgres(_ value: YAMLValue, baseDirectory: String, _ sink: DiagnosticSink) -> PostgresStorageSettings? {
        if case .scalar? = value.node, !value.isNull {
            // Not "found the value '…'": the value is most likely the URL, password included.
            sink.error(value, "expected a mapping (url: postgres://…), found a single value")
            return nil
        }
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: ["url", "urlFile", "maxConnections"], sink)
        guard let members else { return nil }
        var maxConnections = 20
        if members.has("maxConnections"), let count = members["maxConnections"].int(sink, range: 1...1000) { maxConnections = count }
        guard members.has("url") || members.has("urlFile") else {
            sink.error(value, "missing required key 'url' (or 'urlFile'): postgres://user:password@host:port/database")
            return nil
        }
        guard let url = readSecret("url", in: members, baseDirectory: baseDirectory, sink), !url.value.isEmpty else { return nil }
        do {
            return try PostgresStorageSettings(url: url.value, maxConnections: maxConnections)
        } catch {
            let source = members.has("url") ? members["url"] : members["urlFile"]
            // The message never quotes the URL: it holds the password.
            sink.error(source, "\(error.message)\(source.overrideNote)")
            return nil
        }
    }

    func readLog(_ value: YAMLValue, _ sink: DiagnosticSink) -> LogSettings {
        var settings = LogSettings()
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: ["level"], sink)
        if let members, members.has("level"), let level = members["level"].string(sink) {
            if LogSettings.levels.contains(level) { settings.level = level } else {
                sink.error(members["level"], "unknown log level '\(level)'; use one of \(LogSettings.levels.joined(separator: ", "))")
            }
        }
        return settings
    }

    func readAdmin(_ value: YAMLValue, baseDirectory: String, _ sink: DiagnosticSink) -> AdminSettings {
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: ["token", "tokenFile"], sink)
        guard let members else { return AdminSettings() }
        let token = readSecret("token", in: members, baseDirectory: baseDirectory, sink)
        if let token, token.value.count < 16 { sink.error(members["token"], "the admin token must have at least 16 characters") }
        return AdminSettings(token: token)
    }

    func readLimits(_ value: YAMLValue, _ sink: DiagnosticSink) -> LimitSettings {
        var settings = LimitSettings()
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: ["messagesPerMinute", "maxMessageLength", "maxFileBytes"], sink)
        guard let members else { return settings }
        if members.has("messagesPerMinute"), let rate = members["messagesPerMinute"].int(sink, range: 1...100_000) { settings.messagesPerMinute = rate }
        if members.has("maxMessageLength"), let length = members["maxMessageLength"].int(sink, range: 1...150_000) { settings.maxMessageLength = length }
        if members.has("maxFileBytes"), let bytes = members["maxFileBytes"].int(sink, range: 1...(40 * 1024 * 1024)) { settings.maxFileBytes = bytes }
        return settings
    }

    func readDelivery(_ value: YAMLValue, _ sink: DiagnosticSink) -> DeliverySettings {
        var settings = DeliverySettings()
        let keys = ["giveUpAfterSeconds", "openGiveUpAfterSeconds", "requestTimeoutSeconds", "leaseSeconds"]
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: keys, sink)
        guard let members else { return settings }
        if members.has(keys[0]), let seconds = members[keys[0]].int(sink, range: 1...604_800) { settings.giveUpAfterSeconds = seconds }
        if members.has(keys[1]), let seconds = members[keys[1]].int(sink, range: 1...86_400) { settings.openGiveUpAfterSeconds = seconds }
        let timeout = members.has(keys[2]) ? members[keys[2]].int(sink, range: 1...120) : nil
        if let timeout { settings.requestTimeoutSeconds = timeout }
        let lease = members.has(keys[3]) ? members[keys[3]].int(sink, range: 2...3_600) : nil
        if let lease { settings.leaseSeconds = lease }
        // A lease that runs out while its call still waits for Chatwoot hands the job to a second worker: a double send.
        if (lease != nil || timeout != nil), settings.leaseSeconds <= settings.requestTimeoutSeconds {
            let at = lease != nil ? members[keys[3]] : members[keys[2]]
            sink.error(
                at,
                "leaseSeconds (\(settings.leaseSeconds)\(lease == nil ? ", the default" : "")) must be longer than requestTimeoutSeconds "
                    + "(\(settings.requestTimeoutSeconds)): a job's lease must outlast its Chatwoot calls, or another worker runs it a second time\(at.overrideNote)")
        }
        return settings
    }

    func readEndpoint(id: String, _ value: YAMLValue, baseDirectory: String, bots: [String: BotSettings] = [:], _ sink: DiagnosticSink) -> EndpointConfiguration? {
        guard let members = value.mapping(allowed: ["name", "urlToken", "flow", "channels", "handover", "language", "notices", "handoverDefaults"], sink) else {
            return nil
        }
        let name = members.has("name") ? members["name"].string(sink) ?? id : id
        var urlToken = id
        if members.has("urlToken"), let token = members["urlToken"].string(sink) {
            if token.isEmpty || !token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                sink.error(members["urlToken"], "a URL token may use ASCII letters, digits, '-' and '_' only")
            }
            urlToken = token
        }
        var channels = (webchat: WebchatSettings(), rest: RESTSettings(), chatwoot: ChatwootChannelSettings?.none)
        if members.has("channels") { channels = readChannels(members["channels"], baseDirectory: baseDirectory, sink) }
        let handover = members.has("handover") ? readHandover(members["handover"], baseDirectory: baseDirectory, sink) : nil
        if channels.chatwoot != nil, handover == nil {
            sink.error(members["channels"].child("chatwoot", members["channels"].node?["chatwoot"]), "the chatwoot channel answers as the agent bot of the endpoint's Chatwoot account: add handover.provider chatwoot with its settings")
        }
        guard let flowValue = members.required("flow", sink), let flowPath = flowValue.string(sink) else { return nil }
        let flowFile = Self.resolve(flowPath, against: baseDirectory)
        guard var flow = FlowLoader(overrides: Overrides(environment: [:])).load(path: flowFile, referencedFrom: flowValue, sink: sink) else { return nil }
        BotSettingsReader.resolve(&flow, bots: bots, flowValue: flowValue, sink: sink)
        for node in flow.nodes {
            guard case .handover(let handoverNode) = node.kind else { continue }
            let location = node.location ?? flowValue.location
            if handover == nil {
                sink.add(Diagnostic(.warning, at: location, path: "endpoints.\(id)", "the flow hands over at node '\(node.id)' but the endpoint has no handover settings; the flow will get input.handover.status 'error' (reason 'unsupported')"))
            } else if let handover, handover.providerName != handoverNode.provider {
                sink.add(Diagnostic(.warning, at: location, path: "endpoints.\(id)", "node '\(node.id)' asks for provider '\(handoverNode.provider)' but the endpoint uses '\(handover.providerName)'"))
            }
        }
        return EndpointConfiguration(
            id: id, name: name, urlToken: urlToken, flowFile: flowFile, flow: flow, webchat: channels.webchat, rest: channels.rest, chatwoot: channels.chatwoot,
            handover: handover, handoverPolicy: readHandoverPolicy(members, sink))
    }

    /// `language`, `notices` and `handoverDefaults` (the timers nodes leave out).
    func readHandoverPolicy(_ members: YAMLMapping, _ sink: DiagnosticSink) -> HandoverPolicy {
        var language = "en"
        if members.has("language"), let tag = members["language"].string(sink) {
            if Notices.isLanguageTag(tag) { language = tag } else { sink.error(members["language"], "'\(tag)' is not a language tag (such as en, de, pt-BR)") }
        }
        var policy = HandoverPolicy(notices: Notices(defaultLanguage: language))
        if members.has("notices") { policy.notices = HandoverPolicyReader.notices(members["notices"], defaultLanguage: language, sink) }
        if members.has("handoverDefaults"), let defaults = members["handoverDefaults"].mapping(allowed: HandoverPolicyReader.timerKeys, sink) {
            policy.timers = HandoverPolicyReader.timers(defaults, sink)
        }
        return policy
    }

    func readChannels(
        _ value: YAMLValue, baseDirectory: String, _ sink: DiagnosticSink
    ) -> (webchat: WebchatSettings, rest: RESTSettings, chatwoot: ChatwootChannelSettings?) {
        var result = (webchat: WebchatSettings(), rest: RESTSettings(), chatwoot: ChatwootChannelSettings?.none)
        guard let members = value.mapping(allowed: ["webchat", "rest", "chatwoot"], sink) else { return result }
        if members.has("chatwoot"), let chatwoot = members["chatwoot"].mapping(allowed: ["inboxes", "webhookPathSecret", "webhookPathSecretFile"], sink) {
            result.chatwoot = readChatwootChannel(chatwoot, baseDirectory: baseDirectory, sink)
        }
        let webchatKeys = ["enabled", "identitySecret", "identitySecretFile", "subtitle", "title", "color", "textColor", "logo", "position"]
        if members.has("webchat"), let webchat = members["webchat"].mapping(allowed: webchatKeys, sink) {
            result.webchat.branding = readBranding(webchat, sink)
            if webchat.has("enabled") { result.webchat.enabled = webchat["enabled"].bool(sink) ?? true }
            if webchat.has("subtitle"), let subtitle = webchat["subtitle"].string(sink) {
                if subtitle.count > 120 { sink.error(webchat["subtitle"], "the subtitle is one short line: at most 120 characters") }
                result.webchat.subtitle = subtitle.isEmpty ? nil : subtitle
            }
            result.webchat.identitySecret = readSecret("identitySecret", in: webchat, baseDirectory: baseDirectory, sink)
            if let secret = result.webchat.identitySecret, secret.value.count < 16 {
                sink.error(webchat["identitySecret"], "the identity secret must have at least 16 characters")
            }
        }
        if members.has("rest"), let rest = members["rest"].mapping(allowed: ["enabled", "apiKey", "apiKeyFile"], sink) {
            if rest.has("enabled") { result.rest.enabled = rest["enabled"].bool(sink) ?? true }
            result.rest.apiKey = readSecret("apiKey", in: rest, baseDirectory: baseDirectory, sink)
        }
        return result
    }

    /// `title`, `color`, `textColor`, `logo`, `position` of a webchat: each checked, none required.
    func readBranding(_ webchat: YAMLMapping, _ sink: DiagnosticSink) -> WebchatBranding {
        var branding = WebchatBranding()
        if webchat.has("title"), let title = webchat["title"].string(sink) {
            if title.isEmpty || title.count > 60 { sink.error(webchat["title"], "the title is 1 to 60 characters") } else { branding.title = title }
        }
        for key in ["color", "textColor"] where webchat.has(key) {
            guard let color = webchat[key].string(sink) else { continue }
            guard WebchatBranding.isColor(color) else {
                sink.error(webchat[key], "\(key) is a colour written #rgb or #rrggbb, found '\(color)'")
                continue
            }
            if key == "color" { branding.color = color } else { branding.textColor = color }
        }
        if webchat.has("logo"), let logo = webchat["logo"].string(sink) {
            if Attachment.isWebURL(logo) { branding.logo = logo } else { sink.error(webchat["logo"], "the logo is an http(s) URL, found '\(logo)'") }
        }
        if webchat.has("position"), let position = webchat["position"].string(sink) {
            if ["left", "right"].contains(position) { branding.position = position } else { sink.error(webchat["position"], "position is left or right, found '\(position)'") }
        }
        return branding
    }

    func readChatwootChannel(_ members: YAMLMapping, baseDirectory: String, _ sink: DiagnosticSink) -> ChatwootChannelSettings? {
        guard let inboxesValue = members.required("inboxes", sink) else { return nil }
        let items: [YAMLValue] = if let node = inboxesValue.node, case .scalar = node { [inboxesValue] } else { inboxesValue.sequence(sink) ?? [] }
        let inboxes = items.compactMap { $0.int(sink, range: 1...Int(Int32.max)) }
        if inboxes.isEmpty { sink.error(inboxesValue, "list the ids of the Chatwoot inboxes this endpoint answers, e.g. [21]") }
        if Set(inboxes).count != inboxes.count { sink.error(inboxesValue, "an inbox is listed twice") }
        let pathSecret = readSecret("webhookPathSecret", in: members, baseDirectory: baseDirectory, sink)
        if let pathSecret, !Self.isPathSecret(pathSecret.value) {
            sink.error(members[members.has("webhookPathSecret") ? "webhookPathSecret" : "webhookPathSecretFile"], "must be at least 24 URL-safe characters (letters, digits, '-', '_'), so it cannot be guessed")
        }
        return ChatwootChannelSettings(inboxes: inboxes, webhookPathSecret: pathSecret)
    }

    /// Long and URL-safe enough to stand in for a signature.
    static func isPathSecret(_ text: String) -> Bool {
        text.count >= 24 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    func readHandover(_ value: YAMLValue, baseDirectory: String, _ sink: DiagnosticSink) -> HandoverSettings? {
        guard let members = value.mapping(allowed: ["provider", "chatwoot"], sink) else { return nil }
        guard let providerValue = members.required("provider", sink), let provider = providerValue.string(sink) else { return nil }
        guard provider == "chatwoot" else {
            sink.error(providerValue, "unknown handover provider '\(provider)'; supported: chatwoot")
            return nil
        }
        guard let settingsValue = members.required("chatwoot", sink),
            let chatwoot = settingsValue.mapping(
                allowed: ["baseURL", "accountId", "apiAccessToken", "apiAccessTokenFile", "agentBotName", "agentBotDescription", "webhookSecret", "webhookSecretFile", "webhookPathSecret", "webhookPathSecretFile", "profileAttributes", "showAgentNames", "forwardUserTyping",
                    "busyIsAvailable", "availabilityCacheSeconds",
                ], sink)
        else { return nil }
        var baseURL = chatwoot.required("baseURL", sink)?.string(sink)
        if let url = baseURL {
            if !Attachment.isWebURL(url) {
                sink.error(chatwoot["baseURL"], "must be an http(s) URL such as https://app.chatwoot.com, found '\(url)'")
            }
            // People paste the API URL from Cognigy's docs (".../api/v1"); the base is what we need.
            var trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
            if trimmed.hasSuffix("/api/v1") { trimmed = String(trimmed.dropLast("/api/v1".count)) }
            baseURL = trimmed
        }
        let accountID = chatwoot.required("accountId", sink)?.int(sink, range: 1...Int(Int32.max))
        let token = readSecret("apiAccessToken", in: chatwoot, baseDirectory: baseDirectory, sink)
        if token == nil, !chatwoot.has("apiAccessToken"), !chatwoot.has("apiAccessTokenFile") {
            sink.error(settingsValue, "missing required key 'apiAccessToken' (or 'apiAccessTokenFile')")
        }
        let botName = chatwoot.has("agentBotName") ? chatwoot["agentBotName"].string(sink) : nil
        let botDescription = chatwoot.has("agentBotDescription") ? chatwoot["agentBotDescription"].string(sink) : nil
        let webhookSecret = readSecret("webhookSecret", in: chatwoot, baseDirectory: baseDirectory, sink)
        let pathSecret = readSecret("webhookPathSecret", in: chatwoot, baseDirectory: baseDirectory, sink)
        if let pathSecret, !Self.isPathSecret(pathSecret.value) {
            sink.error(chatwoot[chatwoot.has("webhookPathSecret") ? "webhookPathSecret" : "webhookPathSecretFile"], "must be at least 24 URL-safe characters (letters, digits, '-', '_'), so it cannot be guessed")
        }
        if webhookSecret == nil, pathSecret == nil, baseURL != nil, accountID != nil, token != nil {
            sink.warning(settingsValue, "neither 'webhookSecret' (Chatwoot 4.13+) nor 'webhookPathSecret' (older Chatwoot) is set, so Baton refuses this endpoint's webhooks: agents' replies cannot reach users")
        }
        let profileAttributes = chatwoot.has("profileAttributes") ? chatwoot["profileAttributes"].strings(sink) ?? [] : []
        guard let baseURL, let accountID, let token else { return nil }
        var settings = ChatwootSettings(baseURL: baseURL, accountID: accountID, apiAccessToken: token, webhookSecret: webhookSecret)
        if let botName { settings.agentBotName = botName }
        if let botDescription { settings.agentBotDescription = botDescription }
        settings.profileAttributes = profileAttributes
        settings.webhookPathSecret = pathSecret
        if chatwoot.has("showAgentNames") { settings.showAgentNames = chatwoot["showAgentNames"].bool(sink) ?? false }
        if chatwoot.has("busyIsAvailable") { settings.busyIsAvailable = chatwoot["busyIsAvailable"].bool(sink) ?? false }
        if chatwoot.has("availabilityCacheSeconds"), let seconds = chatwoot["availabilityCacheSeconds"].int(sink, range: 0...3_600) {
            settings.availabilityCacheSeconds = seconds
        }
        if chatwoot.has("forwardUserTyping") { settings.forwardUserTyping = chatwoot["forwardUserTyping"].bool(sink) ?? false }
        return .chatwoot(settings)
    }

    /// A secret from `key` (file or environment) or from the file named by `keyFile`; never both.
    func readSecret(_ key: String, in members: YAMLMapping, baseDirectory: String, _ sink: DiagnosticSink) -> Secret? {
        let fileKey = key + "File"
        if members.has(key), members.has(fileKey) {
            sink.error(members[fileKey], "set either '\(key)' or '\(fileKey)', not both")
            return nil
        }
        if members.has(key) {
            guard let value = members[key].string(sink) else { return nil }
            if value.isEmpty { sink.error(members[key], "must not be empty") }
            return Secret(value)
        }
        if members.has(fileKey), let path = members[fileKey].string(sink) {
            let resolved = Self.resolve(path, against: baseDirectory)
            guard let contents = try? String(contentsOfFile: resolved, encoding: .utf8) else {
                sink.error(members[fileKey], "cannot read the secret file '\(resolved)'")
                return nil
            }
            // Secret files usually end with a newline that is not part of the secret.
            let trimmed = contents.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { sink.error(members[fileKey], "the secret file '\(resolved)' is empty") }
            return Secret(trimmed)
        }
        return nil
    }

    func hasAnyOverride(under path: String) -> Bool {
        let prefix = Overrides.variableName(for: path) + "_"
        return environment.keys.contains { $0.hasPrefix(prefix) }
    }

    static func resolve(_ path: String, against base: String) -> String {
        if path.hasPrefix("/") || base.isEmpty { return path }
        return (base as NSString).appendingPathComponent(path)
    }
}

/// Parsing YAML text into a root value, with syntax errors as diagnostics.
enum YAMLDocument {
    static func parse(_ text: String, file: String, overrides: Overrides, sink: DiagnosticSink) -> YAMLValue? {
        do {
            let node = try Yams.compose(yaml: text)
            let root = YAMLValue(node: node, path: "", file: file, fallbackLine: 1, overrides: overrides)
            if node == nil { sink.error(root, "the file is empty") ; return nil }
            return root
        } catch let error as YamlError {
            sink.add(Diagnostic(at: location(of: error, file: file), path: "", "YAML syntax error: \(problem(of: error))"))
        } catch {
            sink.add(Diagnostic(at: SourceLocation(file: file, line: 1), path: "", "YAML syntax error: \(error)"))
        }
        return nil
    }

    static func location(of error: YamlError, file: String) -> SourceLocation {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            SourceLocation(file: file, line: mark.line, column: mark.column)
        default:
            SourceLocation(file: file, line: 1)
        }
    }

    static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        case .duplicatedKeysInMapping(let duplicates, _):
            "duplicate keys: \(duplicates.joined(separator: ", "))"
        default:
            "\(error)"
        }
    }
}
