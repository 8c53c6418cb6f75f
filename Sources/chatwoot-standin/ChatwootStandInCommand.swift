import ArgumentParser
import ChatwootStandIn
import Foundation
import Logging

/// `swift run chatwoot-standin`: a local Chatwoot to try a handover against, with an agent console.
@main
struct ChatwootStandInCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatwoot-standin",
        abstract: "A local stand-in for Chatwoot v4.15.1 (Application API, API-inbox webhooks, agent console).")

    @Option(help: "Port to listen on.")
    var port = 3000

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .customLong("webhook-url"), help: "Where the default API inbox sends its webhooks (e.g. Baton's /handover/chatwoot URL).")
    var webhookURL: String?

    @Option(help: "The default inbox's webhook signing secret (random when omitted).")
    var secret: String?

    @Option(name: .customLong("frontend-url"), help: "FRONTEND_URL: the base of attachment and CSAT survey links (default: the stand-in's own URL).")
    var frontendURL: String?

    @Flag(name: .customLong("lenient"), help: "Serve requests that violate swagger.json instead of answering 400 (they are still logged).")
    var lenient = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "notice"

    func run() async throws {
        var logger = Logger(label: "chatwoot-standin")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .notice
        let standIn = try ChatwootStandIn(
            configuration: .init(host: host, port: port, frontendURL: frontendURL, strictSpec: !lenient, logger: logger))
        try await standIn.start()
        let seed = await standIn.seedDefaults(webhookURL: webhookURL, secret: secret)
        let banner = """
            chatwoot-standin (Chatwoot v4.15.1 stand-in) listening on \(standIn.baseURL.absoluteString)
              console:        \(standIn.consoleURL.absoluteString)
              account id:     \(seed.account.id)
              inbox id:       \(seed.inbox.id) (API inbox "\(seed.inbox.name)")
              admin token:    \(seed.administrator.accessToken)   (api_access_token)
              agent token:    \(seed.agent.accessToken)   (\(seed.agent.name))
              webhook url:    \(seed.inbox.webhookURL ?? "(none — pass --webhook-url)")
              webhook secret: \(seed.inbox.secret)

            """
        FileHandle.standardOutput.write(Data(banner.utf8))
        // A development tool: Ctrl-C ends the process; nothing needs flushing (all state is in memory).
        signal(SIGINT) { _ in Foundation.exit(0) }
        signal(SIGTERM) { _ in Foundation.exit(0) }
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}

