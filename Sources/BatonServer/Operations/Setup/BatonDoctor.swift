public import AsyncHTTPClient
public import BatonConfig
public import BatonCore
public import Foundation
public import Logging
public import NIOCore
import NIOHTTP1

/// `baton doctor`: checks what a working handover needs, one line each with the fix when it fails: the database,
/// with PostgreSQL the hub relay between instances, with `storage.sqlite.backups` the copies, and per endpoint handing over to Chatwoot the token, the
/// account, the inboxes (the config's and every fixed `inboxId` of its flow), the inbox's webhook URL and secret,
/// the agent bot, and Baton's public URL: reached from here, and answering a webhook signed with the inbox's secret
/// as Chatwoot's would be.
public struct BatonDoctor: Sendable {
    public let configuration: BatonConfiguration
    public let store: any SessionStore
    /// The relay between instances sharing the store (PostgreSQL's), if any.
    let relay: (any HubRelay)?
    let http: HTTPClient
    /// How long a call to Baton's public URL may take (a closed port is retried until then).
    let probeTimeout: TimeAmount
    let now: @Sendable () -> Date
    let logger: Logger

    public init(
        configuration: BatonConfiguration, store: any SessionStore, relay: (any HubRelay)? = nil, http: HTTPClient = .shared,
        probeTimeout: TimeAmount = .seconds(10), now: @escaping @Sendable () -> Date = Date.init, logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.relay = relay
        self.http = http
        self.probeTimeout = probeTimeout
        self.now = now
        self.logger = logger
    }

    /// Runs every check, handing each line to `report` as it is done.
    @discardableResult
    public func run(report: (CheckLine) -> Void = { _ in }) async -> [CheckLine] {
        var lines: [CheckLine] = []
        func add(_ line: CheckLine) {
            lines.append(line)
            report(line)
        }
        add(await database())
        if let relay { add(await hub(relay)) }
        if configuration.storage.postgres == nil, let settings = configuration.storage.sqliteBackups { add(backups(settings)) }
        for endpoint in configuration.endpoints {
            guard case .chatwoot(let settings)? = endpoint.handover else { continue }
            for line in await chatwoot(endpoint, settings) { add(line) }
        }
        if let publicURL = configuration.server.publicURL { add(await reaches(publicURL)) }
        return lines
    }

    // MARK: Database and hub relay

    /// How long a notification sent through the pool may take to reach the listener.
    static let hubTimeout = Duration.seconds(5)

