import Crypto
public import Foundation

/// Chatwoot's webhook signature (v4.13.0+, `lib/webhooks/trigger.rb`): `X-Chatwoot-Signature: sha256=<hex>` is
/// HMAC-SHA256 keyed with the inbox `secret` (not `hmac_token`) over `"<X-Chatwoot-Timestamp>.<raw body>"`.
///
/// Verify against the raw body bytes exactly as received: re-encoding the JSON changes them (Rails escapes
/// `<`, `>`, `&` as `\u003c`…). The timestamp window stops an old, captured delivery from being replayed.
public struct WebhookSignature: Sendable {
    /// The outcome of ``verify(signature:timestamp:body:now:)``; everything but `.valid` means "refuse",
    /// the case says why for the log.
    public enum Verdict: Sendable, Hashable {
        /// The signature matches and the timestamp is fresh.
        case valid
        /// The signature or timestamp header is absent or empty (an unsigned sender, or Chatwoot before 4.13).
        case missingHeaders
        /// A header is present but unreadable: no `sha256=` prefix, not 64 hex digits, a non-integer timestamp.
        case malformed
        /// The timestamp is more than ``tolerance`` seconds away from now.
        case stale
        /// Well-formed and fresh, but signed with another secret or over other bytes.
        case mismatch

        /// The verdict in words, as the webhook routes give it when they refuse a delivery.
        public var explanation: String {
            switch self {
            case .valid: "the signature matches"
            case .missingHeaders: "the webhook is not signed"
            case .malformed: "the signature headers are malformed"
            case .stale: "the webhook's timestamp is too old or in the future"
            case .mismatch: "the signature does not match"
            }
        }
    }

    /// `X-Chatwoot-Signature`.
    public static let signatureHeader = "X-Chatwoot-Signature"
    /// `X-Chatwoot-Timestamp`: Unix seconds.
    public static let timestampHeader = "X-Chatwoot-Timestamp"
    /// `X-Chatwoot-Delivery`: a UUID per delivery, for deduplication.
    public static let deliveryHeader = "X-Chatwoot-Delivery"
    /// The accepted clock difference, in seconds, suggested where Chatwoot introduced signing (PR #13573).
    public static let defaultTolerance = 300

    /// The inbox's webhook secret.
    public let secret: String
    /// How far, in seconds and either way, the timestamp may be from `now`.
    public let tolerance: Int
    /// An HMAC keyed with the secret and fed nothing yet: each signature starts from a copy. Keying it pads the
    /// secret and hashes the pads, the same work for every delivery, so a verifier kept for an inbox does it once.
    private let keyed: HMAC<SHA256>

    /// Creates a verifier for `secret`.
    public init(secret: String, tolerance: Int = Self.defaultTolerance) {
        self.secret = secret
        self.tolerance = tolerance
        keyed = HMAC(key: SymmetricKey(data: Data(secret.utf8)))
    }

    /// What a delivery's signature headers claim, read once: the MAC and the timestamp text it was computed with.
    /// Made by ``claim(signature:timestamp:now:tolerance:)``, which refuses what is absent, malformed or stale, so a
    /// claim is only left to be checked against a body (``matches(_:body:)``), by each secret that may have signed it.
    public struct Claim: Sendable {
        /// The 32 bytes of the `sha256=` hex digits.
        let mac: [UInt8]
        /// `X-Chatwoot-Timestamp` as sent, without the blanks around it: the MAC covers this text, not the number.
        let timestamp: Substring
    }

    /// What ``claim(signature:timestamp:now:tolerance:)`` found in the headers.
    public enum HeaderCheck: Sendable {
        /// Present, well-formed and fresh: only the body is left to check.
        case claimed(Claim)
        /// Why the delivery is refused: `.missingHeaders`, `.malformed` or `.stale` (only a body tells the others).
        case refused(Verdict)
    }

    /// Checks a delivery's signature.
    ///
    /// - Parameters:
    ///   - signature: the `X-Chatwoot-Signature` header value.
    ///   - timestamp: the `X-Chatwoot-Timestamp` header value.
    ///   - body: the raw request body.
    ///   - now: the current time (injected so tests and replays are deterministic).
    public func verify(signature: String?, timestamp: String?, body: some DataProtocol, now: Date) -> Verdict {
        switch Self.claim(signature: signature, timestamp: timestamp, now: now, tolerance: tolerance) {
        case .refused(let verdict): verdict
        case .claimed(let claim): matches(claim, body: body) ? .valid : .mismatch
        }
    }

