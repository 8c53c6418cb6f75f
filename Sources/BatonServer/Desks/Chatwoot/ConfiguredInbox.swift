import BatonConfig
import Synchronization

/// The inbox `handover.chatwoot.inbox` names, for handover nodes without an `inboxId` of their own: by id, or by
/// name (looked up once, then kept: an inbox's id never changes). So the inbox `baton chatwoot setup` created is the
/// handover's with no flow edit.
final class ConfiguredInbox: Sendable {
    let choice: ChatwootInboxChoice?
    let client: ChatwootClient
    private let found = Mutex<Int?>(nil)

    init(_ choice: ChatwootInboxChoice?, client: ChatwootClient) {
        self.choice = choice
        self.client = client
    }

    /// The inbox's id; `nil` when the config names none or no inbox has the name.
    func id() async throws -> Int? {
        switch choice {
        case nil: return nil
        case .id(let id): return id
        case .name(let name):
            if let known = found.withLock({ $0 }) { return known }
            let id = try await client.inboxes().first { $0.name == name }?.id
            if let id { found.withLock { $0 = id } }
            return id
        }
    }
}
