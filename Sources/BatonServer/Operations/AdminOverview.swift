import BatonConfig
import BatonCore
import Foundation
import Logging
import NIOCore
import Synchronization

/// `GET /admin/overview`: what the admin page shows, in one answer: each endpoint's health (its desk reached with
/// its token, its handovers in progress), the handovers in progress, the outbox's totals, and the SQLite database's
/// copies. (The outbox's jobs
/// are listed by `GET /admin/outbox`.)
struct AdminOverview: Encodable {
    struct EndpointHealth: Encodable {
        var id: String
        var name: String
        var channels: [String]
        /// `chatwoot`, or `nil` when the endpoint hands over nowhere.
        var desk: String?
        /// `ok`, `failed`, or `none` (no desk).
        var status: String
        var detail: String
        var fix: String?
        var liveHandovers: Int
    }

    struct LiveHandover: Encodable {
        var session: String
        var endpoint: String
        var channel: String
        /// `opening` (Baton is asking the desk) or `active`.
        var phase: String
        var agent: String?
        var inbox: Int?
        var conversation: Int?
        /// The conversation in Chatwoot's dashboard.
        var link: String?
        var openedAt: String?
    }

    struct Outbox: Encodable {
        var pending: Int
        var dead: Int
        var oldestPendingAt: String?
    }

    var endpoints: [EndpointHealth]
    var handovers: [LiveHandover]
    /// More handovers run than are listed.
    var handoversTruncated: Bool
    var outbox: Outbox
    /// The SQLite database's copies (`nil` with PostgreSQL).
    var backups: BackupsOverview?
    /// Whether `POST /admin/reload` can read the config's flows again (the server was started from a file).
    var reloadable: Bool
    /// With PostgreSQL, the instances listening on the database now, this one first (`nil` with SQLite, or when the
    /// database could not say).
    var instances: [InstanceDirectory.Listed]?

    /// At most this many handovers are listed.
    static let handoverLimit = 200

    /// Reads the store and asks each endpoint's desk whether it can be reached with its token (at most once per
    /// `DeskHealth.lifetime`, however many pages refresh).
    static func read(
        store: any SessionStore, endpoints: EndpointRegistry, deskHealth: DeskHealth, backups: BackupsOverview?, reloadable: Bool,
        instances: InstanceDirectory, logger: Logger
    ) async throws -> AdminOverview {
        let ids = try await store.sessionsWithActiveHandover()
        var sessions: [Session] = []
        for id in ids.prefix(handoverLimit) {
            if let session = try await store.session(id: id) { sessions.append(session) }
        }
        let handovers = sessions.compactMap { session in LiveHandover(session, endpoint: endpoints.endpoint(id: session.endpointID)?.configuration) }
        var health: [EndpointHealth] = []
        for endpoint in endpoints.endpoints {
            health.append(
                await Self.health(of: endpoint.configuration, live: handovers.filter { $0.endpoint == endpoint.configuration.id }.count, cache: deskHealth, logger: logger))
        }
        let counts = try await store.outboxCounts()
        return AdminOverview(
            endpoints: health, handovers: handovers, handoversTruncated: ids.count > handoverLimit,
            outbox: Outbox(pending: counts.pending, dead: counts.dead, oldestPendingAt: counts.oldestPendingAt.map(MessagePayload.timestamp)),
            backups: backups, reloadable: reloadable, instances: try? await instances.listing())
    }

    static func health(of endpoint: EndpointConfiguration, live: Int, cache: DeskHealth, logger: Logger) async -> EndpointHealth {
        var channels: [String] = []
        if endpoint.webchat.enabled { channels.append("webchat") }
        if endpoint.rest.enabled { channels.append("rest") }
        if let chatwoot = endpoint.chatwoot { channels.append("chatwoot inboxes \(chatwoot.inboxes.map(String.init).joined(separator: ", "))") }
        guard case .chatwoot(let settings)? = endpoint.handover else {
            return EndpointHealth(id: endpoint.id, name: endpoint.name, channels: channels, desk: nil, status: "none", detail: "hands over nowhere", liveHandovers: live)
        }
        let token = await cache.check(endpoint.id) {
            let client = ChatwootClient(baseURL: settings.baseURL, accountID: settings.accountID, token: settings.apiAccessToken.value, timeout: .seconds(5), logger: logger)
            return await ChatwootAccess(settings: settings, client: client).checkToken()
        }
        return EndpointHealth(
            id: endpoint.id, name: endpoint.name, channels: channels, desk: "chatwoot", status: token.status == .failed ? "failed" : "ok",
            detail: token.status == .failed ? token.detail : "Chatwoot at \(settings.baseURL): \(token.detail)",
            fix: token.fix, liveHandovers: live)
    }
}

extension AdminOverview.LiveHandover {
    init?(_ session: Session, endpoint: EndpointConfiguration?) {
        guard let handover = session.state.handover, handover.isLive else { return nil }
        self.session = session.id.rawValue
        self.endpoint = session.endpointID
        self.channel = session.channel.rawValue
        self.phase = handover.phase.rawValue
        self.agent = handover.agentJoined == true ? (handover.agentName ?? "an agent") : nil
        self.inbox = handover.inboxID
        self.conversation = handover.conversationID
        self.openedAt = handover.openedAt.map(MessagePayload.timestamp)
        if case .chatwoot(let settings)? = endpoint?.handover, let conversation = handover.conversationID {
            link = "\(settings.baseURL)/app/accounts/\(settings.accountID)/conversations/\(conversation)"
        }
    }
}

/// The last check of each endpoint's desk, kept for `lifetime`: the admin page refreshes every 10 s in every open tab,
/// and Chatwoot need not be asked that often.
final class DeskHealth: Sendable {
    let lifetime: TimeInterval
    let now: @Sendable () -> Date
    private let checked = Mutex<[String: (at: Date, line: CheckLine)]>([:])

    init(lifetime: TimeInterval = 30, now: @escaping @Sendable () -> Date) {
        self.lifetime = lifetime
        self.now = now
    }

    /// The endpoint's last check while fresh, else `check()`'s answer, kept.
    func check(_ endpointID: String, _ check: () async -> CheckLine) async -> CheckLine {
        let time = now()
        if let last = checked.withLock({ $0[endpointID] }), time.timeIntervalSince(last.at) < lifetime { return last.line }
        let line = await check()
        checked.withLock { $0[endpointID] = (time, line) }
        return line
    }
}
