import BatonConfig
import ChatwootStandIn
import Foundation

/// The demo's Chatwoot: the stand-in, running in this process, so anyone can try a handover without an account.
/// Its data lives in memory: a restart of the demo starts Chatwoot afresh (Baton's own data is kept).
struct DemoStandIn {
    let standIn: ChatwootStandIn
    let settings: ChatwootSettings

    /// Starts the stand-in on `port` (or a free one) with the demo flow's two inboxes: 1 (everyone) and 2 (VIPs),
    /// both sending their webhooks to `batonURL`.
    static func start(port: Int, batonURL: String) async throws -> DemoStandIn {
        let standIn = try ChatwootStandIn(configuration: .init(host: "127.0.0.1", port: port))
        try await standIn.start()
        let secret = DemoWebhookSecret.random()
        let webhookURL = "\(batonURL)/handover/chatwoot"
        let seed = await standIn.seedDefaults(webhookURL: webhookURL, secret: secret)
        await standIn.createInbox(account: seed.account.id, name: "VIP support", webhookURL: webhookURL, secret: secret)
        var settings = ChatwootSettings(
            baseURL: standIn.baseURL.absoluteString, accountID: seed.account.id, apiAccessToken: Secret(seed.administrator.accessToken),
            agentBotName: "Baton demo bot", agentBotDescription: "The demo flow that talked to the user first", webhookSecret: Secret(secret))
        // The demo shows what Baton can do: the agent's name with replies, and the user's typing in the console.
        settings.showAgentNames = true
        settings.forwardUserTyping = true
        return DemoStandIn(standIn: standIn, settings: settings)
    }

    var consoleURL: String { standIn.consoleURL.absoluteString }

    func shutdown() async { await standIn.shutdown() }
}

/// The demo inboxes' random webhook-signing secret (a new one each run, like a new Chatwoot inbox).
enum DemoWebhookSecret {
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(generator.next() as UInt64, radix: 36) }.joined()
    }
}
