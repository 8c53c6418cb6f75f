import Foundation

/// An IPv4 or IPv6 address, as 16 bytes: an IPv4 address is held as IPv6 holds it (`::ffff:a.b.c.d`), so one
/// range check serves both and a client reached over either is one client.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address's 16 bytes, most significant first, in two halves.
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Reads `203.0.113.5`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:443`, and an IPv4 address with a port
    /// (`203.0.113.5:51000`, as some proxies write `X-Forwarded-For`); `nil` for anything else.
    public init?(_ text: some StringProtocol) {
        var text = text.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("["), let end = text.firstIndex(of: "]") {
            text = String(text[text.index(after: text.startIndex)..<end])
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            text = String(text[..<colon])
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        if text.contains(":") {
            guard inet_pton(AF_INET6, text, &bytes) == 1 else { return nil }
        } else {
            var four = [UInt8](repeating: 0, count: 4)
            guard inet_pton(AF_INET, text, &four) == 1 else { return nil }
            bytes[10] = 0xff
            bytes[11] = 0xff
            bytes.replaceSubrange(12..<16, with: four)
        }
        self.init(bytes: bytes)
    }

    /// From 16 bytes, most significant first.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "an IP address is 16 bytes")
        high = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        low = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Whether it is an IPv4 address (held as `::ffff:a.b.c.d`).
    public var isIPv4: Bool { high == 0 && low >> 32 == 0xffff }

    public var description: String {
        if isIPv4 { return [24, 16, 8, 0].map { String((low >> $0) & 0xff) }.joined(separator: ".") }
        let groups = (0..<8).map { index in String((index < 4 ? high >> (48 - 16 * index) : low >> (48 - 16 * (index - 4))) & 0xffff, radix: 16) }
        return groups.joined(separator: ":")
    }
}

/// A range of addresses in CIDR notation (`10.0.0.0/8`, `fc00::/7`), or one address.
public struct AddressRange: Hashable, Sendable, CustomStringConvertible {
    public let base: IPAddress
    /// How many leading bits an address shares with `base` to be in the range, counted over the 16 bytes (an IPv4
    /// range's prefix is 96 more than written).
    public let prefix: Int

    /// Reads `10.0.0.0/8`, `2001:db8::/32` or one address; `nil` for anything else (a prefix too long, say).
    public init?(_ text: some StringProtocol) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].contains("["), let base = IPAddress(parts[0]) else { return nil }
        let limit = base.isIPv4 ? 32 : 128
        guard let written = parts.count == 2 ? Int(parts[1]) : limit, (0...limit).contains(written) else { return nil }
        self.base = base
        prefix = written + (base.isIPv4 ? 96 : 0)
    }

    public func contains(_ address: IPAddress) -> Bool {
        func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? .max : ~(UInt64.max >> bits) }
        let highMask = mask(prefix), lowMask = mask(prefix - 64)
        return address.high & highMask == base.high & highMask && address.low & lowMask == base.low & lowMask
    }

    public var description: String { "\(base)/\(base.isIPv4 ? prefix - 96 : prefix)" }

    /// Loopback and private networks: where a reverse proxy in front of Baton usually is (the same machine, a
    /// container network, a VPC). The same list Rails trusts by default (`ActionDispatch::RemoteIp`).
    public static let privateNetworks: [AddressRange] = ["127.0.0.0/8", "::1", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
        .compactMap { AddressRange($0) }
}
