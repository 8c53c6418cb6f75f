public import BatonConfig
public import BatonCore
import Foundation
public import Logging

/// `baton chatwoot setup` for one endpoint: makes the Chatwoot account ready for Baton's handovers, from the
/// endpoint's config. Finds or creates the API-channel inbox the config names, points its webhooks at Baton, writes
/// the inbox's webhook secret where the config reads it, creates or renames the agent bot (and, for a Chatwoot
/// channel, points it at Baton and connects it to the channel's inboxes), and adds the agents asked for to the inbox.
///
/// Each step reports what it did; a run over a ready account changes nothing. With `dryRun` nothing is written and
/// the steps say what they would do. The first failure stops the run with its fix.
public struct ChatwootSetup: Sendable {
    public let endpointID: String
    public let settings: ChatwootSettings
    /// `server.publicURL`: what Chatwoot reaches Baton at.
    public let publicURL: String?
    /// The endpoint's Chatwoot channel (the inboxes its agent bot answers), if it has one.
    public let channel: ChatwootChannelSettings?
    public let client: ChatwootClient
    /// Where the agent bot's id is remembered, as the server keeps it.
    public let store: any SessionStore
    /// E-mail addresses of agents to add to the inbox (and to the account, when they are not in it).
    public let agents: [String]
    public let dryRun: Bool
    let logger: Logger

    public init(
        endpointID: String, settings: ChatwootSettings, publicURL: String?, channel: ChatwootChannelSettings?, client: ChatwootClient,
        store: any SessionStore, agents: [String] = [], dryRun: Bool = false, logger: Logger
    ) {
        self.endpointID = endpointID
        self.settings = settings
        self.publicURL = publicURL
        self.channel = channel
        self.client = client
        self.store = store
        self.agents = agents
        self.dryRun = dryRun
        self.logger = logger
    }

    /// Runs the steps, handing each line to `report` as it is done; returns them all.
    @discardableResult
    public func run(report: (CheckLine) -> Void = { _ in }) async -> [CheckLine] {
        var lines: [CheckLine] = []
        func add(_ line: CheckLine) -> Bool {
            lines.append(line)
            report(line)
            return line.status != .failed
        }
        guard let publicURL else {
            _ = add(CheckLine(
                .failed, "public URL", "server.publicURL is not set, so there is no address to give Chatwoot for its webhooks",
                fix: "set server.publicURL to the URL Chatwoot reaches Baton at, e.g. https://baton.example.com"))
            return lines
        }
        let access = ChatwootAccess(settings: settings, client: client)
        guard add(await access.checkToken()) else { return lines }
        let webhookURL = ChatwootAccess.webhookURL(publicURL: publicURL, endpointID: endpointID, settings: settings)
        let inbox: ChatwootInboxSettings?
        switch await access.findInbox() {
        case .problem(let line):
            _ = add(line)
            return lines
        case .found(let found): inbox = found
        case .missing: inbox = nil
        }
        do {
            let ready = try await prepare(inbox, webhookURL: webhookURL, add: add)
            if let ready { guard add(try writeSecret(of: ready)) else { return lines } }
            guard add(try await agentBot(publicURL: publicURL)) else { return lines }
            for email in agents {
                // A dry run that would create the inbox has no inbox to add them to yet.
                let line = if let ready { try await addAgent(email, inboxID: ready.id) } else { CheckLine(.planned, "agent", "would add \(email) to the new inbox") }
                guard add(line) else { return lines }
            }
            let changes = lines.filter { $0.status == .changed || $0.status == .planned }.count
            let summary =
                dryRun
                ? (changes == 0 ? "nothing to change" : "\(changes) change(s) planned; run without --dry-run to make them")
                : (changes == 0 ? "nothing to change: Chatwoot was ready" : "done")
            let inboxNote = ready.map { "handover nodes without an inboxId use inbox \($0.id) ('\($0.name)')" } ?? "the new inbox's id is known once it is made"
            _ = add(CheckLine(.ok, "endpoint \(endpointID)", "\(summary); \(inboxNote)"))
        } catch {
            _ = add(ChatwootAccess.unreachable(error, settings: settings))
        }
        return lines
    }

    /// Creates the inbox when the config names one that does not exist, and points its webhooks at Baton.
    /// Returns the inbox as it now is; `nil` on a dry run that would create it.
    private func prepare(_ inbox: ChatwootInboxSettings?, webhookURL: String, add: (CheckLine) -> Bool) async throws -> ChatwootInboxSettings? {
        guard let inbox else {
            guard case .name(let name) = settings.inbox else { return nil }
            if dryRun {
                _ = add(CheckLine(.planned, "inbox", "would create the API-channel inbox '\(name)' with webhooks to \(webhookURL)"))
                _ = add(CheckLine(.planned, "webhook secret", "would write the new inbox's secret to \(settings.webhookSecretFile ?? "webhookSecretFile")"))
                return nil
            }
            let created = try await client.createAPIInbox(name: name, webhookURL: webhookURL)
            _ = add(CheckLine(.changed, "inbox", "created the API-channel inbox '\(name)' (id \(created.id)) with webhooks to \(webhookURL)"))
            // The create answer may leave out what only the show view has.
            return try await client.inboxSettings(id: created.id)
        }
        _ = add(CheckLine(.ok, "inbox", "'\(inbox.name)' (id \(inbox.id)) is an API-channel inbox"))
        guard inbox.webhookURL != webhookURL else {
            _ = add(CheckLine(.ok, "webhook URL", webhookURL))
            return inbox
        }
        let was = inbox.webhookURL.flatMap { $0.isEmpty ? nil : $0 } ?? "none"
        if dryRun {
            _ = add(CheckLine(.planned, "webhook URL", "would change it from \(was) to \(webhookURL)"))
            return inbox
        }
        let updated = try await client.setWebhookURL(webhookURL, inboxID: inbox.id)
        _ = add(CheckLine(.changed, "webhook URL", "changed from \(was) to \(webhookURL)"))
        return updated.secret == nil ? try await client.inboxSettings(id: inbox.id) : updated
    }

