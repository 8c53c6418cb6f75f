import Crypto

/// `Webhooks::Trigger#request_headers` signing (v4.13.0+): `sha256=` + hex HMAC-SHA256(secret, "<ts>.<body>").
public enum WebhookSigner {
    /// The `X-Chatwoot-Signature` value for a body sent at `timestamp` (unix seconds, as sent in
    /// `X-Chatwoot-Timestamp`).
    public static func signature(secret: String, timestamp: String, body: [UInt8]) -> String {
        let key = SymmetricKey(data: Array(secret.utf8))
        var message = Array(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: key)
        return "sha256=" + mac.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Checks a signature in constant time (what a receiver should do).
    public static func isValid(signature: String, secret: String, timestamp: String, body: [UInt8]) -> Bool {
        let expected = Array(Self.signature(secret: secret, timestamp: timestamp, body: body).utf8)
        let given = Array(signature.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
