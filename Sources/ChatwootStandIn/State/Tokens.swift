import Crypto
import Foundation

/// Random tokens and ActiveStorage-style signed ids.
enum Tokens {
    private static let base58 = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")

    /// Rails' `has_secure_token`: 24 base58 characters.
    static func secure(length: Int = 24) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in base58[Int(generator.next(upperBound: UInt64(base58.count)))] })
    }

    /// `ActiveStorage::Blob#signed_id`: base64 of `{"_rails":{"data":<id>,"pur":"blob_id"}}` + `--` + HMAC digest.
    static func signedBlobId(_ blobId: Int, key: SymmetricKey) -> String {
        let payload = Data("{\"_rails\":{\"data\":\(blobId),\"pur\":\"blob_id\"}}".utf8).base64EncodedString()
        let digest = HMAC<Insecure.SHA1>.authenticationCode(for: Data(payload.utf8), using: key)
        return payload + "--" + digest.map { String(format: "%02x", $0) }.joined()
    }
}
