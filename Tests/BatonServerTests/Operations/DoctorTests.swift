import BatonConfig
import BatonCore
import BatonStoreSQLite
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import BatonServer

/// `baton doctor` against the stand-in and a live Baton: green once set up, and each fault reported on its own
/// line with its fix.
@Suite("Operations: doctor")
struct DoctorTests {
    @Test func eachFaultIsNamedWithItsFixAndASetUpDeploymentPasses() async throws {
        let chatwoot = try await StandInHarness.start()
        defer { Task { await chatwoot.shutdown() } }
        let settings = {
            var settings = ChatwootSettings(
                baseURL: chatwoot.baseURL, accountID: chatwoot.accountID, apiAccessToken: Secret(chatwoot.adminToken), webhookSecret: Secret(chatwoot.secret))
            settings.inbox = .id(chatwoot.supportInbox)
            return settings
        }()
        let databasePath = TestBaton.databasePath()
        let serving = try TestBaton.configuration(databasePath: databasePath, handover: .chatwoot(settings))
        let app = try await buildApplication(configuration: serving, dependencies: .live(serving), logger: TestBaton.logger)
        try await app.test(.live) { client in
            let publicURL = "http://127.0.0.1:\(try #require(client.port))"
            var configuration = serving
            configuration.server.publicURL = publicURL
            let store = try SQLiteSessionStore(path: databasePath)
            func doctor(_ change: (inout BatonConfiguration) -> Void = { _ in }, store: (any SessionStore)? = nil) async -> [CheckLine] {
                var changed = configuration
                change(&changed)
                // A closed port is retried until the timeout: a short one, as the test needs no patience, but not so short
                // that the live Baton, sharing two cores with the whole suite, misses it (1 s did, twice in a day).
                return await BatonDoctor(
                    configuration: changed, store: store ?? TestBaton.storeWithoutMigrating(databasePath), probeTimeout: .seconds(5), logger: TestBaton.logger
                ).run()
            }
            func failures(_ lines: [CheckLine]) -> [String] { lines.filter { $0.status == .failed }.map(\.subject) }
            func inChatwoot(_ change: @escaping (inout ChatwootSettings) -> Void) -> (inout BatonConfiguration) -> Void {
                { configuration in
                    guard case .chatwoot(var settings)? = configuration.endpoints[0].handover else { return }
                    change(&settings)
                    configuration.endpoints[0].handover = .chatwoot(settings)
                }
            }

            // Before setup: the inbox posts nowhere. (The server makes the bot as it starts, so it may be there already.)
            let before = await doctor()
            #expect(failures(before).contains("test: webhook URL"), "\(before)")
            #expect(Set(failures(before)).isSubset(of: ["test: webhook URL", "test: agent bot"]), "\(before)")
            #expect(before.first { $0.subject == "test: webhook URL" }?.fix?.contains("baton chatwoot setup") == true)

            // Set up, as an operator would: everything passes.
            var setUp = settings
            setUp.webhookSecretFile = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-\(UUID().uuidString)/secret").path
            let setup = await ChatwootSetup(
                endpointID: "test", settings: setUp, publicURL: publicURL, channel: nil,
                client: ChatwootClient(baseURL: chatwoot.baseURL, accountID: chatwoot.accountID, token: chatwoot.adminToken, logger: TestBaton.logger),
                store: store, logger: TestBaton.logger
            ).run()
            #expect(!setup.failed, "\(setup)")
            let green = await doctor()
            #expect(failures(green).isEmpty, "\(green)")
            #expect(Set(green.map(\.subject)).isSuperset(of: [
                "database", "test: token", "test: inbox", "test: webhook URL", "test: webhook secret", "test: agent bot", "test: signed webhook", "public URL",
            ]))

            // Each fault.
            let badToken = await doctor(inChatwoot { $0.apiAccessToken = Secret("not-a-token") })
            #expect(failures(badToken) == ["test: token"])
            let agentToken = try #require(await chatwoot.agentToken())
            let agent = await doctor(inChatwoot { $0.apiAccessToken = Secret(agentToken) })
            #expect(failures(agent) == ["test: token"])
            #expect(agent.first { $0.status == .failed }?.fix?.contains("administrator") == true)
            let account = await doctor(inChatwoot { $0.accountID = 77 })
            #expect(failures(account) == ["test: account"])
            let widget = await chatwoot.channelInbox("webwidget", name: "Website")
            let wrongType = await doctor(inChatwoot { $0.inbox = .id(widget) })
            #expect(failures(wrongType) == ["test: inbox"])
            let missing = await doctor(inChatwoot { $0.inbox = .name("No such inbox") })
            #expect(failures(missing) == ["test: inbox"])
            let secret = await doctor(inChatwoot { $0.webhookSecret = Secret("another-secret-entirely") })
            #expect(failures(secret) == ["test: webhook secret", "test: signed webhook"], "the running Baton refuses its signature too")
            await chatwoot.setWebhookURL("https://elsewhere.example/hook", inboxID: chatwoot.supportInbox)
            #expect(failures(await doctor()) == ["test: webhook URL"])
            await chatwoot.setWebhookURL(publicURL + "/handover/chatwoot", inboxID: chatwoot.supportInbox)
            let unreachable = await doctor { $0.server.publicURL = "http://127.0.0.1:1" }
            #expect(failures(unreachable) == ["test: webhook URL", "test: signed webhook", "public URL"])
            #expect(unreachable.last?.fix?.contains("server.publicURL") == true)
            let flowInbox = await doctor { configuration in
                configuration.endpoints[0].flow = try! FlowLoader().parse(text: "nodes:\n  - handover: { inboxId: \(widget) }\n", file: "f.yaml").0
            }
            #expect(failures(flowInbox) == ["test: flow inbox"])
            let noBot = await doctor(inChatwoot { $0.agentBotName = "Nobody" }, store: try await TestBaton.store(TestBaton.databasePath()))
            #expect(failures(noBot) == ["test: agent bot"])
            let fresh = TestBaton.databasePath()
            try FileManager.default.createDirectory(atPath: (fresh as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let unmigrated = await doctor(store: try SQLiteSessionStore(path: fresh))
            #expect(failures(unmigrated) == ["database"])
            #expect(unmigrated.first?.fix?.contains("baton migrate") == true)
        }
    }
}

extension TestBaton {
    /// The store of an existing test database, as it is.
    static func storeWithoutMigrating(_ path: String) -> any SessionStore {
        try! SQLiteSessionStore(path: path)
    }
}
