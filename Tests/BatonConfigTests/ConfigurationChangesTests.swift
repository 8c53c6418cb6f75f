import BatonCore
import Foundation
import Testing

@testable import BatonConfig

/// What a reload of the config cannot apply: every setting but the endpoints' flows and notices, named as in the file.
@Suite final class ConfigurationChangesTests {
    let files: FixtureDirectory

    init() throws { files = try FixtureDirectory() }
    deinit { files.remove() }

    static let base = """
        server: { port: 8080 }
        bots: { helper: { webhook: { url: "http://127.0.0.1:5005/webhooks/rest/webhook" } } }
        endpoints:
          shop:
            name: Shop
            flow: shop.yaml
            language: en
          help:
            name: Help
            flow: help.yaml
        """

    func load(_ config: String, shopFlow: String = "nodes: [ { say: Hi } ]") throws -> BatonConfiguration {
        try files.write("shop.yaml", shopFlow)
        try files.write("help.yaml", "nodes: [ { say: Help } ]")
        try files.write("other.yaml", "nodes: [ { say: Other } ]")
        return try ConfigLoader().load(path: try files.write("baton.yaml", config)).0
    }

    func changes(_ config: String, shopFlow: String = "nodes: [ { say: Hi } ]") throws -> [String] {
        let running = try load(Self.base)
        return try load(config, shopFlow: shopFlow).settingsNeedingARestart(running: running)
    }

    @Test func flowsNoticesAndHandoverDefaultsNeedNoRestart() throws {
        #expect(try changes(Self.base) == [])
        #expect(try changes(Self.base, shopFlow: "nodes: [ { say: Hello }, { say: Bye } ]") == [])
        let otherFile = Self.base.replacingOccurrences(of: "flow: help.yaml", with: "flow: other.yaml")
        #expect(try changes(otherFile) == [])
        let words = Self.base.replacingOccurrences(
            of: "language: en", with: "language: de\n    notices: { de: { resolved: Danke } }\n    handoverDefaults: { reminder: { everySeconds: 120 } }")
        #expect(try load(words).endpoints[0].handoverPolicy != load(Self.base).endpoints[0].handoverPolicy, "the test changes the policy")
        #expect(try changes(words) == [])
        let texts = Self.base.replacingOccurrences(of: "flow: shop.yaml", with: "flow: shop.yaml\n    channels: { webchat: { texts: { it: { send: Invia } } } }")
        #expect(try changes(texts) == [], "the webchat's words are reloaded too")
        let look = Self.base.replacingOccurrences(
            of: "flow: shop.yaml", with: "flow: shop.yaml\n    channels: { webchat: { subtitle: Hi, color: \"#0a7\", title: Shop, userCanDelete: false } }")
        #expect(try changes(look) == [], "and its look")
    }

    @Test func everythingElseIsNamedAsInTheFile() throws {
        #expect(try changes(Self.base.replacingOccurrences(of: "port: 8080", with: "port: 9090")) == ["server"])
        #expect(try changes(Self.base + "\nlimits: { messagesPerMinute: 5 }\nlog: { level: debug }") == ["log", "limits"])
        #expect(try changes(Self.base.replacingOccurrences(of: "5005", with: "5006")) == ["bots.helper"])
        #expect(try changes(Self.base.replacingOccurrences(of: "name: Shop", with: "name: Store")) == ["endpoints.shop.name"])
        let rest = Self.base.replacingOccurrences(
            of: "flow: shop.yaml", with: "flow: shop.yaml\n    channels: { rest: { enabled: false }, webchat: { identitySecret: 0123456789abcdef0123 } }")
        let restChanges = try changes(rest)
        #expect(restChanges == ["endpoints.shop.channels.webchat", "endpoints.shop.channels.rest"], "\(restChanges)")
        let added = Self.base + "\n  new:\n    name: New\n    flow: other.yaml"
        #expect(try changes(added) == ["endpoints.new"])
        let removed = Self.base.replacingOccurrences(of: "  help:\n    name: Help\n    flow: help.yaml", with: "")
        #expect(try changes(removed) == ["endpoints.help"])
    }
}
