import Synchronization

/// The URL Baton is reached at, known once the server listens (the port may have been picked then). Whatever
/// must tell another system where Baton is (the Chatwoot agent bot's `outgoing_url`) reads it from here.
final class PublicAddress: Sendable {
    private let url = Mutex<String?>(nil)

    init(_ url: String? = nil) { self.url.withLock { $0 = url } }

    /// The base URL (`https://baton.example.com`), or `nil` before the server listens.
    var value: String? { url.withLock { $0 } }

    func set(_ value: String) { url.withLock { $0 = value } }
}
