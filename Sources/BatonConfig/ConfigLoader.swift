import BatonCore
public import Foundation
import Yams

/// Reads and validates a config file and every flow it names.
///
/// ## Keys
/// ```yaml
/// server:   { host: 127.0.0.1, port: 8080, publicURL: https://baton.example.com, maxConnections, maxInFlightRequests: 4096,
///             idleTimeoutSeconds: 75, eventLoops }          # eventLoops: one per core unless set
/// storage:  { sqlite: { path: data/baton.sqlite, syncEachCommit: false, backups: { folder, everyHours: 24, keep: 7 } } }
///           # or, for several instances:
///           { postgres: { url | urlFile, maxConnections: 20, listenURL | listenURLFile } }   # url: postgres://user:password@host:port/db
/// log:      { level: info }
/// admin:    { token | tokenFile }                  # enables /admin/outbox (Authorization: Bearer <token>)
/// limits:   { messagesPerMinute: 60, maxMessageLength: 4000, maxFileBytes: 10485760 }
/// delivery: { giveUpAfterSeconds: 900, openGiveUpAfterSeconds: 120, requestTimeoutSeconds: 10, leaseSeconds: 4,
///             startupReconcileDelaySeconds: 2 }
/// retention: { idleSessionDays, messageDays }      # sessions idle this long are deleted, messages this old; unset: kept
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
///       chatwoot: { baseURL, accountId, apiAccessToken | apiAccessTokenFile, inbox (id or name), agentBotName, agentBotDescription,
///                   webhookSecret | webhookSecretFile, webhookPathSecret | webhookPathSecretFile, profileAttributes,
///                   showAgentNames: false, forwardUserTyping: false, reportSeenMessages: false, busyIsAvailable: false, availabilityCacheSeconds: 30 }
/// ```
/// Every scalar key can be overridden by `BATON_` + its path in upper snake case (see `Overrides`).
public struct ConfigLoader: Sendable {
    public let environment: [String: String]
    /// For `baton chatwoot setup`, which writes it: a `webhookSecretFile` that does not exist yet is no error.
    public var webhookSecretFileMayBeMissing = false

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
        guard let top = root.mapping(allowed: ["server", "storage", "log", "tracing", "admin", "limits", "delivery", "retention", "bots", "endpoints"], sink) else { return nil }
        let server = readServer(top["server"], sink)
        let storage = readStorage(top["storage"], baseDirectory: baseDirectory, sink)
        let log = readLog(top["log"], sink)
        let admin = readAdmin(top["admin"], baseDirectory: baseDirectory, sink)
        let tracing = readTracing(top["tracing"], sink)
        let limits = readLimits(top["limits"], sink)
        let delivery = readDelivery(top["delivery"], sink)
        let retention = readRetention(top["retention"], sink)
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
        var configuration = BatonConfiguration(
            server: server, storage: storage, log: log, admin: admin, limits: limits, delivery: delivery, endpoints: endpoints, bots: bots, sourceFile: root.file)
        configuration.tracing = tracing
        configuration.retention = retention
        return configuration
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
                // The inbox's webhook secret is the one file Baton can write itself.
                let hint = key == "webhookSecret" ? " (`baton chatwoot setup` writes the inbox's secret there)" : ""
                sink.error(members[fileKey], "cannot read the secret file '\(resolved)'\(hint)")
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
