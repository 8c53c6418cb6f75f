import Hummingbird
import Logging

/// Logs errors that are not HTTP errors (Hummingbird turns them into a bare 500 and logs them at debug only).
struct ErrorLoggingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
            throw HTTPError(.internalServerError, message: "internal error")
        }
    }
}
