import BatonConfig
import BatonCore
import BatonServer
import BatonStoreSQLite
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization

/// Baton live against the Chatwoot stand-in with short retry waits and a short request timeout, for fault tests.
/// Users talk over the REST channel, each with a user id of their own.
enum FaultRig {
    static let retry = RetryPolicy(base: .milliseconds(20), cap: .milliseconds(250), giveUpAfter: .seconds(60), openGiveUpAfter: .seconds(60))

    static func app(
        _ chatwoot: StandInHarness, databasePath: String, retry: RetryPolicy = retry, requestTimeoutSeconds: Int = 1
    ) async throws -> some ApplicationProtocol {
        let flow = try FlowLoader().parse(text: HandoverEndToEndTests.flowText(support: chatwoot.supportInbox, vip: chatwoot.vipInbox), file: "e2e.yaml").0
        let settings = ChatwootSettings(
            baseURL: chatwoot.baseURL, accountID: chatwoot.accountID, apiAccessToken: Secret(chatwoot.adminToken), agentBotName: "Fault bot",
            agentBotDescription: "Baton under faults", webhookSecret: Secret(chatwoot.secret))
        let endpoint = EndpointConfiguration(id: "test", name: "Faults", urlToken: "t0k3n", flowFile: "e2e.yaml", flow: flow, handover: .chatwoot(settings))
        let configuration = BatonConfiguration(
            server: ServerSettings(host: "127.0.0.1", port: 0), storage: StorageSettings(sqlitePath: databasePath), log: LogSettings(),
            admin: AdminSettings(token: Secret(TestBaton.adminToken)), limits: TestBaton.generousLimits,
            delivery: DeliverySettings(requestTimeoutSeconds: requestTimeoutSeconds), endpoints: [endpoint], sourceFile: nil)
        var dependencies = try AppDependencies.live(configuration)
        dependencies.retryPolicy = retry
        return try await buildApplication(configuration: configuration, dependencies: dependencies, logger: TestBaton.logger)
    }

    /// Runs `body` with Baton live and the stand-in's webhooks pointing at it; checks the stand-in saw only
    /// requests Chatwoot's OpenAPI spec allows.
    static func run(
        retry: RetryPolicy = retry, requestTimeoutSeconds: Int = 1,
        _ body: @escaping @Sendable (StandInHarness, any TestClientProtocol) async throws -> Void
    ) async throws {
        let chatwoot = try await StandInHarness.start()
        do {
            try await app(chatwoot, databasePath: TestBaton.databasePath(), retry: retry, requestTimeoutSeconds: requestTimeoutSeconds).test(.live) { client in
                await chatwoot.pointWebhooks(to: "http://127.0.0.1:\(client.port ?? 0)/handover/chatwoot")
                try await body(chatwoot, client)
            }
        } catch {
            await chatwoot.shutdown()
            throw error
        }
        let violations = await chatwoot.specViolations()
        await chatwoot.shutdown()
        if !violations.isEmpty { throw ChatError.unexpected("requests outside Chatwoot's spec: \(violations)") }
    }
}

/// One REST user in a handover.
struct RESTUser: Sendable {
    let client: any TestClientProtocol
    let userID: String
    let session: String

    static let path = "/api/v1/endpoints/t0k3n/messages"

    /// Starts a session, gives a name and asks for an agent; returns once Chatwoot has the conversation.
    static func inHandover(_ userID: String, client: any TestClientProtocol, chatwoot: StandInHarness) async throws -> (RESTUser, conversation: Int) {
        let first = try await client.postJSON(path, ["text": "hi"])
        guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
        let user = RESTUser(client: client, userID: userID, session: session)
        try await user.say("Ada")
        try await user.say("agent")
        return (user, try await chatwoot.waitForConversation(session: session))
    }

    func say(_ text: String) async throws {
        _ = try await client.postJSON(Self.path, ["sessionId": .string(session), "text": .string(text)])
    }

    /// The session's live messages (moved and deleted ones left out), oldest first.
    func transcript() async throws -> [JSONValue] {
        let page = try await client.getJSON("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=0&limit=500")
        guard case .array(let messages)? = page["messages"] else { return [] }
        return messages.filter { $0["retracted"] != .bool(true) }
    }

    /// Joins the session's webchat and waits until its agent messages include every one of `texts`; returns the
    /// agent texts as shown, in order.
    func waitForAgentTexts(_ texts: [String], timeout: Duration = .seconds(30)) async throws -> [String] {
        let shown = Mutex<[String]>([])
        try await client.chat("t0k3n") { chat in
            _ = try await chat.hello(session: session)
            let texts = try await chat.agentTexts(including: Set(texts), within: timeout)
            shown.withLock { $0 = texts }
        }
        return shown.withLock { $0 }
    }
}
