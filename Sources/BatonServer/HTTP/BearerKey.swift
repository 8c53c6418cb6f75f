import BatonConfig
import Hummingbird

extension Request {
    /// Whether the request carries `Authorization: Bearer <key>`, compared in constant time.
    func presents(_ key: Secret) -> Bool {
        let header = headers[.authorization] ?? ""
        return header.hasPrefix("Bearer ") && constantTimeEquals(String(header.dropFirst(7)), key.value)
    }
}
