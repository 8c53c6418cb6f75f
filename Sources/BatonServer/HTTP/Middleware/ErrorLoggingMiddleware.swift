import BatonCore
import Hummingbird
import Logging

/// Logs errors that are not HTTP errors (Hummingbird turns them into a bare 500 and logs them at debug only); a
/// session deleted while its request ran is a 404, as the REST channel answers for one deleted before.
struct ErrorLoggingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch SessionStoreError.sessionNotFound {
            // Deleted between the request's look-up and its write (an operator's erasure, the retention): as if it
            // had been gone before.
            throw APIError(.notFound, "session_not_found", "the session no longer exists")
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
            throw HTTPError(.internalServerError, message: "internal error")
        }
    }
}
