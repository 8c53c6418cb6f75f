import Foundation
import Testing

@testable import BatonConfig

/// Addresses and ranges, for `server.trustedProxies` and the limits per client.
@Suite final class IPAddressTests {
    let files: FixtureDirectory

    init() throws { files = try FixtureDirectory() }
    deinit { files.remove() }

    @Test func addressesAreReadAsProxiesWriteThemAndIPv4IsOneFormWithItsMappedIPv6() {
        #expect(IPAddress("203.0.113.5")?.description == "203.0.113.5")
        #expect(IPAddress(" 203.0.113.5:51000 ") == IPAddress("203.0.113.5"))
        #expect(IPAddress("::ffff:203.0.113.5") == IPAddress("203.0.113.5"))
        #expect(IPAddress("[2001:db8::1]:443") == IPAddress("2001:db8::1"))
        #expect(IPAddress("2001:db8::1")?.description == "2001:db8:0:0:0:0:0:1")
        for garbage in ["", "unknown", "203.0.113", "203.0.113.256", "2001:db8::1::2", "example.com"] { #expect(IPAddress(garbage) == nil, "\(garbage)") }
    }

    @Test func rangesHoldTheirAddressesOnly() throws {
        let ten = try #require(AddressRange("10.0.0.0/8"))
        #expect(ten.contains(IPAddress("10.255.1.2")!) && !ten.contains(IPAddress("11.0.0.1")!))
        #expect(ten.contains(IPAddress("::ffff:10.1.2.3")!), "an IPv4 address written as IPv6")
        let unique = try #require(AddressRange("fc00::/7"))
        #expect(unique.contains(IPAddress("fd12:3456::1")!) && !unique.contains(IPAddress("fe80::1")!))
        #expect(AddressRange("192.168.1.7")?.contains(IPAddress("192.168.1.7")!) == true)
        #expect(AddressRange("192.168.1.7")?.contains(IPAddress("192.168.1.8")!) == false)
        #expect(AddressRange("0.0.0.0/0")?.contains(IPAddress("8.8.8.8")!) == true)
        for bad in ["10.0.0.0/33", "2001:db8::/129", "10.0.0.0/-1", "10/8", "[::1]/128", "10.0.0.0/8/8"] { #expect(AddressRange(bad) == nil, "\(bad)") }
        #expect(AddressRange.privateNetworks.map(\.description) == ["127.0.0.0/8", "0:0:0:0:0:0:0:1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00:0:0:0:0:0:0:0/7"])
    }

    @Test func trustedProxiesAndTheLimitAreReadFromTheConfig() throws {
        try files.write("flow.yaml", "nodes: [ { say: Hi } ]")
        let endpoints = "\nendpoints:\n  shop: { name: Shop, flow: flow.yaml }\n"
        let read = try ConfigLoader().load(
            path: try files.write("baton.yaml", "server:\n  trustedProxies: [203.0.113.0/24, \"2001:db8::1\"]\nlimits: { newConversationsPerMinute: 0 }" + endpoints)).0
        #expect(read.server.trustedProxies == [AddressRange("203.0.113.0/24")!, AddressRange("2001:db8::1")!])
        #expect(read.limits.newConversationsPerMinute == 0)
        let defaults = try ConfigLoader().load(path: try files.write("baton.yaml", endpoints)).0
        #expect(defaults.server.trustedProxies == AddressRange.privateNetworks && defaults.limits.newConversationsPerMinute == 30)
        let wrong = failureDiagnostics { try ConfigLoader().load(path: try self.files.write("baton.yaml", "server:\n  trustedProxies: [nginx]" + endpoints)) }
        expectDiagnostic(
            wrong, file: files.path("baton.yaml"), line: 2, path: "server.trustedProxies[0]",
            message: "'nginx' is not an address or a range of addresses (such as 10.0.0.0/8 or 2001:db8::/32)")
    }
}
