import BatonConfig
import BatonCore
import Foundation
import Hummingbird
import Logging

/// The operators' side: `/metrics` (Prometheus text, no secrets in it) and, when `admin.token` is set,
/// `/admin/outbox` to list pending or dead-lettered desk work and put dead jobs back in the queue, `/admin/overview`
/// for the admin page (`/admin`), `GET` and `DELETE /admin/sessions/{id}` to read or erase a user's data, and
/// `POST /admin/backups` to copy the SQLite database now.
struct AdminController {
    let store: any SessionStore
    let metrics: BatonMetrics
    /// Rung when a dead job is put back, so the outbox worker takes it now.
    let outboxBell: Doorbell
    let token: Secret?
    let erasure: SessionErasure
    /// For the overview: each endpoint's settings and desk, and its desk's last check.
    let endpoints: EndpointRegistry
    let deskHealth: DeskHealth
    /// The SQLite database's copies; `nil` with PostgreSQL.
    let backups: AdminBackups?
    /// Reads the config's flows and notices again, on every instance; `nil` when the server was not started from a file.
    let reload: ReloadEverywhere?
    /// The instances on the store, for the overview.
    let instances: InstanceDirectory
    let now: @Sendable () -> Date
    let logger: Logger

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("metrics") { _, _ -> Response in
            if let counts = try? await store.outboxCounts() { metrics.outboxCounts(counts, now: now()) }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        router.get("admin/outbox", use: list)
        router.post("admin/outbox/{id}/retry", use: retry)
        router.get("admin/overview", use: overview)
        router.post("admin/backups") { request, _ in
            try authorize(request)
            guard let backups else { throw APIError(.notFound, "backups_not_here", "PostgreSQL is backed up with its own tools (pg_dump)") }
            return try await backups.backUpNow()
        }
        router.post("admin/reload") { request, _ in
            try authorize(request)
            guard let reload else { throw APIError(.notFound, "reload_not_here", "this server was not started from a config file") }
            return try await reload.respond()
        }
        router.get("admin/sessions/{id}", use: exportSession)
        router.delete("admin/sessions/{id}", use: deleteSession)
        // The same by the user's id on an endpoint: what an operator knows of a user who asks (their id in the
        // site's or the app's own system, as the REST channel, the handovers API or the webchat's identity gave it).
        router.get("admin/sessions") { request, _ in
            try authorize(request)
            return try await export(try await usersSession(request))
        }
        router.delete("admin/sessions") { request, _ in
            try authorize(request)
            return try await erasure.respond(erasing: try await usersSession(request), by: "operator")
        }
        AdminPage.addRoutes(to: router)
    }

    /// `GET /admin/overview`: the endpoints' health, the handovers in progress, the outbox's totals.
    func overview(_ request: Request, context: AppRequestContext) async throws -> Response {
        try authorize(request)
        return try .json(
            try await AdminOverview.read(
                store: store, endpoints: endpoints, deskHealth: deskHealth, backups: backups?.overview, reloadable: reload != nil, instances: instances,
                logger: logger))
    }

    /// `GET /admin/outbox?state=dead|pending&limit=100`
    func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try authorize(request)
        let state = request.uri.queryParameters.get("state") ?? "dead"
        guard state == "dead" || state == "pending" else { throw APIError(.badRequest, "invalid_state", "'state' is 'dead' or 'pending'") }
        let limit = min(max(request.uri.queryParameters.get("limit", as: Int.self) ?? 100, 1), 1_000)
        let items = try await store.outbox(dead: state == "dead", limit: limit)
        let counts = try await store.outboxCounts()
        let body = OutboxListing(items: items.map(OutboxListing.Item.init), pending: counts.pending, dead: counts.dead)
        return try .json(body)
    }

    /// `POST /admin/outbox/{id}/retry`: a dead job goes back to the end of its session's queue with a new budget.
    func retry(_ request: Request, context: AppRequestContext) async throws -> Response {
        try authorize(request)
        guard let id = context.parameters.get("id", as: Int64.self) else { throw APIError(.badRequest, "invalid_id", "the job id is a number") }
        guard try await store.requeueOutbox(id: id, now: now()) else {
            throw APIError(.notFound, "not_found", "no dead job \(id)")
        }
        outboxBell.ring()
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"requeued":true}"#)))
    }

    /// `GET /admin/sessions/{id}`: everything Baton keeps of a session (`SessionExport`), for a user who asks for
    /// their data.
    func exportSession(_ request: Request, context: AppRequestContext) async throws -> Response {
        try authorize(request)
        return try await export(SessionID(rawValue: context.parameters.get("id") ?? ""))
    }

    func export(_ id: SessionID) async throws -> Response {
        guard let export = try await SessionExport.read(id, from: store) else {
            throw APIError(.notFound, "session_not_found", "no session has this id")
        }
        return try .json(export)
    }

    /// The session `?endpoint=<endpoint id>&userId=<user id>` names.
    func usersSession(_ request: Request) async throws -> SessionID {
        let query = request.uri.queryParameters
        guard let endpoint = query.get("endpoint"), let user = query.get("userId"), !endpoint.isEmpty, !user.isEmpty else {
            throw APIError(.badRequest, "invalid_query", "name the session's id in the path, or its user as ?endpoint=<endpoint id>&userId=<user id>")
        }
        guard let session = try await store.session(endpointID: endpoint, userID: user) else {
            throw APIError(.notFound, "session_not_found", "no session of this user on this endpoint")
        }
        return session.id
    }

    /// `DELETE /admin/sessions/{id}`: erases a session (a user's messages and files, and work still waiting for them),
    /// unless its handover is in progress. The id is the Chatwoot conversation's `baton_session` attribute, or what
    /// the REST channel and the handovers API answered with.
    func deleteSession(_ request: Request, context: AppRequestContext) async throws -> Response {
        try authorize(request)
        return try await erasure.respond(erasing: SessionID(rawValue: context.parameters.get("id") ?? ""), by: "operator")
    }

    func authorize(_ request: Request) throws {
        guard let token else { throw APIError(.notFound, "admin_disabled", "the admin API is off; set admin.token to turn it on") }
        let given = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
        guard constantTimeEquals(given, token.value) else { throw APIError(.unauthorized, "unauthorized", "send 'Authorization: Bearer <admin token>'") }
    }
}

/// The admin listing's JSON.
struct OutboxListing: Encodable {
    struct Item: Encodable {
        var id: Int64
        var session: String
        var kind: String
        /// `nil` for a reply, which belongs to the conversation rather than a handover.
        var handover: Int?
        var messageId: Int64?
        var attempts: Int
        var createdAt: String
        var nextAttemptAt: String
        var deadAt: String?
        var lastError: String?

        init(_ item: OutboxItem) {
            id = item.id
            session = item.sessionID.rawValue
            kind = item.job.kind
            handover = item.job.handoverNumber
            switch item.job {
            case .post(let messageID, _), .reply(let messageID): messageId = messageID
            default: break
            }
            attempts = item.attempts
            createdAt = MessagePayload.timestamp(item.createdAt)
            nextAttemptAt = MessagePayload.timestamp(item.nextAttemptAt)
            deadAt = item.deadAt.map(MessagePayload.timestamp)
            lastError = item.lastError
        }
    }

    var items: [Item]
    var pending: Int
    var dead: Int
}
