import Crypto
import Foundation
import NIOHTTP1

/// How Baton signs what it posts to outside bots (webhook bots' turns, handover notifications), as Chatwoot signs
/// its webhooks: `X-Baton-Timestamp` (Unix seconds) and `X-Baton-Signature: sha256=<hex HMAC-SHA256 of
/// "<timestamp>.<body>">` under the shared secret. A receiver recomputes it over the raw body, compares in constant
/// time, and refuses old timestamps (replays).
enum BatonSignature {
    /// Adds the timestamp and signature headers for `body`.
    static func sign(_ headers: inout HTTPHeaders, body: String, secret: String, at time: Date) {
        let timestamp = String(Int(time.timeIntervalSince1970))
        headers.add(name: "X-Baton-Timestamp", value: timestamp)
        headers.add(name: "X-Baton-Signature", value: "sha256=" + signature(secret: secret, timestamp: timestamp, body: body))
    }

    /// Hex HMAC-SHA256 of `<timestamp>.<body>`.
    static func signature(secret: String, timestamp: String, body: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }
}
