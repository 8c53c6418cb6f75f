import BatonConfig
import ChatwootStandIn
import Foundation

/// The demo's assistant (`bots.assistant` in the demo config): answered by the model stand-in unless
/// `BATON_BOTS_ASSISTANT_OPENAI_BASE_URL` points it at a real server (Ollama, say).
enum DemoModel {
    static let botName = "assistant"
    static let baseURLVariable = "BATON_BOTS_ASSISTANT_OPENAI_BASE_URL"
}

/// The demo's Chatwoot: the stand-in, running in this process, so anyone can try a handover without an account.
/// Its data lives in memory: a restart of the demo starts Chatwoot afresh (Baton's own data is kept).
struct DemoStandIn {
    let standIn: ChatwootStandIn
    let settings: ChatwootSettings
    /// A WhatsApp inbox whose conversations the demo flow answers as Chatwoot's agent bot (the Chatwoot channel).
    let whatsappInbox: Int

    /// Starts the stand-in on `host` and `port` with the demo flow's two API inboxes: 1 (everyone) and 2 (VIPs),
    /// both sending their webhooks to `batonURL`, and a WhatsApp inbox (3) for the Chatwoot channel. The host is
    /// Baton's own, so that where the webchat is reachable (in a container: every address) the console is too.
    static func start(host: String, port: Int, batonURL: String) async throws -> DemoStandIn {
        let standIn = try ChatwootStandIn(configuration: .init(host: host, port: port))
        try await standIn.start()
        let secret = DemoWebhookSecret.random()
        let webhookURL = "\(batonURL)/handover/chatwoot"
        let seed = await standIn.seedDefaults(webhookURL: webhookURL, secret: secret)
        await standIn.createInbox(account: seed.account.id, name: "VIP support", webhookURL: webhookURL, secret: secret)
        let whatsapp = await standIn.createInbox(account: seed.account.id, name: "Acme WhatsApp", channel: .whatsapp)
        try await standIn.setAvatar(user: seed.agent.id, filename: "agent.png", contentType: "image/png", data: DemoAgentPicture.png)
        var settings = ChatwootSettings(
            baseURL: standIn.baseURL.absoluteString, accountID: seed.account.id, apiAccessToken: Secret(seed.administrator.accessToken),
            agentBotName: "Baton demo bot", agentBotDescription: "The demo flow that talked to the user first", webhookSecret: Secret(secret))
        // The demo shows what Baton can do: the agent's name with replies, and in the console the user's typing and
        // which replies they saw.
        settings.showAgentNames = true
        settings.forwardUserTyping = true
        settings.reportSeenMessages = true
        return DemoStandIn(standIn: standIn, settings: settings, whatsappInbox: whatsapp.id)
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
