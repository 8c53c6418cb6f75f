import BatonConfig
import BatonCore
import Crypto
import Foundation

/// Who an embedding page says the user is (`Baton.setUser(id, attributes, identifierHash)`).
struct WebchatUser: Decodable, Sendable, Hashable {
    var id: String
    var attributes: [String: JSONValue]?
    var identifierHash: String?

    /// At most this many attributes, with short keys and values, reach the profile (and the agent).
    static let maxAttributes = 20
    static let maxValueLength = 500

    /// Whether `identifierHash` is the HMAC-SHA256 (hex) of `id` under `secret`, compared in constant time.
    func isVerified(by secret: Secret) -> Bool {
        guard let identifierHash, ClientIdentifier.isValid(id, maxLength: ClientIdentifier.maxUserIDLength) else { return false }
        let expected = HMAC<SHA256>.authenticationCode(for: Data(id.utf8), using: SymmetricKey(data: Data(secret.value.utf8)))
        let hex = expected.map { String(format: "%02x", $0) }.joined()
        return constantTimeEquals(identifierHash.lowercased(), hex)
    }

    /// The attributes as profile values: scalars only, keys of letters, digits and `_`, values cut to a safe length.
    var profileValues: [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        for (key, value) in (attributes ?? [:]).sorted(by: { $0.key < $1.key }).prefix(Self.maxAttributes) {
            guard !key.isEmpty, key.count <= 50, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else { continue }
            switch value {
            case .string(let text): values[key] = .string(String(text.prefix(Self.maxValueLength)))
            case .number, .bool: values[key] = value
            default: continue
            }
        }
        return values
    }
}
