import BatonConfig
import BatonCore
import Foundation
import Testing

@testable import BatonServer

/// `baton chatwoot setup` against the Chatwoot stand-in: a fresh account made ready, a second run that changes
/// nothing, a dry run that changes nothing, and the refusals that name their fix.
@Suite("Operations: chatwoot setup")
struct ChatwootSetupTests {
    static let publicURL = "https://baton.example.com"

    /// Settings for the harness's account naming `inbox`, with a secret file in `folder`.
    static func settings(_ chatwoot: StandInHarness, inbox: ChatwootInboxChoice?, token: String? = nil, folder: URL) -> ChatwootSettings {
        var settings = ChatwootSettings(baseURL: chatwoot.baseURL, accountID: chatwoot.accountID, apiAccessToken: Secret(token ?? chatwoot.adminToken))
        settings.inbox = inbox
        settings.webhookSecretFile = folder.appendingPathComponent("secrets/chatwoot-webhook-secret").path
        return settings
    }

    static func setup(
        _ chatwoot: StandInHarness, _ settings: ChatwootSettings, store: any SessionStore, agents: [String] = [], dryRun: Bool = false,
        publicURL: String? = publicURL
    ) async -> [CheckLine] {
        let client = ChatwootClient(baseURL: settings.baseURL, accountID: settings.accountID, token: settings.apiAccessToken.value, logger: TestBaton.logger)
        return await ChatwootSetup(
            endpointID: "support", settings: settings, publicURL: publicURL, channel: nil, client: client, store: store, agents: agents, dryRun: dryRun,
            logger: TestBaton.logger
        ).run()
    }

