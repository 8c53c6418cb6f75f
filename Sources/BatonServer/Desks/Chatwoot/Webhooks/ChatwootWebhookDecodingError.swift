public import Foundation

/// Why a webhook body could not be decoded: malformed JSON, a missing required key or a value of the wrong type.
///
/// `path` names the offending key (e.g. `conversation.contact_inbox.source_id`, `attachments[1].data_url`),
/// so the webhook route can log exactly what Chatwoot sent that Baton did not understand.
public struct ChatwootWebhookDecodingError: Error, Sendable, Hashable, CustomStringConvertible, LocalizedError {
    /// Where in the body the problem is; empty for the body as a whole.
    public var path: String
    /// What is wrong there.
    public var reason: String

    /// Creates an error for `path` (empty for the whole body).
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        path.isEmpty ? "Chatwoot webhook: \(reason)" : "Chatwoot webhook: `\(path)` \(reason)"
    }

    public var errorDescription: String? { description }
}
