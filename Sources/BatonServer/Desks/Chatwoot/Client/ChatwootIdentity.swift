import Crypto

/// The ids Baton gives things in Chatwoot. They are stable (the same user always maps to the same contact) and
/// carry Baton's prefix, so webhooks about Baton's own posts can be recognised.
public enum ChatwootIdentity {
    /// Every `source_id` Baton sets starts with this.
    public static let prefix = "baton:"

    /// The contact identifier of a user of an endpoint: unique per (endpoint, user), so two endpoints never share a
    /// contact; the user id is hashed so no personal data travels in it.
    public static func contactIdentifier(endpointID: String, userID: String) -> String {
        let digest = SHA256.hash(data: Array("\(endpointID)\n\(userID)".utf8))
        let hex = digest.map { String(format: "%02x", $0) }.joined()
        return "\(prefix)\(endpointID):\(hex.prefix(32))"
    }

    /// The contact-inbox `source_id` of a session.
    public static func conversationSourceID(sessionID: String) -> String {
        "\(prefix)\(sessionID)"
    }

    /// The `source_id` of a transcript message posted to Chatwoot.
    public static func messageSourceID(sessionID: String, messageID: Int64) -> String {
        "\(prefix)\(sessionID):\(messageID)"
    }
}

import Foundation
