import BatonConfig
import BatonCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Logging
import Testing

@testable import BatonServer

/// `ConfigurationReload` on files of its own: what it puts in place, and what it refuses.
@Suite final class ConfigurationReloadTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-reload-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// Writes `config` and `flow` (as `flow.yaml`) and loads them.
    func write(_ config: String, flow: String) throws -> BatonConfiguration {
        try flow.write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        let path = folder.appendingPathComponent("baton.yaml").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return try ConfigLoader().load(path: path).0
    }

    func reload(for registry: EndpointRegistry, running: BatonConfiguration) -> ConfigurationReload {
        let path = folder.appendingPathComponent("baton.yaml").path
        let source = ConfigurationSource(asLoaded: running) { try ConfigLoader().load(path: path) }
        return ConfigurationReload(endpoints: registry, source: source, metrics: BatonMetrics(), logger: Logger(label: "test"))
    }

    static let config = "endpoints:\n  shop:\n    name: Shop\n    flow: flow.yaml\n"

    /// The channels keep the endpoint they were built with: the reload reaches their copies too.
    @Test func everyCopyOfAnEndpointRunsTheReloadedFlowAndNotices() async throws {
        let running = try write(Self.config, flow: "nodes: [ { say: Hi } ]")
        let registry = EndpointRegistry(running.endpoints)
        let kept = try #require(registry.endpoint(id: "shop"))
        let reload = reload(for: registry, running: running)

        let texts = "    channels: { webchat: { texts: { it: { placeholder: Scrivi } } } }\n"
        let edited = try write(Self.config + "    language: de\n    notices: { de: { resolved: Danke } }\n" + texts, flow: "nodes: [ { say: Hallo } ]")
        let outcome = try await reload.reload(askedBy: "test")
        #expect(outcome.reloaded == ["shop"] && outcome.restartNeeded.isEmpty, "\(outcome)")
        #expect((kept.bot as? FlowEngine)?.flow == edited.endpoints[0].flow)
        #expect(kept.policy == edited.endpoints[0].handoverPolicy && kept.policy != running.endpoints[0].handoverPolicy)
        #expect(kept.webchat.texts == ["it": ["placeholder": "Scrivi"]])
        #expect(try await reload.reload(askedBy: "test").unchanged == ["shop"])
    }

    /// The webchat's look is reloaded: the next page's `ready` and the next `widget.js` (a new file, so a browser's
    /// copy revalidates to it). Whether the webchat is on, and its identity secret, stay as they started.
    @Test func theWebchatsLookReachesThePageAndTheWidget() async throws {
        let running = try write(Self.config + "    channels: { webchat: { subtitle: Hi, color: \"#123456\" } }\n", flow: "nodes: [ { say: Hi } ]")
        let registry = EndpointRegistry(running.endpoints)
        let kept = try #require(registry.endpoint(id: "shop"))
        let assets = try WebchatAssets(brands: { registry.webchatBrands })
        let request = Request(head: .init(method: .get, scheme: "http", authority: "baton", path: "/webchat/widget.js"), body: .init(buffer: ByteBuffer()))
        let before = try #require(assets.response("widget.js", to: request, cacheControl: "no-cache"))

        let look = "    channels: { webchat: { subtitle: \"Back soon\", color: \"#0a7f3c\", userCanDelete: false, identitySecret: 0123456789abcdef0123 } }\n"
        _ = try write(Self.config + look, flow: "nodes: [ { say: Hi } ]")
        let outcome = try await reload(for: registry, running: running).reload(askedBy: "test")
        #expect(outcome.reloaded == ["shop"] && outcome.restartNeeded == ["endpoints.shop.channels.webchat"], "\(outcome)")
        #expect(kept.webchat.subtitle == "Back soon" && kept.webchat.branding.color == "#0a7f3c" && !kept.webchat.userCanDelete)
        #expect(kept.webchat.identitySecret == nil && kept.webchat.enabled, "the identity secret takes a restart")
        let after = try #require(assets.response("widget.js", to: request, cacheControl: "no-cache"))
        let body = String(buffer: assets.widget.asset.identity)
        #expect(body.contains(##""color":"#0a7f3c""##) && !body.contains("#123456"))
        #expect(after.headers[.eTag] != before.headers[.eTag])
    }

    /// A bot added to the config runs from the next start: a flow that names it is refused until then, whole.
    @Test func aFlowNamingABotThisBatonDoesNotRunIsRefused() async throws {
        let running = try write(Self.config, flow: "nodes: [ { say: Hi } ]")
        let registry = EndpointRegistry(running.endpoints)
        let reload = reload(for: registry, running: running)
        _ = try write(
            "bots: { helper: { webhook: { url: \"http://127.0.0.1:5005/webhooks/rest/webhook\" } } }\n" + Self.config,
            flow: "nodes:\n  - say: Hi\n  - id: ask\n    bot: helper\n")
        do {
            _ = try await reload.reload(askedBy: "test")
            Issue.record("the reload was applied")
        } catch let error as ConfigurationError {
            #expect(error.description.contains("flow.yaml:3") && error.description.contains("bot 'helper'"), "\(error)")
        }
        #expect((registry.endpoint(id: "shop")?.bot as? FlowEngine)?.flow == running.endpoints[0].flow)
    }

    /// A Kubernetes ConfigMap mounted as a volume: `baton.yaml` is a link to `..data/baton.yaml`, and an update swaps
    /// `..data` to a new folder. The path and its own link stay; the watch must still see the file change.
    @Test func aFileBehindALinkThatIsSwappedIsSeenToChange() throws {
        let manager = FileManager.default
        for (folder, text) in [("v1", "nodes: [ { say: A } ]"), ("v2", "nodes: [ { say: B } ]")] {
            try manager.createDirectory(at: self.folder.appendingPathComponent(folder), withIntermediateDirectories: true)
            try text.write(to: self.folder.appendingPathComponent("\(folder)/flow.yaml"), atomically: true, encoding: .utf8)
        }
        // The same size and time in both, so only the swap tells them apart.
        let time = Date(timeIntervalSince1970: 1_800_000_000)
        for folder in ["v1", "v2"] { try manager.setAttributes([.modificationDate: time], ofItemAtPath: self.folder.appendingPathComponent("\(folder)/flow.yaml").path) }
        let data = self.folder.appendingPathComponent("..data").path
        let path = self.folder.appendingPathComponent("mounted.yaml").path
        try manager.createSymbolicLink(atPath: data, withDestinationPath: "v1")
        try manager.createSymbolicLink(atPath: path, withDestinationPath: "..data/flow.yaml")

        let before = try #require(ReloadOnFileChange.stamp(of: path))
        try manager.removeItem(atPath: data)
        try manager.createSymbolicLink(atPath: data, withDestinationPath: "v2")
        let after = try #require(ReloadOnFileChange.stamp(of: path))
        #expect(before.size == after.size && before.modified == after.modified)
        #expect(before != after, "\(before) \(after)")
        try manager.removeItem(atPath: data)
        #expect(ReloadOnFileChange.stamp(of: path) == nil, "a link that leads nowhere is a missing file")
    }
}