    /// What the headers alone say, before a byte of the body is read: their claim when they are present, well-formed
    /// and fresh (only the HMAC over the body is left to check), else why the delivery is refused. The cheap path that
    /// turns away unsigned, malformed and replayed deliveries whatever their size.
    public static func claim(signature: String?, timestamp: String?, now: Date, tolerance: Int = defaultTolerance) -> HeaderCheck {
        let signature = trimmed(signature)
        let timestamp = trimmed(timestamp)
        guard !signature.isEmpty, !timestamp.isEmpty else { return .refused(.missingHeaders) }
        guard let seconds = Int(timestamp), let mac = parseSignature(signature) else { return .refused(.malformed) }
        // Doubles: an absurd timestamp must not overflow Int arithmetic.
        guard abs(Double(seconds) - now.timeIntervalSince1970) <= Double(tolerance) else { return .refused(.stale) }
        return .claimed(Claim(mac: mac, timestamp: timestamp))
    }

    /// Whether this secret signed `body` as the claim says, compared in constant time.
    public func matches(_ claim: Claim, body: some DataProtocol) -> Bool {
        code(timestamp: claim.timestamp, body: body).withUnsafeBytes { computed in
            claim.mac.withUnsafeBytes { claimed in constantTimeEquals(computed, claimed) }
        }
    }

    /// A header value without the spaces and tabs around it. (Foundation's `trimmingCharacters(in:)` goes through
    /// NSString: it was 3 % of Baton's processor time per relayed message, for four calls.) By bytes, not characters:
    /// a header value is ASCII, and walking characters finds grapheme boundaries first.
    static func trimmed(_ value: String?) -> Substring {
        guard let value else { return "" }
        let isBlank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        let utf8 = value.utf8
        guard let first = utf8.firstIndex(where: { !isBlank($0) }), let last = utf8.lastIndex(where: { !isBlank($0) }) else { return "" }
        return value[first...last]
    }

    /// The `X-Chatwoot-Signature` value Chatwoot would send for `body` at `timestamp`: `sha256=<lowercase hex>`.
    /// For tests and stand-ins.
    public func sign(body: some DataProtocol, timestamp: Int) -> String {
        let mac = code(timestamp: String(timestamp), body: body)
        return "sha256=" + mac.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The HMAC of `"<timestamp>.<body>"`, the timestamp text exactly as sent, fed in three parts so that the body
    /// is not copied first (the timestamp, ten digits, becomes a `String` held inline, with no allocation).
    private func code(timestamp: some StringProtocol, body: some DataProtocol) -> HashedAuthenticationCode<SHA256> {
        var hmac = keyed
        var timestamp = String(timestamp)
        timestamp.withUTF8 { hmac.update(data: UnsafeRawBufferPointer($0)) }
        withUnsafeBytes(of: UInt8(ascii: ".")) { hmac.update(data: $0) }
        hmac.update(data: body)
        return hmac.finalize()
    }

    /// The 32 bytes of `sha256=<64 hex digits>`, or `nil` when the value has another form.
    private static func parseSignature(_ value: Substring) -> [UInt8]? {
        // A header's text is contiguous: read in place, not through the view's generic iteration.
        value.utf8.withContiguousStorageIfAvailable(parseSignature) ?? Array(value.utf8).withUnsafeBufferPointer(parseSignature)
    }

    private static func parseSignature(_ utf8: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let prefix: StaticString = "sha256="
        guard utf8.count == prefix.utf8CodeUnitCount + 64 else { return nil }
        // The prefix in any case.
        for (index, expected) in UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount).enumerated() {
            let byte = utf8[index]
            guard (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 == expected : byte == expected else { return nil }
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in 0..<32 {
            let offset = prefix.utf8CodeUnitCount + 2 * index
            guard let high = hexValue(utf8[offset]), let low = hexValue(utf8[offset + 1]) else { return nil }
            bytes[index] = high << 4 | low
        }
        return bytes
    }

    private static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
