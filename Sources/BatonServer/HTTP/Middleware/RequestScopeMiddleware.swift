import Hummingbird

/// Runs each request with its id in `RequestScope`, so a log line about it carries the id whichever logger wrote it.
struct RequestScopeMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await RequestScope.$id.withValue(context.id) {
            try await next(request, context)
        }
    }
}
