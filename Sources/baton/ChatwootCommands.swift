import ArgumentParser
import BatonConfig
import BatonCore
import BatonServer
import Foundation
import Logging

/// `baton chatwoot …`: what an administrator does once per Chatwoot account.
struct ChatwootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatwoot", abstract: "Set the Chatwoot account up for Baton.", subcommands: [ChatwootSetupCommand.self])
}

struct ChatwootSetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Create or adopt the API-channel inbox, point its webhooks at Baton, write its secret, and set the agent bot up.",
        discussion: """
            For each endpoint that hands over to Chatwoot (or the one named): finds the inbox handover.chatwoot.inbox names \
            (an id, or a name it creates), sets its webhook URL to server.publicURL, writes the inbox's webhook secret to \
            webhookSecretFile, creates or renames the agent bot (for a Chatwoot channel also points it at Baton and connects it \
            to the channel's inboxes), and adds the --agent addresses to the inbox. Running it again changes nothing.
            """)

    @OptionGroup var options: ConfigOptions

    @Option(help: "Only this endpoint (its id in the config).")
    var endpoint: String?

    @Option(name: .customLong("agent"), help: "An agent's e-mail to add to the inbox (invited to the account when new); repeatable.")
    var agents: [String] = []

    @Flag(help: "Print what would change, and change nothing.")
    var dryRun = false

    func run() async throws {
        var loader = ConfigLoader()
        loader.webhookSecretFileMayBeMissing = true
        let (configuration, _) = try Check.load(options.path(), loader: loader)
        let logger = Logger.baton(LogSettings(level: "warning"))
        let targets = configuration.endpoints.filter { endpoint == nil || $0.id == endpoint }
        let chatwoot = targets.compactMap { endpoint -> (EndpointConfiguration, ChatwootSettings)? in
            guard case .chatwoot(let settings)? = endpoint.handover else { return nil }
            return (endpoint, settings)
        }
        guard !chatwoot.isEmpty else {
            throw ValidationError(endpoint.map { "endpoint '\($0)' does not hand over to Chatwoot" } ?? "no endpoint hands over to Chatwoot (handover.provider: chatwoot)")
        }
        let dependencies = try AppDependencies.live(configuration, logger: logger)
        let dryRun = self.dryRun
        let agents = self.agents
        let failed = try await dependencies.withStore { store in
            if !dryRun { try await store.migrate() }
            var failed = false
            for (endpoint, settings) in chatwoot {
                print("Endpoint \(endpoint.id): Chatwoot account \(settings.accountID) at \(settings.baseURL)\(dryRun ? " (dry run)" : "")")
                let client = ChatwootClient(baseURL: settings.baseURL, accountID: settings.accountID, token: settings.apiAccessToken.value, logger: logger)
                let setup = ChatwootSetup(
                    endpointID: endpoint.id, settings: settings, publicURL: configuration.server.publicURL, channel: endpoint.chatwoot, client: client,
                    store: store, agents: agents, dryRun: dryRun, logger: logger)
                let lines = await setup.run { print("  " + $0.description.replacingOccurrences(of: "\n", with: "\n  ")) }
                failed = failed || lines.failed
            }
            return failed
        }
        if failed { throw ExitCode.failure }
    }
}

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the config, the database, Chatwoot and Baton's public URL; print the fix for each problem and exit non-zero on any.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let path = try options.path()
        let (configuration, warnings) = try Check.load(path)
        let nodes = configuration.endpoints.map(\.flow.nodes.count).reduce(0, +)
        print(CheckLine(.ok, "config", "\(path): \(configuration.endpoints.count) endpoint(s), \(nodes) flow node(s), \(warnings.count) warning(s)"))
        warnings.forEach { print("         \($0)") }
        let logger = Logger.baton(LogSettings(level: "critical"))
        let dependencies = try AppDependencies.live(configuration, logger: logger)
        let lines = try await dependencies.withStore { store in
            await BatonDoctor(configuration: configuration, store: store, relay: dependencies.hubRelay, logger: logger).run { print($0) }
        }
        if lines.failed { throw ExitCode.failure }
    }
}
