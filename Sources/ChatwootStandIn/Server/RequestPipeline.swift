import Foundation
import Logging
import Synchronization

/// Every request goes through here: record → spec check → fault injection → strict-mode refusal → route →
/// authenticate → handle. Kept apart from Hummingbird so the order of these steps is visible in one place.
final class RequestPipeline: Sendable {
    let state: StandInState
    let validator: SpecValidator?
    let faults: FaultInjector
    let strictSpec: Mutex<Bool>
    let console: ConsoleAssets
    let logger: Logger
    /// Requests being handled now, and the most at once since the last reset (see `ChatwootStandIn.requestsInFlight`).
    let inFlight = Mutex<(now: Int, peak: Int)>((0, 0))
    static let routes: [Route] = ContactsAPI.routes + ConversationsAPI.routes + MessagesAPI.routes + AgentBotsAPI.routes + InboxesAPI.routes
        + TeamsAndAgentsAPI.routes + InboxMembersAPI.routes + CsatSurveyAPI.routes + PublicConversationsAPI.routes + ProfileAPI.routes

    init(state: StandInState, validator: SpecValidator?, faults: FaultInjector, strictSpec: Bool, console: ConsoleAssets, logger: Logger) {
        self.state = state
        self.validator = validator
        self.faults = faults
        self.strictSpec = Mutex(strictSpec)
        self.console = console
        self.logger = logger
    }

    func handle(_ request: IncomingRequest) async -> APIResponse {
        inFlight.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
        defer { inFlight.withLock { $0.now -= 1 } }
        let redacted = request.headers.map { header in
            Authenticator.headerNames.contains(header.name) ? (name: header.name, value: "<redacted>") : header
        }
        let requestId = await state.appendRequest(method: request.method, path: request.path, query: request.query, headers: redacted, body: request.body)
        var tokenOwner: String?
        let response = await respond(request, requestId: requestId, tokenOwner: &tokenOwner)
        if !response.dropsConnection { await state.completeRequest(requestId, status: response.status, tokenOwner: tokenOwner) }
        return response
    }

    private func respond(_ request: IncomingRequest, requestId: Int, tokenOwner: inout String?) async -> APIResponse {
        var violations: [SpecViolation] = []
        if let validator {
            let (template, problems) = validator.problems(for: request)
            violations = problems.map { SpecViolation(requestId: requestId, method: request.method, path: request.path, template: template, problem: $0) }
            await state.appendViolations(violations)
            for violation in violations { logger.warning("swagger violation: \(violation)") }
        }
        var dropsConnection = false
        if let rule = faults.take(method: request.method, path: request.path) {
            if rule.latency > .zero { try? await Task.sleep(for: rule.latency) }
            switch rule.response {
            case .custom(let status, let body, let contentType):
                return APIResponse(status: status, headers: contentType.map { [("Content-Type", $0)] } ?? [], body: Array(body.utf8))
            case .closeConnection(afterHandling: false):
                return APIResponse(status: 0, headers: [], body: [], dropsConnection: true)
            case .closeConnection(afterHandling: true):
                dropsConnection = true
            case .passThrough:
                break
            }
        }
        if dropsConnection {
            var handled = await respondNormally(request, violations: violations, tokenOwner: &tokenOwner)
            handled.dropsConnection = true
            return handled
        }
        return await respondNormally(request, violations: violations, tokenOwner: &tokenOwner)
    }

    private func respondNormally(_ request: IncomingRequest, violations: [SpecViolation], tokenOwner: inout String?) async -> APIResponse {
        if !violations.isEmpty && strictSpec.withLock({ $0 }) {
            return .json(
                [
                    "error": .string("chatwoot-standin: request does not match Chatwoot's OpenAPI spec (swagger.json): " + violations.map(\.problem).joined(separator: "; ")),
                    "violations": .array(violations.map { .string($0.problem) }),
                ], status: 400)
        }
        if let local = await localResponse(request) { return local }
        let segments = request.segments
        let candidates = Self.routes.compactMap { route in route.match(method: request.method, segments: segments).map { (route, $0) } }
        guard let (route, pathParams) = candidates.max(by: { $0.0.literalCount < $1.0.literalCount }) else {
            // Rails' routing error page.
            return .error(.railsNotFound)
        }
        do {
            let db = await state.db
            let (caller, accountId) =
                route.isPublic
                ? (Caller.none, 0) : try Authenticator.authenticate(request, route: route, accountIdText: pathParams["account_id"], db: db)
            tokenOwner = caller.label
            var params = try ParamsBuilder.build(request)
            for (key, value) in pathParams { params.values = params.values.setting(key, .string(value)) }
            let context = HandlerContext(request: request, params: params, pathParams: pathParams, accountId: accountId, caller: caller, state: state)
            return try await route.handler(context)
        } catch let error as StandInAPIError {
            return .error(error)
        } catch let error as ParamsBuilder.BodyError {
            return .json(["status": 400, "error": .string("Bad Request: \(error.description)")], status: 400)
        } catch {
            logger.error("unhandled error for \(request.method) \(request.path): \(error)")
            return .error(.internalServerError)
        }
    }

    /// The stand-in's own pages: the console and ActiveStorage-style file URLs.
    private func localResponse(_ request: IncomingRequest) async -> APIResponse? {
        if request.method == "POST", request.path == "/console/contact-message" { return await console.contactMessage(request.body, state: state) }
        guard request.method == "GET" || request.method == "HEAD" else { return nil }
        let path = request.path
        if path == "/" { return APIResponse(status: 302, headers: [("Location", "/console")], body: []) }
        if path == "/console" || path.hasPrefix("/console/") { return await console.response(for: path, state: state) }
        let redirectPrefixes = ["/rails/active_storage/blobs/redirect/", "/rails/active_storage/representations/redirect/"]
        if let prefix = redirectPrefixes.first(where: path.hasPrefix) {
            let rest = String(path.dropFirst(prefix.count))
            guard let blob = await state.db.blobs.first(where: { rest.hasPrefix($0.signedId + "/") }) else { return .head(404) }
            // ActiveStorage's redirect controller answers 302 to the service URL (here: the stand-in itself).
            let location = "\(await state.frontendURL)/rails/active_storage/disk/\(blob.key)/\(Presenter.escapePathSegment(blob.filename))"
            return APIResponse(status: 302, headers: [("Location", location)], body: [])
        }
        if path.hasPrefix("/rails/active_storage/disk/") {
            let key = path.dropFirst("/rails/active_storage/disk/".count).split(separator: "/").first.map(String.init)
            guard let blob = await state.db.blobs.first(where: { $0.key == key }) else { return .head(404) }
            return APIResponse(
                status: 200,
                headers: [("Content-Type", blob.contentType), ("Content-Disposition", "inline; filename=\"\(blob.filename.replacingAll("\"", with: ""))\"")],
                body: request.method == "HEAD" ? [] : blob.data)
        }
        return nil
    }
}