    /// What one instance announces must reach the others: sends a payload through the pool and waits for it on the
    /// listener's own connection. Behind PgBouncer in transaction mode it arrives only when `listenURL` names
    /// PostgreSQL itself (a LISTEN through the pooler hears nothing).
    func hub(_ relay: any HubRelay) async -> CheckLine {
        let token = "baton-doctor-\(UUID().uuidString)"
        let (heard, hear) = AsyncStream.makeStream(of: Void.self)
        let outcome = await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    try await relay.listen(as: "doctor", onSubscribed: { try? await relay.send(token) }, receive: { if $0 == token { hear.yield() } })
                    return nil
                } catch {
                    return Task.isCancelled ? nil : "cannot listen: \(Self.short(error))"
                }
            }
            group.addTask {
                for await _ in heard { return "" }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: Self.hubTimeout)
                return Task.isCancelled ? nil : "a notification sent through the pool did not reach the listener within \(Self.hubTimeout)"
            }
            var first: String?
            for await result in group where result != nil {
                first = result
                break
            }
            group.cancelAll()
            hear.finish()
            return first ?? "the listener stopped"
        }
        guard !outcome.isEmpty else { return CheckLine(.ok, "hub relay", "instances hear each other (LISTEN/NOTIFY)") }
        return CheckLine(
            .failed, "hub relay", outcome,
            fix: "behind PgBouncer in transaction mode set storage.postgres.listenURL to PostgreSQL itself; else check that the database allows LISTEN")
    }

    func database() async -> CheckLine {
        let location = configuration.storage.location
        do {
            // A read of the outbox fails on a database that was never migrated.
            _ = try await store.outboxCounts()
        } catch {
            return CheckLine(
                .failed, "database", "\(location) cannot be read: \(Self.short(error))",
                fix: "check storage in the config and that the database runs; run `baton migrate` if it was never migrated")
        }
        do {
            try await store.setSetting("doctor.checkedAt", to: ISO8601DateFormatter().string(from: now()))
        } catch {
            return CheckLine(.failed, "database", "\(location) cannot be written: \(Self.short(error))", fix: "give Baton's user write access to it")
        }
        return CheckLine(.ok, "database", "\(location) is reachable, migrated and writable")
    }

    // MARK: Chatwoot

    func chatwoot(_ endpoint: EndpointConfiguration, _ settings: ChatwootSettings) async -> [CheckLine] {
        // Called as the outbox calls it (`ChatwootHTTPClient`: redirects refused), so an address that redirects fails here too.
        let client = ChatwootClient(baseURL: settings.baseURL, accountID: settings.accountID, token: settings.apiAccessToken.value, logger: logger)
        let access = ChatwootAccess(settings: settings, client: client)
        var lines = [await access.checkToken()].map { Self.about(endpoint, $0) }
        guard !lines.failed else { return lines }
        func add(_ line: CheckLine) { lines.append(Self.about(endpoint, line)) }

        switch await access.findInbox() {
        case .problem(let line):
            add(line)
        case .missing:
            add(CheckLine(.failed, "inbox", "no inbox is named '\(settings.inbox.map { "\($0)" } ?? "")'", fix: "run `baton chatwoot setup`: it creates it"))
        case .found(let inbox):
            add(CheckLine(.ok, "inbox", "'\(inbox.name)' (id \(inbox.id)) is an API-channel inbox"))
            add(webhookURL(of: inbox, endpoint: endpoint, settings: settings))
            add(secret(of: inbox, settings: settings))
        }
        for id in Self.fixedInboxIDs(in: endpoint.flow) where settings.inbox != .id(id) {
            add(await flowInbox(id, client: client))
        }
        add(await agentBot(endpoint, settings: settings, client: client))
        if let publicURL = configuration.server.publicURL, let secret = settings.webhookSecret {
            add(await signedWebhook(ChatwootAccess.webhookURL(publicURL: publicURL, endpointID: endpoint.id, settings: settings), settings: settings, secret: secret))
        }
        return lines
    }

    func webhookURL(of inbox: ChatwootInboxSettings, endpoint: EndpointConfiguration, settings: ChatwootSettings) -> CheckLine {
        guard let publicURL = configuration.server.publicURL else {
            return CheckLine(
                .failed, "webhook URL", "server.publicURL is not set, so Chatwoot's webhooks cannot be checked (the inbox posts to \(inbox.webhookURL ?? "nowhere"))",
                fix: "set server.publicURL to the URL Chatwoot reaches Baton at")
        }
        let wanted = ChatwootAccess.webhookURL(publicURL: publicURL, endpointID: endpoint.id, settings: settings)
        guard inbox.webhookURL == wanted else {
            return CheckLine(
                .failed, "webhook URL", "inbox \(inbox.id) posts its webhooks to \(inbox.webhookURL.flatMap { $0.isEmpty ? nil : $0 } ?? "nowhere"), not to \(wanted)",
                fix: "run `baton chatwoot setup`, or set the inbox's webhook URL in Chatwoot (Settings → Inboxes → Configuration)")
        }
        return CheckLine(.ok, "webhook URL", wanted)
    }

    /// Compares the inbox's secret with Baton's: an administrator can read it.
    func secret(of inbox: ChatwootInboxSettings, settings: ChatwootSettings) -> CheckLine {
        guard let theirs = inbox.secret, !theirs.isEmpty else {
            if settings.webhookPathSecret != nil { return CheckLine(.ok, "webhook secret", "Chatwoot does not sign (before 4.13); the secret path stands in") }
            return CheckLine(
                .failed, "webhook secret", "Chatwoot shows no secret for inbox \(inbox.id) (before 4.13 it does not sign)",
                fix: "upgrade Chatwoot to 4.13 or later, or set webhookPathSecretFile")
        }
        guard let ours = settings.webhookSecret else {
            return CheckLine(.failed, "webhook secret", "the config has no webhookSecret", fix: "run `baton chatwoot setup`: it writes the inbox's secret to webhookSecretFile")
        }
        guard ours.value == theirs else {
            return CheckLine(
                .failed, "webhook secret", "the config's webhookSecret is not inbox \(inbox.id)'s, so Baton refuses its webhooks",
                fix: "run `baton chatwoot setup` (it writes the inbox's secret to webhookSecretFile), then restart Baton")
        }
        return CheckLine(.ok, "webhook secret", "the config holds inbox \(inbox.id)'s secret")
    }

    func flowInbox(_ id: Int, client: ChatwootClient) async -> CheckLine {
        do {
            let inbox = try await client.inboxSettings(id: id)
            guard inbox.isAPIChannel else {
                return CheckLine(
                    .failed, "flow inbox", "a handover node's inboxId \(id) is '\(inbox.name)', a \(inbox.channelType ?? "non-API") inbox",
                    fix: "hand over to an API-channel inbox: change the node's inboxId")
            }
            return CheckLine(.ok, "flow inbox", "inboxId \(id) ('\(inbox.name)') is an API-channel inbox")
        } catch let error as ChatwootError where error.kind == .notFound {
            return CheckLine(.failed, "flow inbox", "a handover node's inboxId \(id) is no inbox of the account", fix: "change the node's inboxId to an existing API-channel inbox")
        } catch {
            return ChatwootAccess.unreachable(error, settings: ChatwootSettings(baseURL: client.baseURL, accountID: client.accountID, apiAccessToken: Secret("")))
        }
    }

    func agentBot(_ endpoint: EndpointConfiguration, settings: ChatwootSettings, client: ChatwootClient) async -> CheckLine {
        do {
            // A database that cannot be read has its own line.
            let remembered = (try? await store.setting("chatwoot.agentBot.\(endpoint.id)"))?.flatMap(Int.init)
            let bots = try await client.agentBots()
            if let bot = bots.first(where: { $0.id == remembered }) ?? bots.first(where: { $0.name == settings.agentBotName && $0.accessToken != nil }) {
                return CheckLine(.ok, "agent bot", "'\(bot.name)' (id \(bot.id))")
            }
            return CheckLine(.failed, "agent bot", "there is no agent bot '\(settings.agentBotName)'", fix: "run `baton chatwoot setup` (Baton also creates it when it starts)")
        } catch {
            return ChatwootAccess.unreachable(error, settings: settings)
        }
    }

    /// Posts a webhook signed with Baton's secret, as Chatwoot signs them, to the URL Chatwoot posts to: the Baton
    /// that answers there must take it (its event is one Baton ignores).
    func signedWebhook(_ url: String, settings: ChatwootSettings, secret: Secret) async -> CheckLine {
        let body = #"{"event":"baton_doctor","account":{"id":\#(settings.accountID)}}"#
        let timestamp = Int(now().timeIntervalSince1970)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: WebhookSignature.timestampHeader, value: String(timestamp))
        request.headers.add(name: WebhookSignature.signatureHeader, value: WebhookSignature(secret: secret.value).sign(body: Data(body.utf8), timestamp: timestamp))
        request.headers.add(name: WebhookSignature.deliveryHeader, value: "baton-doctor-\(UUID().uuidString)")
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await http.execute(request, timeout: probeTimeout)
            let status = Int(response.status.code)
            switch status {
            case 200..<300:
                return CheckLine(.ok, "signed webhook", "Baton at \(url) accepts a webhook signed with the inbox's secret")
            case 401:
                return CheckLine(
                    .failed, "signed webhook", "Baton at \(url) refuses a webhook signed with the config's secret (401)",
                    fix: "restart Baton so it reads the current webhook secret")
            default:
                return CheckLine(.failed, "signed webhook", "Baton at \(url) answered \(status) to a signed webhook", fix: "check that server.publicURL leads to this Baton")
            }
        } catch {
            return CheckLine(
                .failed, "signed webhook", "nothing answers at \(url): \(Self.short(error))", fix: "start Baton, and check that server.publicURL reaches it (proxy, DNS, TLS)")
        }
    }

    // MARK: Public URL

    func reaches(_ publicURL: String) async -> CheckLine {
        let url = (publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL) + "/healthz"
        do {
            let response = try await http.execute(HTTPClientRequest(url: url), timeout: probeTimeout)
            guard response.status == .ok else {
                return CheckLine(.failed, "public URL", "\(url) answered \(response.status.code)", fix: "check that server.publicURL leads to Baton (not another site)")
            }
            return CheckLine(.ok, "public URL", "\(url) answers")
        } catch {
            return CheckLine(.failed, "public URL", "nothing answers at \(url): \(Self.short(error))", fix: "start Baton, and check that server.publicURL reaches it (proxy, DNS, TLS)")
        }
    }

    // MARK: Helpers

    /// The fixed `inboxId`s of a flow's handover nodes (expressions are only known at run time).
    static func fixedInboxIDs(in flow: Flow) -> [Int] {
        var ids: [Int] = []
        for node in flow.nodes {
            guard case .handover(let handover) = node.kind, let inbox = handover.inbox, inbox.isLiteral, let id = Int(inbox.source) else { continue }
            if !ids.contains(id) { ids.append(id) }
        }
        return ids
    }

    static func about(_ endpoint: EndpointConfiguration, _ line: CheckLine) -> CheckLine {
        var line = line
        line.subject = "\(endpoint.id): \(line.subject)"
        return line
    }

    static func short(_ error: any Error) -> String {
        String(String(reflecting: error).prefix(200))
    }
}
