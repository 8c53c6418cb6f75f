public import Logging

/// The request being handled, for log lines written on its behalf by parts that only hold the application's logger
/// (the write path, the desks): set by `RequestScopeMiddleware` for the request's task and the tasks it starts.
public enum RequestScope {
    @TaskLocal public static var id: String?

    /// Adds `request_id` to every line logged while a request is handled.
    public static let metadataProvider = Logger.MetadataProvider {
        guard let id else { return [:] }
        return ["request_id": .string(id)]
    }
}
