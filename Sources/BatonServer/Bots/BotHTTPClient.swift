import AsyncHTTPClient

/// The HTTP client the bots are called with: as `HTTPClient.shared` (one per process, never shut down), but
/// refusing redirects: a turn's request carries the bot's key and the user's words, and neither follows a
/// redirect to another address.
enum BotHTTPClient {
    static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