    /// Writes the inbox's webhook secret to `webhookSecretFile`, or checks the one the config holds.
    private func writeSecret(of inbox: ChatwootInboxSettings) throws -> CheckLine {
        guard let secret = inbox.secret, !secret.isEmpty else {
            if settings.webhookPathSecret != nil {
                return CheckLine(.ok, "webhook secret", "this Chatwoot does not sign webhooks (before 4.13); the webhook URL's secret path stands in")
            }
            return CheckLine(
                .failed, "webhook secret", "Chatwoot shows no webhook secret for inbox \(inbox.id) (Chatwoot before 4.13 does not sign webhooks)",
                fix: "upgrade Chatwoot to 4.13 or later, or set handover.chatwoot.webhookPathSecretFile (24+ URL-safe characters) and run setup again")
        }
        guard let path = settings.webhookSecretFile else {
            if settings.webhookSecret?.value == secret { return CheckLine(.ok, "webhook secret", "the config holds the inbox's secret") }
            return CheckLine(
                .failed, "webhook secret", "the config has no webhookSecretFile to write the inbox's secret to\(settings.webhookSecret == nil ? "" : ", and its webhookSecret is not the inbox's")",
                fix: "set handover.chatwoot.webhookSecretFile (e.g. secrets/chatwoot-webhook-secret) and run setup again")
        }
        let current = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        if current == secret { return CheckLine(.ok, "webhook secret", "\(path) holds the inbox's secret") }
        if dryRun { return CheckLine(.planned, "webhook secret", "would write the inbox's secret to \(path)") }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        // Readable by its owner only, from the moment it exists.
        guard FileManager.default.createFile(atPath: path, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            return CheckLine(.failed, "webhook secret", "cannot write \(path)", fix: "make \(folder.isEmpty ? "the folder" : folder) writable for this user")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        return CheckLine(.changed, "webhook secret", "wrote the inbox's secret to \(path)\(current == nil ? "" : " (it held another)")")
    }

    /// The agent bot, as the server keeps it: found by the id the store remembers, renamed when the config's name
    /// changed, else found by name or created.
    private func agentBot(publicURL: String) async throws -> CheckLine {
        // A dry run does not migrate a new database, so there may be nothing to read yet.
        let remembered = (try? await store.setting(keeper(publicURL: publicURL).settingKey))?.flatMap(Int.init)
        let before = try await client.agentBots().first { $0.id == remembered || ($0.name == settings.agentBotName && $0.accessToken != nil) }
        let link = keeper(publicURL: publicURL).channel
        let outgoingURL = link.map { publicURL + $0.path }
        if dryRun {
            guard let before else { return CheckLine(.planned, "agent bot", "would create '\(settings.agentBotName)'\(outgoingURL.map { " posting to \($0)" } ?? "")") }
            let renamed = before.name != settings.agentBotName || before.description != settings.agentBotDescription
            let repointed = outgoingURL != nil && before.outgoingURL != outgoingURL
            guard renamed || repointed else { return CheckLine(.ok, "agent bot", "'\(before.name)' (id \(before.id))") }
            return CheckLine(.planned, "agent bot", "would update '\(before.name)' (id \(before.id))\(renamed ? " to '\(settings.agentBotName)'" : "")\(repointed ? " to post to \(outgoingURL!)" : "")")
        }
        let bot = try await keeper(publicURL: publicURL).agentBot()
        let connected = link.map { " and answers inboxes \($0.inboxes.map(String.init).joined(separator: ", "))" } ?? ""
        guard let before else { return CheckLine(.changed, "agent bot", "created '\(bot.name)' (id \(bot.id))\(connected)") }
        if before.name != bot.name || before.description != bot.description || before.outgoingURL != bot.outgoingURL {
            return CheckLine(.changed, "agent bot", "updated '\(bot.name)' (id \(bot.id))\(connected)")
        }
        return CheckLine(.ok, "agent bot", "'\(bot.name)' (id \(bot.id))\(connected)")
    }

    private func keeper(publicURL: String) -> AgentBotKeeper {
        let link = channel.map { AgentBotKeeper.ChannelLink(address: PublicAddress(publicURL), endpointID: endpointID, channel: $0) }
        return AgentBotKeeper(endpointID: endpointID, settings: settings, client: client, store: store, channel: link, logger: logger)
    }

    /// The agent with `email` in the account and in the inbox.
    private func addAgent(_ email: String, inboxID: Int) async throws -> CheckLine {
        let known = try await client.accountAgents().first { $0.email?.lowercased() == email.lowercased() }
        let members = try await client.inboxMembers(inboxID: inboxID).map(\.id)
        if let known, members.contains(known.id) { return CheckLine(.ok, "agent", "\(email) answers inbox \(inboxID)") }
        if dryRun {
            return CheckLine(.planned, "agent", known == nil ? "would invite \(email) to the account and add them to inbox \(inboxID)" : "would add \(email) to inbox \(inboxID)")
        }
        let agent: ChatwootAccountAgent
        if let known { agent = known } else { agent = try await client.addAgent(email: email) }
        try await client.addInboxMembers([agent.id], inboxID: inboxID)
        return CheckLine(.changed, "agent", known == nil ? "invited \(email) to the account (Chatwoot e-mails them) and added them to inbox \(inboxID)" : "added \(email) to inbox \(inboxID)")
    }
}
