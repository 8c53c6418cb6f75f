import BatonCore
import Foundation
import Testing

@testable import BatonConfig

// MARK: - Helpers shared with FlowLoaderTests

/// A fresh folder under the system temporary directory that holds one test's fixture files.
///
/// The suites are classes that own one of these and remove it in `deinit`, which Swift Testing runs after each test.
struct FixtureDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("baton-config-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The absolute path of `name` inside the folder (the file need not exist).
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to `name` (creating subfolders) and returns the file's absolute path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file.path
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The diagnostics of a load that must fail with a `ConfigurationError`.
func failureDiagnostics<Value>(sourceLocation: Testing.SourceLocation = #_sourceLocation, _ load: () throws -> Value) -> [Diagnostic] {
    do {
        _ = try load()
        Issue.record("expected a ConfigurationError, but loading succeeded", sourceLocation: sourceLocation)
    } catch let error as ConfigurationError {
        return error.diagnostics
    } catch {
        Issue.record("expected a ConfigurationError, got \(error)", sourceLocation: sourceLocation)
    }
    return []
}

/// Expects a diagnostic at exactly this file, line and key path whose message contains `message`.
func expectDiagnostic(
    _ diagnostics: [Diagnostic], _ severity: Diagnostic.Severity = .error, file: String, line: Int, path: String, message: String,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    let found = diagnostics.contains {
        $0.severity == severity && $0.location.file == file && $0.location.line == line && $0.path == path && $0.message.contains(message)
    }
    if !found {
        let listing = diagnostics.isEmpty ? "(none)" : diagnostics.map(\.description).joined(separator: "\n")
        Issue.record(
            "no \(severity.rawValue) at \(file):\(line) with path '\(path)' containing \"\(message)\"; got:\n\(listing)",
            sourceLocation: sourceLocation)
    }
}

// MARK: - Config loader

@Suite final class ConfigLoaderTests {
    let files: FixtureDirectory

    init() throws { files = try FixtureDirectory() }
    deinit { files.remove() }

    /// The loader with a controlled environment (never the test process's own `BATON_*` variables).
    func loader(_ environment: [String: String] = [:]) -> ConfigLoader { ConfigLoader(environment: environment) }

    /// Writes a one-node flow at `flows/main.yaml` and the config text at `baton.yaml`; returns the config's path.
    func writeConfig(_ text: String) throws -> String {
        try files.write("flows/main.yaml", "nodes:\n  - say: Hello\n")
        return try files.write("baton.yaml", text)
    }

    static let chatwootConfig = """
        endpoints:
          demo:
            flow: flows/main.yaml
            handover:
              provider: chatwoot
              chatwoot:
                baseURL: https://chat.example.com
                accountId: 7
        """

    // MARK: The bundled demo

    @Test func bundledDemoLoadsWithOnlyTheHandoverWarning() throws {
        let path = try #require(DemoConfiguration.configPath)
        let (configuration, warnings) = try loader().load(path: path)
        let directory = (path as NSString).deletingLastPathComponent

        #expect(configuration.server == ServerSettings(host: "127.0.0.1", port: 8080))
        #expect(configuration.storage.sqlitePath == directory + "/data/baton.sqlite")
        #expect(!configuration.storage.sqliteSyncsEachCommit, "a power cut may lose the last commits, unless asked")
        #expect(configuration.storage.summary == directory + "/data/baton.sqlite (flushed at checkpoints)")
        #expect(configuration.log.level == "info")
        #expect(configuration.sourceFile == path)
        #expect(configuration.endpoints.map(\.id) == ["demo"])
        let endpoint = try #require(configuration.endpoints.first)
        #expect(endpoint.name == "Baton demo")
        #expect(endpoint.urlToken == "demo")
        #expect(endpoint.flowFile == directory + "/flows/demo.yaml")
        #expect(endpoint.webchat.enabled && endpoint.rest.enabled)
        #expect(endpoint.rest.apiKey == nil)
        #expect(endpoint.handover == nil)
        #expect(endpoint.flow.name == "Demo")
        #expect(endpoint.flow.intents.map(\.name) == ["human", "restart", "menu"])
        #expect(endpoint.flow.nodes.count == 29)
        #expect(configuration.bots.keys.sorted() == ["assistant"], "the assistant, answered offline by the demo's model stand-in")

        #expect(warnings.count == 1)
        #expect(!warnings.contains { $0.severity == .error })
        expectDiagnostic(
            warnings, .warning, file: endpoint.flowFile, line: 101, path: "endpoints.demo",
            message: "the flow hands over at node 'node-22' but the endpoint has no handover settings")
    }

    // MARK: Values and defaults

    @Test func readsEveryKeyAndResolvesPathsAgainstTheConfigFolder() throws {
        try files.write("secrets/rest-key", "rest-secret\n")
        let path = try writeConfig(
            """
            server:
              host: 0.0.0.0
              port: 9000
              publicURL: https://bot.example.com/
            storage:
              sqlite:
                path: var/db.sqlite
                syncEachCommit: true
            log:
              level: debug
            endpoints:
              support:
                name: Support
                urlToken: help-desk
                flow: flows/main.yaml
                channels:
                  webchat: { enabled: false, identitySecret: identity-secret-0123456789 }
                  rest: { enabled: yes, apiKeyFile: secrets/rest-key }
                handover:
                  provider: chatwoot
                  chatwoot:
                    baseURL: https://chat.example.com
                    accountId: 42
                    apiAccessToken: token-123
                    agentBotName: Helper
                    agentBotDescription: The helper bot
                    webhookSecret: hook-secret
                    showAgentNames: true
                    forwardUserTyping: yes
                    reportSeenMessages: yes
            """)
        let (configuration, warnings) = try loader().load(path: path)
        #expect(warnings.isEmpty)
        #expect(configuration.server == ServerSettings(host: "0.0.0.0", port: 9000, publicURL: "https://bot.example.com"))
        #expect(configuration.storage.sqlitePath == files.path("var/db.sqlite"))
        #expect(configuration.storage.sqliteSyncsEachCommit)
        #expect(configuration.storage.summary == files.path("var/db.sqlite") + " (each commit flushed to the disk)")
        #expect(configuration.log.level == "debug")
        let endpoint = try #require(configuration.endpoints.first)
        #expect(endpoint.id == "support")
        #expect(endpoint.name == "Support")
        #expect(endpoint.urlToken == "help-desk")
        #expect(endpoint.flowFile == files.path("flows/main.yaml"))
        #expect(endpoint.flow.nodes.count == 1)
        #expect(endpoint.webchat == WebchatSettings(enabled: false, identitySecret: Secret("identity-secret-0123456789")))
        #expect(endpoint.rest == RESTSettings(enabled: true, apiKey: Secret("rest-secret")))
        #expect(configuration.admin == AdminSettings())
        #expect(configuration.limits == LimitSettings())
        #expect(configuration.delivery == DeliverySettings())
        var expected = ChatwootSettings(
            baseURL: "https://chat.example.com", accountID: 42, apiAccessToken: Secret("token-123"), agentBotName: "Helper",
            agentBotDescription: "The helper bot", webhookSecret: Secret("hook-secret"))
        expected.showAgentNames = true
        expected.forwardUserTyping = true
        expected.reportSeenMessages = true
        #expect(endpoint.handover == .chatwoot(expected))
    }

    @Test func adminLimitsAndDeliveryAreRead() throws {
        let settings = """
            admin: { token: admin-token-0123456789 }
            limits: { messagesPerMinute: 30, maxMessageLength: 1000 }
            delivery: { giveUpAfterSeconds: 60, openGiveUpAfterSeconds: 30, requestTimeoutSeconds: 5 }
            endpoints:
              web:
                flow: flows/main.yaml

            """
        let shortSecret = try writeConfig(settings + "    channels: { webchat: { identitySecret: short } }\n")
        let refused = #expect(throws: ConfigurationError.self) { try loader().load(path: shortSecret) }
        #expect(refused?.diagnostics.map(\.message) == ["the identity secret must have at least 16 characters"])
        let subtitled = try writeConfig(settings + "    channels: { webchat: { subtitle: \"We reply within minutes\" } }\n")
        #expect(try loader().load(path: subtitled).0.endpoints.first?.webchat.subtitle == "We reply within minutes")
        let rambling = try writeConfig(settings + "    channels: { webchat: { subtitle: \"\(String(repeating: "x", count: 121))\" } }\n")
        let tooLong = #expect(throws: ConfigurationError.self) { try loader().load(path: rambling) }
        #expect(tooLong?.diagnostics.map(\.message) == ["the subtitle is one short line: at most 120 characters"])
        // Users may delete their conversation unless the endpoint says not.
        let kept = try writeConfig(settings + "    channels: { webchat: { userCanDelete: false } }\n")
        #expect(try loader().load(path: kept).0.endpoints.first?.webchat.userCanDelete == false)
        let configuration = try loader().load(path: try writeConfig(settings)).0
        #expect(configuration.endpoints.first?.webchat.userCanDelete == true)
        #expect(configuration.admin == AdminSettings(token: Secret("admin-token-0123456789")))
        #expect(configuration.limits == LimitSettings(messagesPerMinute: 30, maxMessageLength: 1000))
        #expect(configuration.delivery == DeliverySettings(giveUpAfterSeconds: 60, openGiveUpAfterSeconds: 30, requestTimeoutSeconds: 5))
        #expect(configuration.delivery.leaseSeconds == 4)
    }

    @Test func noticesLanguageAndHandoverDefaultsAreReadAndChecked() throws {
        let endpoint = """
            endpoints:
              web:
                flow: flows/main.yaml

            """
        let good = try writeConfig(
            endpoint + """
                    language: de
                    notices:
                      de: { resolved: "Zurück beim Bot.", agentJoinedNamed: "{name} ist da." }
                      pt_BR: { cancelled: "Você saiu." }
                    handoverDefaults: { inactivity: { userSeconds: 600 }, reminder: { everySeconds: 60, times: 3 } }

                """)
        let policy = try #require(try loader().load(path: good).0.endpoints.first?.handoverPolicy)
        #expect(policy.notices.defaultLanguage == "de")
        #expect(policy.notices.text(.resolved, language: nil) == "Zurück beim Bot.")
        #expect(policy.notices.text(.agentJoinedNamed, language: "de-CH", ["name": "Eva"]) == "Eva ist da.")
        #expect(policy.notices.text(.cancelled, language: "pt-br") == "Você saiu.")
        #expect(policy.timers == HandoverTimers(userInactivity: 600, reminderEvery: 60, reminderTimes: 3))

        let bad = try writeConfig(
            endpoint + """
                    language: "english please"
                    notices:
                      de: { resolvd: "x", agentJoined: "{name} ist da.", failed: " " }
                      "1x": { resolved: "y" }
                    handoverDefaults: { inactivity: { userSeconds: 0 }, reminder: { times: 2 } }

                """)
        let refused = #expect(throws: ConfigurationError.self) { try loader().load(path: bad) }
        #expect(
            Set(refused?.diagnostics.map(\.message) ?? []) == [
                "'english please' is not a language tag (such as en, de, pt-BR)",
                "unknown key 'resolvd' (did you mean 'resolved'?); allowed here: \(NoticeKey.allCases.map(\.rawValue).joined(separator: ", "))",
                "'{name}' is not known in the agentJoined notice; it may use: none",
                "a notice must say something",
                "'1x' is not a language tag (such as en, de, pt-BR)",
                "must be between 1 and 604800, found 0",
                "missing required key 'everySeconds'",
            ])
    }

    @Test func theStartupReconcileDelayIsReadWithinItsRange() throws {
        let endpoints = "endpoints:\n  web:\n    flow: flows/main.yaml\n"
        #expect(try loader().load(path: try writeConfig(endpoints)).0.delivery.startupReconcileDelaySeconds == 2)
        let none = try loader().load(path: try writeConfig("delivery: { startupReconcileDelaySeconds: 0 }\n" + endpoints)).0
        #expect(none.delivery == DeliverySettings(startupReconcileDelaySeconds: 0))
        let tooLong = try writeConfig("delivery: { startupReconcileDelaySeconds: 601 }\n" + endpoints)
        expectDiagnostic(
            failureDiagnostics { try loader().load(path: tooLong) }, file: tooLong, line: 1, path: "delivery.startupReconcileDelaySeconds",
            message: "must be between 0 and 600, found 601")
    }

    @Test func sessionsAreKeptUnlessARetentionIsSetOfAtLeastADay() throws {
        let endpoints = "endpoints:\n  web:\n    flow: flows/main.yaml\n"
        #expect(try loader().load(path: try writeConfig(endpoints)).0.retention == RetentionSettings(idleSessionDays: nil, messageDays: nil))
        let ninety = try loader().load(path: try writeConfig("retention: { idleSessionDays: 90 }\n" + endpoints)).0
        #expect(ninety.retention == RetentionSettings(idleSessionDays: 90))
        let fromEnvironment = try loader(["BATON_RETENTION_IDLE_SESSION_DAYS": "30"]).load(path: try writeConfig(endpoints)).0
        #expect(fromEnvironment.retention.idleSessionDays == 30)

        let zero = try writeConfig("retention: { idleSessionDays: 0 }\n" + endpoints)
        expectDiagnostic(
            failureDiagnostics { try loader().load(path: zero) }, file: zero, line: 1, path: "retention.idleSessionDays",
            message: "must be between 1 and 36500, found 0")
        let both = try loader(["BATON_RETENTION_MESSAGE_DAYS": "30"]).load(path: try writeConfig("retention: { idleSessionDays: 365 }\n" + endpoints)).0
        #expect(both.retention == RetentionSettings(idleSessionDays: 365, messageDays: 30))
        let noMessages = try writeConfig("retention: { messageDays: 0 }\n" + endpoints)
        expectDiagnostic(
            failureDiagnostics { try loader().load(path: noMessages) }, file: noMessages, line: 1, path: "retention.messageDays",
            message: "must be between 1 and 36500, found 0")
        let unknown = try writeConfig("retention: { days: 3 }\n" + endpoints)
        #expect(failureDiagnostics { try loader().load(path: unknown) }.contains { $0.path == "retention.days" })
    }

    @Test func theOutboxLeaseIsReadAndMayBeShorterThanTheRequestTimeoutSinceItIsRenewed() throws {
        let endpoints = "endpoints:\n  web:\n    flow: flows/main.yaml\n"
        let short = try loader().load(path: try writeConfig("delivery: { requestTimeoutSeconds: 30, leaseSeconds: 3 }\n" + endpoints)).0
        #expect(short.delivery == DeliverySettings(requestTimeoutSeconds: 30, leaseSeconds: 3))
        let fromEnvironment = try loader(["BATON_DELIVERY_LEASE_SECONDS": "7"]).load(path: try writeConfig(endpoints)).0
        #expect(fromEnvironment.delivery.leaseSeconds == 7)

        let tooShort = try writeConfig("delivery: { leaseSeconds: 1 }\n" + endpoints)
        expectDiagnostic(
            failureDiagnostics { try loader().load(path: tooShort) }, file: tooShort, line: 1, path: "delivery.leaseSeconds",
            message: "must be between 2 and 3600, found 1")
    }

    @Test func theIdleTimeoutIsReadBoundedAndOverridable() throws {
        let endpoints = "endpoints:\n  web:\n    flow: flows/main.yaml\n"
        let path = try writeConfig("server: { idleTimeoutSeconds: 30 }\n" + endpoints)
        #expect(try loader().load(path: path).0.server.idleTimeoutSeconds == 30)
        #expect(try loader(["BATON_SERVER_IDLE_TIMEOUT_SECONDS": "5"]).load(path: path).0.server.idleTimeoutSeconds == 5)
        #expect(try loader().load(path: try writeConfig(endpoints)).0.server.idleTimeoutSeconds == 75, "the default")
        let zero = try writeConfig("server: { idleTimeoutSeconds: 0 }\n" + endpoints)
        expectDiagnostic(
            failureDiagnostics { try loader().load(path: zero) }, file: zero, line: 1, path: "server.idleTimeoutSeconds",
            message: "must be between 1 and 3600, found 0")
    }

    @Test func theEventLoopsAreReadBoundedAndOverridable() throws {
        let endpoints = "endpoints:\n  web:\n    flow: flows/main.yaml\n"
        let path = try writeConfig("server: { eventLoops: 1 }\n" + endpoints)
        #expect(try loader().load(path: path).0.server.eventLoops == 1)
        #expect(try loader(["BATON_SERVER_EVENT_LOOPS": "3"]).load(path: path).0.server.eventLoops == 3)
        #expect(try loader().load(path: try writeConfig(endpoints)).0.server.eventLoops == nil, "one per core, SwiftNIO's default")
        let zero = try writeConfig("server: { eventLoops: 0 }\n" + endpoints)
        expectDiagnostic(
            failureDiagnostics { try loader().load(path: zero) }, file: zero, line: 1, path: "server.eventLoops",
            message: "must be between 1 and 1024, found 0")
    }

    @Test func minimalConfigGetsDefaults() throws {
        let path = try writeConfig("endpoints:\n  web:\n    flow: flows/main.yaml\n")
        let (configuration, warnings) = try loader().load(path: path)
        #expect(warnings.isEmpty)
        #expect(configuration.server == ServerSettings())
        #expect(configuration.storage.sqlitePath == files.path("data/baton.sqlite"))
        #expect(configuration.log.level == "info")
        let endpoint = try #require(configuration.endpoints.first)
        #expect(endpoint.name == "web")
        #expect(endpoint.urlToken == "web")
        #expect(endpoint.webchat.enabled && endpoint.rest.enabled)
        #expect(endpoint.handover == nil)
    }

    @Test(arguments: [
        ("https://chat.example.com/api/v1", "https://chat.example.com"),
        ("https://chat.example.com/api/v1/", "https://chat.example.com"),
        ("https://chat.example.com/", "https://chat.example.com"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("https://example.com/chatwoot/api/v1", "https://example.com/chatwoot"),
    ])
    func baseURLIsNormalised(written: String, expected: String) throws {
        let path = try writeConfig(Self.chatwootConfig.replacingOccurrences(of: "https://chat.example.com", with: written))
        let (configuration, _) = try loader(["BATON_ENDPOINTS_DEMO_HANDOVER_CHATWOOT_API_ACCESS_TOKEN": "t"]).load(path: path)
        guard case .chatwoot(let settings)? = configuration.endpoints.first?.handover else {
            Issue.record("expected Chatwoot settings")
            return
        }
        #expect(settings.baseURL == expected)
    }

    // MARK: Environment overrides

    @Test(arguments: [
        ("server.port", "BATON_SERVER_PORT"),
        ("server.publicURL", "BATON_SERVER_PUBLIC_URL"),
        ("storage.sqlite.path", "BATON_STORAGE_SQLITE_PATH"),
        ("storage.sqlite.syncEachCommit", "BATON_STORAGE_SQLITE_SYNC_EACH_COMMIT"),
        ("endpoints.demo.handover.chatwoot.apiAccessToken", "BATON_ENDPOINTS_DEMO_HANDOVER_CHATWOOT_API_ACCESS_TOKEN"),
        ("endpoints.demo.handover.chatwoot.baseURL", "BATON_ENDPOINTS_DEMO_HANDOVER_CHATWOOT_BASE_URL"),
        ("endpoints.demo-1.handover.chatwoot.accountId", "BATON_ENDPOINTS_DEMO_1_HANDOVER_CHATWOOT_ACCOUNT_ID"),
        ("endpoints.demo.channels.rest.apiKeyFile", "BATON_ENDPOINTS_DEMO_CHANNELS_REST_API_KEY_FILE"),
    ])
    func overrideVariableNames(path: String, variable: String) {
        #expect(Overrides.variableName(for: path) == variable)
    }

    @Test func environmentOverridesTheFile() throws {
        let path = try writeConfig("server:\n  port: 8080\n  host: 127.0.0.1\nendpoints:\n  demo:\n    flow: flows/main.yaml\n")
        let (configuration, _) = try loader(["BATON_SERVER_PORT": "9090", "BATON_LOG_LEVEL": "warning"]).load(path: path)
        #expect(configuration.server.port == 9090)
        #expect(configuration.server.host == "127.0.0.1")
        #expect(configuration.log.level == "warning")
    }

    @Test func environmentSuppliesKeysMissingFromTheFile() throws {
        let path = try writeConfig("endpoints:\n  demo:\n    flow: flows/main.yaml\n")
        let (configuration, _) = try loader([
            "BATON_SERVER_PORT": "9191", "BATON_STORAGE_SQLITE_PATH": "/var/lib/baton.sqlite", "BATON_STORAGE_SQLITE_SYNC_EACH_COMMIT": "true",
        ]).load(path: path)
        #expect(configuration.server.port == 9191)
        #expect(configuration.storage.sqlitePath == "/var/lib/baton.sqlite")
        #expect(configuration.storage.sqliteSyncsEachCommit)
    }

    @Test func environmentSuppliesAMissingToken() throws {
        let path = try writeConfig(Self.chatwootConfig)
        let token = "from-the-environment"
        let (configuration, warnings) = try loader([
            "BATON_ENDPOINTS_DEMO_HANDOVER_CHATWOOT_API_ACCESS_TOKEN": token, "BATON_ENDPOINTS_DEMO_HANDOVER_CHATWOOT_WEBHOOK_SECRET": "whsec",
        ]).load(path: path)
        #expect(warnings.isEmpty)
        guard case .chatwoot(let settings)? = configuration.endpoints.first?.handover else {
            Issue.record("expected Chatwoot settings")
            return
        }
        #expect(settings.apiAccessToken.value == token)
        #expect(settings.accountID == 7)
    }

    @Test func missingTokenWithoutEnvironmentIsAnError() throws {
        let path = try writeConfig(Self.chatwootConfig)
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(
            diagnostics, file: path, line: 7, path: "endpoints.demo.handover.chatwoot",
            message: "missing required key 'apiAccessToken' (or 'apiAccessTokenFile')")
        #expect(diagnostics.count == 1)
    }

    @Test func badOverrideValueNamesTheVariable() throws {
        let path = try writeConfig("server:\n  port: 8080\nendpoints:\n  demo:\n    flow: flows/main.yaml\n")
        let diagnostics = failureDiagnostics { try loader(["BATON_SERVER_PORT": "lots"]).load(path: path) }
        expectDiagnostic(
            diagnostics, file: path, line: 2, path: "server.port",
            message: "expected a whole number, found 'lots' (from environment variable BATON_SERVER_PORT)")

        let range = failureDiagnostics { try loader(["BATON_SERVER_PORT": "70000"]).load(path: path) }
        expectDiagnostic(
            range, file: path, line: 2, path: "server.port",
            message: "must be between 0 and 65535, found 70000 (from environment variable BATON_SERVER_PORT)")

        let channels = try writeConfig("endpoints:\n  demo:\n    flow: flows/main.yaml\n    channels:\n      webchat: { enabled: true }\n")
        let flag = failureDiagnostics { try loader(["BATON_ENDPOINTS_DEMO_CHANNELS_WEBCHAT_ENABLED": "maybe"]).load(path: channels) }
        expectDiagnostic(
            flag, file: channels, line: 5, path: "endpoints.demo.channels.webchat.enabled",
            message: "expected true or false, found 'maybe' (from environment variable BATON_ENDPOINTS_DEMO_CHANNELS_WEBCHAT_ENABLED)")
    }

    // MARK: Secrets

    @Test func secretFilesAreTrimmed() throws {
        try files.write("secrets/token", "  token-from-file \n\n")
        try files.write("secrets/hook", "hook\n")
        let path = try writeConfig(Self.chatwootConfig + "\n        apiAccessTokenFile: secrets/token\n        webhookSecretFile: secrets/hook\n")
        let (configuration, _) = try loader().load(path: path)
        guard case .chatwoot(let settings)? = configuration.endpoints.first?.handover else {
            Issue.record("expected Chatwoot settings")
            return
        }
        #expect(settings.apiAccessToken.value == "token-from-file")
        #expect(settings.webhookSecret?.value == "hook")
    }

    @Test func secretsNeverShowInDescriptions() throws {
        let secret = Secret("hunter2-token")
        #expect(secret.description == "<redacted>")
        #expect(secret.debugDescription == "<redacted>")
        #expect("\(secret)" == "<redacted>")
        let settings = ChatwootSettings(
            baseURL: "https://chat.example.com", accountID: 1, apiAccessToken: secret, webhookSecret: Secret("hook-secret-value"))
        for text in ["\(settings)", String(describing: settings), String(reflecting: settings), "\(HandoverSettings.chatwoot(settings))"] {
            #expect(!text.contains("hunter2"))
            #expect(!text.contains("hook-secret-value"))
            #expect(text.contains("<redacted>"))
        }

        let path = try writeConfig(Self.chatwootConfig + "\n        apiAccessToken: hunter2-token\n")
        let (configuration, _) = try loader().load(path: path)
        #expect(!"\(configuration)".contains("hunter2"))
        #expect(!"\(configuration.endpoints)".contains("hunter2"))
    }

    @Test func tokenAndTokenFileTogetherIsAnError() throws {
        try files.write("secrets/token", "abc")
        let path = try writeConfig(Self.chatwootConfig + "\n        apiAccessToken: abc\n        apiAccessTokenFile: secrets/token\n")
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(
            diagnostics, file: path, line: 10, path: "endpoints.demo.handover.chatwoot.apiAccessTokenFile",
            message: "set either 'apiAccessToken' or 'apiAccessTokenFile', not both")
        #expect(diagnostics.count == 1)
    }

    /// The webhook secret's file is the one `baton chatwoot setup` writes: before it ran, serving says so, and
    /// setup itself loads the config without it.
    @Test func aMissingWebhookSecretFileNamesSetupAndSetupLoadsWithoutIt() throws {
        let text = Self.chatwootConfig + "\n        apiAccessToken: t\n        inbox: Website handover\n        webhookSecretFile: secrets/webhook\n"
        let path = try writeConfig(text)
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(
            diagnostics, file: path, line: 11, path: "endpoints.demo.handover.chatwoot.webhookSecretFile",
            message: "cannot read the secret file '\(files.path("secrets/webhook"))' (`baton chatwoot setup` writes the inbox's secret there)")
        var forSetup = loader()
        forSetup.webhookSecretFileMayBeMissing = true
        let (configuration, _) = try forSetup.load(path: path)
        guard case .chatwoot(let settings)? = configuration.endpoints.first?.handover else { Issue.record("no Chatwoot handover"); return }
        #expect(settings.webhookSecret == nil)
        #expect(settings.webhookSecretFile == files.path("secrets/webhook"))
        #expect(settings.inbox == .name("Website handover"))
    }

    @Test func unreadableSecretFileIsAnError() throws {
        let path = try writeConfig(Self.chatwootConfig + "\n        apiAccessTokenFile: secrets/missing\n")
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(
            diagnostics, file: path, line: 9, path: "endpoints.demo.handover.chatwoot.apiAccessTokenFile",
            message: "cannot read the secret file '\(files.path("secrets/missing"))'")
        #expect(diagnostics.count == 1)
    }

    @Test func emptySecretFileIsAnError() throws {
        try files.write("secrets/empty", " \n")
        let path = try writeConfig(Self.chatwootConfig + "\n        apiAccessTokenFile: secrets/empty\n")
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(
            diagnostics, file: path, line: 9, path: "endpoints.demo.handover.chatwoot.apiAccessTokenFile",
            message: "the secret file '\(files.path("secrets/empty"))' is empty")
    }

    // MARK: Errors

    @Test func yamlSyntaxErrorReportsItsLine() throws {
        let path = try writeConfig("server:\n  port: 8080\n  host: [127.0.0.1\nendpoints:\n  demo:\n    flow: flows/main.yaml\n")
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        #expect(diagnostics.count == 1)
        let diagnostic = try #require(diagnostics.first)
        #expect(diagnostic.location.file == path)
        #expect(diagnostic.location.line == 4)
        #expect(diagnostic.path == "")
        #expect(diagnostic.message.hasPrefix("YAML syntax error: "))
    }

    @Test func unreadableConfigFileIsAnError() throws {
        let path = files.path("nowhere.yaml")
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(diagnostics, file: path, line: 1, path: "", message: "cannot read the config file")
    }

    @Test func emptyConfigFileIsAnError() throws {
        let path = try writeConfig("# nothing here\n")
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(diagnostics, file: path, line: 1, path: "", message: "the file is empty")
    }

    @Test func unknownKeysGetAHint() throws {
        let path = try writeConfig("server:\n  Port: 8080\nendpoint:\n  demo:\n    flow: flows/main.yaml\n")
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(
            diagnostics, file: path, line: 2, path: "server.Port",
            message: "unknown key 'Port' (did you mean 'port'?); allowed here: host, port, publicURL")
        expectDiagnostic(
            diagnostics, file: path, line: 3, path: "endpoint",
            message: "unknown key 'endpoint' (did you mean 'endpoints'?); allowed here: server, storage, log, tracing, admin, limits, delivery, retention, bots, endpoints")
        expectDiagnostic(diagnostics, file: path, line: 1, path: "", message: "missing required key 'endpoints'")
        #expect(diagnostics.count == 3)
    }

    @Test func wrongTypesAreReported() throws {
        let path = try writeConfig(
            """
            server:
              port: abc
              publicURL: bot.example.com
            endpoints:
              demo:
                flow: flows/main.yaml
                channels:
                  rest: { enabled: sometimes }
                handover:
                  provider: chatwoot
                  chatwoot:
                    baseURL: chat.example.com
                    accountId: 0
                    apiAccessToken: t
            """)
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(diagnostics, file: path, line: 2, path: "server.port", message: "expected a whole number, found 'abc'")
        expectDiagnostic(diagnostics, file: path, line: 3, path: "server.publicURL", message: "must be an http(s) URL, found 'bot.example.com'")
        expectDiagnostic(
            diagnostics, file: path, line: 8, path: "endpoints.demo.channels.rest.enabled", message: "expected true or false, found 'sometimes'")
        expectDiagnostic(
            diagnostics, file: path, line: 12, path: "endpoints.demo.handover.chatwoot.baseURL",
            message: "must be an http(s) URL such as https://app.chatwoot.com, found 'chat.example.com'")
        expectDiagnostic(
            diagnostics, file: path, line: 13, path: "endpoints.demo.handover.chatwoot.accountId",
            message: "must be between 1 and 2147483647, found 0")
        #expect(diagnostics.count == 5)
    }

    @Test func missingRequiredKeysAreReported() throws {
        let path = try writeConfig(
            """
            endpoints:
              demo:
                name: Demo
                handover:
                  chatwoot: {}
              other:
                flow: flows/main.yaml
                handover:
                  provider: chatwoot
                  chatwoot:
                    accountId: 3
                    apiAccessToken: t
            """)
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(diagnostics, file: path, line: 3, path: "endpoints.demo", message: "missing required key 'flow'")
        expectDiagnostic(diagnostics, file: path, line: 5, path: "endpoints.demo.handover", message: "missing required key 'provider'")
        expectDiagnostic(
            diagnostics, file: path, line: 11, path: "endpoints.other.handover.chatwoot", message: "missing required key 'baseURL'")
        #expect(diagnostics.count == 3)
    }

    @Test func noEndpointsIsAnError() throws {
        let path = try writeConfig("server:\n  port: 1\nendpoints: {}\n")
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(diagnostics, file: path, line: 3, path: "endpoints", message: "declare at least one endpoint")
    }

    @Test func unknownHandoverProviderAndLogLevel() throws {
        let path = try writeConfig(
            """
            log:
              level: verbose
            endpoints:
              demo:
                flow: flows/main.yaml
                handover:
                  provider: zendesk
            """)
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(
            diagnostics, file: path, line: 2, path: "log.level",
            message: "unknown log level 'verbose'; use one of trace, debug, info, notice, warning, error, critical")
        expectDiagnostic(
            diagnostics, file: path, line: 7, path: "endpoints.demo.handover.provider",
            message: "unknown handover provider 'zendesk'; supported: chatwoot")
        #expect(diagnostics.count == 2)
    }

    @Test func duplicateURLTokensAcrossEndpoints() throws {
        let path = try writeConfig(
            """
            endpoints:
              first:
                urlToken: shared
                flow: flows/main.yaml
              second:
                flow: flows/main.yaml
                urlToken: shared
              third:
                flow: flows/main.yaml
                urlToken: bad token!
            """)
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(
            diagnostics, file: path, line: 7, path: "endpoints.second.urlToken",
            message: "urlToken 'shared' is already used by endpoint 'first'")
        expectDiagnostic(
            diagnostics, file: path, line: 10, path: "endpoints.third.urlToken", message: "a URL token may use ASCII letters, digits, '-' and '_' only")
        #expect(diagnostics.count == 2)
    }

    @Test func urlTokenDefaultingToTheIdCanCollide() throws {
        let path = try writeConfig(
            """
            endpoints:
              support:
                flow: flows/main.yaml
              other:
                flow: flows/main.yaml
                urlToken: support
            """)
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(
            diagnostics, file: path, line: 6, path: "endpoints.other.urlToken",
            message: "urlToken 'support' is already used by endpoint 'support'")
        #expect(diagnostics.count == 1)
    }

    @Test func unreadableFlowFileIsReportedAtTheFlowKey() throws {
        let path = try writeConfig("endpoints:\n  demo:\n    flow: flows/missing.yaml\n")
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(
            diagnostics, file: path, line: 3, path: "endpoints.demo.flow",
            message: "cannot read the flow file '\(files.path("flows/missing.yaml"))'")
        #expect(diagnostics.count == 1)
    }

    @Test func flowErrorsAreReportedInTheFlowFile() throws {
        let path = try writeConfig("endpoints:\n  demo:\n    flow: flows/broken.yaml\n")
        let flow = try files.write("flows/broken.yaml", "nodes:\n  - say: hi\n  - goto: nowhere\n")
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        expectDiagnostic(diagnostics, file: flow, line: 3, path: "nodes", message: "node 'node-2' jumps to unknown node 'nowhere'")
        #expect(diagnostics.count == 1)
    }

    @Test func flowsIgnoreTheEnvironment() throws {
        // Overrides are for config keys; a flow's text is never replaced by a variable named after its keys.
        let path = try writeConfig("endpoints:\n  demo:\n    flow: flows/main.yaml\n")
        let (configuration, _) = try loader(["BATON_NODES_0_SAY": "Hacked", "BATON_NAME": "Other"]).load(path: path)
        let node = try #require(configuration.endpoints.first?.flow.nodes.first)
        guard case .say(let say) = node.kind else {
            Issue.record("expected a say node")
            return
        }
        #expect(say.message.text?.source == "Hello")
        #expect(configuration.endpoints.first?.flow.name == "main.yaml")
    }

    @Test func handoverWithSettingsHasNoWarning() throws {
        try files.write("flows/main.yaml", "nodes:\n  - say: Hello\n  - id: agent\n    handover: { provider: chatwoot }\n")
        let path = try files.write("baton.yaml", Self.chatwootConfig + "\n        apiAccessToken: t\n        webhookSecret: whsec\n")
        let (_, warnings) = try loader().load(path: path)
        #expect(warnings.isEmpty)
    }

    @Test func severalProblemsAreAllReportedAtOnce() throws {
        try files.write("flows/bad.yaml", "nodes:\n  - say: \"{{ oops }}\"\n  - goto: missing\n")
        let path = try writeConfig(
            """
            server:
              port: -1
              color: blue
            log:
              level: loud
            endpoints:
              a:
                flow: flows/bad.yaml
                urlToken: same
              b:
                flow: flows/main.yaml
                urlToken: same
                handover:
                  provider: chatwoot
                  chatwoot:
                    baseURL: https://chat.example.com
                    accountId: seven
                    apiAccessToken: x
                    apiAccessTokenFile: x.txt
            """)
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        let flow = files.path("flows/bad.yaml")
        expectDiagnostic(diagnostics, file: path, line: 2, path: "server.port", message: "must be between 0 and 65535, found -1")
        expectDiagnostic(diagnostics, file: path, line: 3, path: "server.color", message: "unknown key 'color'")
        expectDiagnostic(diagnostics, file: path, line: 5, path: "log.level", message: "unknown log level 'loud'")
        expectDiagnostic(diagnostics, file: flow, line: 2, path: "nodes[0].say", message: "unknown name 'oops'")
        expectDiagnostic(diagnostics, file: flow, line: 3, path: "nodes", message: "jumps to unknown node 'missing'")
        expectDiagnostic(diagnostics, file: path, line: 17, path: "endpoints.b.handover.chatwoot.accountId", message: "expected a whole number, found 'seven'")
        expectDiagnostic(diagnostics, file: path, line: 19, path: "endpoints.b.handover.chatwoot.apiAccessTokenFile", message: "not both")
        expectDiagnostic(diagnostics, file: path, line: 12, path: "endpoints.b.urlToken", message: "urlToken 'same' is already used by endpoint 'a'")
        #expect(diagnostics.count == 8)
        #expect(diagnostics.allSatisfy { $0.severity == .error })
        // The error's description lists every diagnostic as `file:line:column: error: path: message`.
        let error = ConfigurationError(diagnostics: diagnostics)
        #expect(error.description.split(separator: "\n").count == 8)
        #expect(error.description.contains("\(path):2:9: error: server.port: must be between 0 and 65535, found -1"))
    }

    @Test func anEndpointWithoutAnyWebhookSecretIsWarnedAbout() throws {
        try files.write("flows/main.yaml", "nodes:\n  - say: Hello\n  - id: agent\n    handover: { provider: chatwoot }\n")
        let path = try files.write("baton.yaml", Self.chatwootConfig + "\n        apiAccessToken: t\n")
        let (_, warnings) = try loader().load(path: path)
        #expect(warnings.count == 1)
        #expect(warnings.first?.path == "endpoints.demo.handover.chatwoot")
        #expect(warnings.first?.message.contains("refuses this endpoint's webhooks") == true)
    }
}

// MARK: - The Chatwoot channel

extension ConfigLoaderTests {
    static func channelConfig(_ channel: String, handover: Bool = true, second: String = "") -> String {
        var text = """
            endpoints:
              shop:
                flow: flows/main.yaml
                channels:
                  chatwoot: \(channel)

            """
        if handover {
            text += """
                    handover:
                      provider: chatwoot
                      chatwoot: { baseURL: https://chat.example.com, accountId: 7, apiAccessToken: t0k3n, webhookSecret: s3cr3t }

                """
        }
        return text + second
    }

    @Test func aChatwootChannelNamesItsInboxesAndUsesTheHandoverAccount() throws {
        let path = try writeConfig(Self.channelConfig("{ inboxes: [21, 22], webhookPathSecret: abcdefghijklmnopqrstuvwxyz012345 }"))
        let (configuration, warnings) = try loader().load(path: path)
        #expect(warnings.contains { $0.message.hasPrefix("server.publicURL is not set") })
        #expect(try loader(["BATON_SERVER_PUBLIC_URL": "https://baton.example.com"]).load(path: path).warnings.allSatisfy { !$0.message.contains("publicURL") })
        let channel = try #require(configuration.endpoints.first?.chatwoot)
        #expect(channel.inboxes == [21, 22])
        #expect(channel.webhookPathSecret?.value == "abcdefghijklmnopqrstuvwxyz012345")
    }

    @Test(arguments: [
        ("{ inboxes: [] }", true, "list the ids of the Chatwoot inboxes"),
        ("{ inboxes: [21, 21] }", true, "an inbox is listed twice"),
        ("{ inboxes: [0] }", true, "must be between 1 and"),
        ("{ inboxes: [21], webhookPathSecret: short }", true, "at least 24 URL-safe characters"),
        ("{ inboxes: [21] }", false, "add handover.provider chatwoot"),
        ("{ inbox: [21] }", true, "inbox"),
    ])
    func aWrongChatwootChannelIsExplained(channel: String, handover: Bool, message: String) throws {
        let path = try writeConfig(Self.channelConfig(channel, handover: handover))
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        #expect(diagnostics.contains { $0.message.contains(message) }, "\(diagnostics.map(\.message))")
    }

    @Test func anInboxIsAnsweredByOneEndpoint() throws {
        let second = """
              other:
                flow: flows/main.yaml
                channels:
                  chatwoot: { inboxes: [21] }
                handover:
                  provider: chatwoot
                  chatwoot: { baseURL: https://chat.example.com, accountId: 7, apiAccessToken: t0k3n, webhookSecret: s3cr3t }

            """
        let path = try writeConfig(Self.channelConfig("{ inboxes: [21] }", second: second))
        let diagnostics = failureDiagnostics { try loader().load(path: path) }
        #expect(diagnostics.contains { $0.message == "Chatwoot inbox 21 is already answered by endpoint 'shop'" }, "\(diagnostics.map(\.message))")
    }
}
