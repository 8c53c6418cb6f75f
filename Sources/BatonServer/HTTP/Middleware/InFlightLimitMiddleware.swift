import Hummingbird

/// Answers 503 with a reason when more than `limit` requests are being served at once, instead of queueing work
/// until memory or the store gives out. WebSocket sessions are counted by the connection cap, not here.
struct InFlightLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Requests in flight, counted like connections.
    let slots: CapacityGate

    init(limit: Int, report: RefusalReport? = nil) {
        slots = CapacityGate(limit: limit, report: report)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard slots.tryAcquire() else {
            var response = try APIError(.serviceUnavailable, "server_busy", "the server is handling too many requests; try again shortly")
                .response(from: request, context: context)
            response.headers[.retryAfter] = "1"
            return response
        }
        defer { slots.release() }
        return try await next(request, context)
    }
}
