import AsyncHTTPClient

/// The HTTP client Chatwoot is called with: as `HTTPClient.shared` (one per process, never shut down), but with a
/// connection to Chatwoot for each job the outbox runs at once, and refusing redirects.
///
/// `HTTPClient.shared` keeps at most 8 HTTP/1.1 connections to a host, and a request waits for one of them: with the
/// outbox running up to `OutboxWorker.concurrency` conversations' calls at once, 8 at a time went to Chatwoot and the
/// rest queued in the client, so a Chatwoot that answers in 100 ms took at most 80 messages a second from an
/// instance, and at 1,000 a second every call had to be answered within 8 ms or a backlog built. (Over HTTP/2, which
/// a TLS Chatwoot may offer, the calls share one connection either way.)
///
/// A redirect is not followed: the API token travels in its own header (`api_access_token`), which AsyncHTTPClient
/// does not strip when it follows a redirect to another address (it strips `Authorization` and cookies), and a POST
/// answered with 301 or 302 would be sent again as a GET, whose 200 would pass for a message posted. A Chatwoot
/// behind an address that redirects (`http://` to `https://`) has its calls fail with the status instead.
enum ChatwootHTTPClient {
    static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = OutboxWorker.concurrency
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