    static func folder() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("baton-setup-\(UUID().uuidString)") }

    static func statuses(_ lines: [CheckLine]) -> [String: CheckLine.Status] {
        Dictionary(lines.map { ($0.subject, $0.status) }, uniquingKeysWith: { first, _ in first })
    }

    @Test func aFreshAccountIsMadeReadyAndASecondRunChangesNothing() async throws {
        let chatwoot = try await StandInHarness.start()
        defer { Task { await chatwoot.shutdown() } }
        let folder = Self.folder()
        let store = try await TestBaton.store(TestBaton.databasePath())
        let settings = Self.settings(chatwoot, inbox: .name("Baton handover"), folder: folder)
        let agents = ["new.agent@acme.example", "maria@acme.example"]

        let first = await Self.setup(chatwoot, settings, store: store, agents: agents)
        #expect(!first.failed, "\(first)")
        let status = Self.statuses(first)
        #expect(status["token"] == .ok)
        #expect(status["inbox"] == .changed)
        #expect(status["webhook secret"] == .changed)
        #expect(status["agent bot"] == .changed)
        #expect(first.filter { $0.subject == "agent" }.map(\.status) == [.changed, .changed])
        let inbox = try #require(await chatwoot.inbox(named: "Baton handover"))
        #expect(inbox.webhookURL == Self.publicURL + "/handover/chatwoot")
        #expect(inbox.agentBotID == nil, "a handover inbox's conversations must not start pending for a bot")
        #expect(Set(inbox.memberEmails) == Set(agents))
        #expect(await chatwoot.accountEmails().contains("new.agent@acme.example"))
        let path = try #require(settings.webhookSecretFile)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == inbox.secret + "\n")
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600, "the secret file is its owner's alone")
        #expect(await chatwoot.agentBots().map(\.name) == ["Baton"])
        #expect(first.last?.detail.contains("inbox \(inbox.id)") == true, "it says which inbox handovers go to: \(first.last?.detail ?? "")")

        let inboxes = await chatwoot.inboxCount()
        let second = await Self.setup(chatwoot, settings, store: store, agents: agents)
        #expect(!second.failed)
        #expect(second.allSatisfy { $0.status == .ok }, "\(second)")
        #expect(second.last?.detail.hasPrefix("nothing to change") == true)
        #expect(await chatwoot.inboxCount() == inboxes)
        #expect(await chatwoot.agentBots().count == 1)

        // A new name for the bot: the remembered bot is renamed, not a second one made.
        var renamed = settings
        renamed.agentBotName = "Acme assistant"
        let third = await Self.setup(chatwoot, renamed, store: store)
        #expect(Self.statuses(third)["agent bot"] == .changed)
        #expect(await chatwoot.agentBots().map(\.name) == ["Acme assistant"])
        #expect(await chatwoot.specViolations().isEmpty, "every call as Chatwoot's OpenAPI spec has it")
    }

    @Test func aDryRunSaysWhatItWouldDoAndChangesNothing() async throws {
        let chatwoot = try await StandInHarness.start()
        defer { Task { await chatwoot.shutdown() } }
        let folder = Self.folder()
        let store = try await TestBaton.store(TestBaton.databasePath())
        let inboxes = await chatwoot.inboxCount()
        let lines = await Self.setup(chatwoot, Self.settings(chatwoot, inbox: .name("Baton handover"), folder: folder), store: store, agents: ["x@acme.example"], dryRun: true)
        #expect(!lines.failed, "\(lines)")
        #expect(Self.statuses(lines)["inbox"] == .planned)
        #expect(Self.statuses(lines)["agent bot"] == .planned)
        #expect(Self.statuses(lines)["agent"] == .planned)
        #expect(await chatwoot.inboxCount() == inboxes)
        #expect(await chatwoot.agentBots().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("secrets").path))

        // An existing inbox whose webhooks go elsewhere.
        let adopted = await Self.setup(chatwoot, Self.settings(chatwoot, inbox: .id(chatwoot.supportInbox), folder: folder), store: store, dryRun: true)
        #expect(Self.statuses(adopted)["webhook URL"] == .planned)
        #expect(Self.statuses(adopted)["webhook secret"] == .planned)
        #expect(Self.statuses(adopted)["agent bot"] == .planned)
        #expect(await chatwoot.inbox(id: chatwoot.supportInbox)?.webhookURL.map(\.isEmpty) ?? true)
    }

    @Test func anExistingInboxIsAdoptedByIdAndPointedAtBaton() async throws {
        let chatwoot = try await StandInHarness.start()
        defer { Task { await chatwoot.shutdown() } }
        let folder = Self.folder()
        let settings = Self.settings(chatwoot, inbox: .id(chatwoot.supportInbox), folder: folder)
        let lines = await Self.setup(chatwoot, settings, store: try await TestBaton.store(TestBaton.databasePath()))
        #expect(!lines.failed, "\(lines)")
        #expect(Self.statuses(lines)["inbox"] == .ok)
        #expect(Self.statuses(lines)["webhook URL"] == .changed)
        #expect(await chatwoot.inbox(id: chatwoot.supportInbox)?.webhookURL == Self.publicURL + "/handover/chatwoot")
        #expect(try String(contentsOfFile: try #require(settings.webhookSecretFile), encoding: .utf8) == chatwoot.secret + "\n")
    }

    @Test func refusalsNameTheirFix() async throws {
        let chatwoot = try await StandInHarness.start()
        defer { Task { await chatwoot.shutdown() } }
        let folder = Self.folder()
        let store = try await TestBaton.store(TestBaton.databasePath())
        let inboxes = await chatwoot.inboxCount()
        func failure(_ settings: ChatwootSettings, publicURL: String? = Self.publicURL) async -> CheckLine? {
            let lines = await Self.setup(chatwoot, settings, store: store, publicURL: publicURL)
            #expect(lines.last?.status == .failed, "\(lines)")
            return lines.last
        }

        let agent = await failure(Self.settings(chatwoot, inbox: .name("Baton handover"), token: await chatwoot.agentToken(), folder: folder))
        #expect(agent?.subject == "token" && agent?.detail.contains("agent") == true)
        #expect(agent?.fix?.contains("administrator") == true)

        let unknown = await failure(Self.settings(chatwoot, inbox: .name("Baton handover"), token: "not-a-token", folder: folder))
        #expect(unknown?.subject == "token" && unknown?.detail.contains("401") == true)

        var otherAccount = Self.settings(chatwoot, inbox: .name("Baton handover"), folder: folder)
        otherAccount.accountID = 999
        let account = await failure(otherAccount)
        #expect(account?.subject == "account" && account?.fix?.contains("accountId") == true)

        let widget = await chatwoot.channelInbox("webwidget", name: "Website")
        let wrongType = await failure(Self.settings(chatwoot, inbox: .id(widget), folder: folder))
        #expect(wrongType?.subject == "inbox" && wrongType?.detail.contains("Channel::WebWidget") == true)
        #expect(wrongType?.fix?.contains("API") == true)
        let byName = await failure(Self.settings(chatwoot, inbox: .name("Website"), folder: folder))
        #expect(byName?.subject == "inbox", "a name that is another kind of inbox is not created again")

        let missing = await failure(Self.settings(chatwoot, inbox: .id(4242), folder: folder))
        #expect(missing?.subject == "inbox" && missing?.detail.contains("4242") == true)

        let noURL = await failure(Self.settings(chatwoot, inbox: .name("Baton handover"), folder: folder), publicURL: nil)
        #expect(noURL?.subject == "public URL" && noURL?.fix?.contains("server.publicURL") == true)

        #expect(await chatwoot.inboxCount() == inboxes + 1, "nothing was created but the widget inbox of the test")
    }
}
