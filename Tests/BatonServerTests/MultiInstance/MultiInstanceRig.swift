import BatonConfig
import BatonCore
import BatonStorePostgres
import Foundation
import Logging
import NIOCore
import NIOWebSocket
import PostgresNIO
import Synchronization
import WSClient

/// A PostgreSQL database of its own for one test, made on the server `BATON_TEST_POSTGRES_URL` names (see
/// `scripts/start-postgres`), so the processes of one test see none of another's rows, notifications or bots.
struct ScratchDatabase: Sendable {
    let name: String
    /// A URL like the server's, naming this database.
    let url: String

    static let urlVariable = "BATON_TEST_POSTGRES_URL"
    /// `BATON_TEST_SKIP_POSTGRES=1` leaves these tests out on purpose; without it a missing server fails them.
    static var isSkipped: Bool { ProcessInfo.processInfo.environment["BATON_TEST_SKIP_POSTGRES"] == "1" }

    /// The server's URL and one client for making and dropping databases, shared by the tests of the process and
    /// never shut down (the process ends).
    static let server: Result<(url: String, admin: PostgresClient), any Error> = Result {
        guard let url = ProcessInfo.processInfo.environment[urlVariable], !url.isEmpty else {
            throw SetupError(
                "\(urlVariable) is not set, so several Baton processes on one PostgreSQL cannot be tested. Run scripts/test, or "
                    + "`eval \"$(scripts/start-postgres)\"` before `swift test`, or set BATON_TEST_SKIP_POSTGRES=1 to skip these tests.")
        }
        let settings: PostgresStorageSettings
        do { settings = try PostgresStorageSettings(url: url, maxConnections: 2) } catch { throw SetupError("\(urlVariable): \(error)") }
        let admin = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: Logger(label: "baton.test.multi-instance"))
        Task { await admin.run() }
        return (url, admin)
    }

    static func create() async throws -> ScratchDatabase {
        let (url, admin) = try server.get()
        // Our own name of hex digits, so splicing it into the statement is safe.
        let name = "mi_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin.query("CREATE DATABASE \(unescaped: name)")
        var components = URLComponents(string: url)!
        components.path = "/" + name
        return ScratchDatabase(name: name, url: components.string!)
    }

    /// Drops the database, cutting what is still connected (a killed process's connections linger a moment).
    func drop() async {
        guard let admin = try? Self.server.get().admin else { return }
        _ = try? await admin.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)")
    }

    struct SetupError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// Real `baton` processes (`.build/debug/baton`) sharing one fresh PostgreSQL database, and the Chatwoot stand-in
/// they hand over to. Every process has its own Chatwoot API token, so the stand-in's request log tells which
/// process made each call.
final class MultiInstanceRig: Sendable {
    let chatwoot: StandInHarness
    let database: ScratchDatabase
    let folder: URL
    private let started = Mutex<[BatonProcess]>([])

    static let botName = "Baton multi"

    private init(chatwoot: StandInHarness, database: ScratchDatabase, folder: URL) {
        self.chatwoot = chatwoot
        self.database = database
        self.folder = folder
    }

    /// Runs `body` with a fresh rig, then stops every process it started, drops the database and stops the stand-in.
    static func with(_ body: (MultiInstanceRig) async throws -> Void) async throws {
        let database = try await ScratchDatabase.create()
        let chatwoot = try await StandInHarness.start()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-multi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try HandoverEndToEndTests.flowText(support: chatwoot.supportInbox, vip: chatwoot.vipInbox)
            .write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        let rig = MultiInstanceRig(chatwoot: chatwoot, database: database, folder: folder)
        do {
            try await body(rig)
        } catch {
            await rig.tearDown()
            throw error
        }
        await rig.tearDown()
    }

    private func tearDown() async {
        for process in started.withLock({ $0 }) { await process.stop() }
        await database.drop()
        await chatwoot.shutdown()
        try? FileManager.default.removeItem(at: folder)
    }

    /// One process's config: the shared database, its own Chatwoot token, the given timing.
    struct Instance: Sendable {
        let name: String
        let config: URL
        /// The stand-in's name for this process's token (`RecordedRequest.tokenOwner`).
        let tokenOwner: String
    }

    /// Writes the config of a process named `name`.
    /// Without `leaseSeconds` (or `startupReconcileDelaySeconds`), Baton's default is what the processes run with.
    /// With `bouncer`, the store goes through it and only the hub's listener straight to PostgreSQL (`listenURL`),
    /// unless not `listenDirectly`.
    func instance(
        _ name: String, requestTimeoutSeconds: Int = 5, leaseSeconds: Int? = nil, startupReconcileDelaySeconds: Int? = nil,
        limits: String = "{ messagesPerMinute: 100000 }", endpointExtra: [String] = [], log: String = "{ level: warning }",
        through bouncer: PgBouncer? = nil, listenDirectly: Bool = true
    ) async throws -> Instance {
        let (token, owner) = await chatwoot.addAdministrator("Baton \(name)")
        let config = BatonProcess.configText(
            storage: bouncer.map { "{ postgres: { url: \"\($0.url(for: database.url))\"\(listenDirectly ? ", listenURL: \"\(database.url)\"" : ""), maxConnections: 6 } }" }
                ?? "{ postgres: { url: \"\(database.url)\", maxConnections: 6 } }",
            delivery: "{ requestTimeoutSeconds: \(requestTimeoutSeconds)\(leaseSeconds.map { ", leaseSeconds: \($0)" } ?? "")"
                + "\(startupReconcileDelaySeconds.map { ", startupReconcileDelaySeconds: \($0)" } ?? "") }", chatwoot: chatwoot, token: token,
            chatwootExtra: ["agentBotName: \(Self.botName)", "forwardUserTyping: true"], endpointExtra: endpointExtra, log: log, limits: limits)
        let url = folder.appendingPathComponent("baton-\(name).yaml")
        try config.write(to: url, atomically: true, encoding: .utf8)
        return Instance(name: name, config: url, tokenOwner: owner)
    }

    /// Starts a `baton serve` process; it is stopped when the test ends.
    func launch(_ instance: Instance) async throws -> BatonProcess {
        let process = try await BatonProcess.start(config: instance.config)
        started.withLock { $0.append(process) }
        return process
    }
}

// MARK: - Talking to a process

extension BatonProcess {
    /// Posts a user message through the REST channel; the answer must be 200 (the message is stored).
    /// - Returns: the session id.
    @discardableResult
    func say(_ text: String, session: String? = nil, clientID: String? = nil) async throws -> String {
        var body: JSONValue = ["text": .string(text)]
        if let session { body = body.setting(.string(session), at: ["sessionId"]) }
        if let clientID { body = body.setting(.string(clientID), at: ["clientMessageId"]) }
        let answer = try await post("/api/v1/endpoints/t0k3n/messages", json: body.jsonText)
        guard answer.status == 200, case .string(let id)? = try JSONValue(jsonText: answer.body)["sessionId"] else {
            throw ChatError.unexpected("\(baseURL) answered \(answer.status): \(answer.body)")
        }
        return id
    }

    /// A new REST user who asks for an agent: returns the session id once the handover is asked for.
    func newUserInHandover() async throws -> String {
        let session = try await say("hi")
        try await say("Ada", session: session)
        try await say("agent", session: session)
        return session
    }

    /// Opens a real webchat socket to this process, runs `body` with it, then closes it.
    /// - Returns: the close frame the server sent, when it closed the socket first.
    @discardableResult
    func chat(_ body: @escaping @Sendable (Chat) async throws -> Void) async throws -> WebSocketCloseFrame? {
        let url = "ws" + baseURL.dropFirst("http".count) + "/webchat/t0k3n/socket"
        let failure = Failure()
        var logger = Logger(label: "baton.test.socket")
        logger.logLevel = .warning
        let closed = try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
            try await Chat.run(inbound: inbound, outbound: outbound, failure: failure, body)
        }
        if let error = await failure.error { throw error }
        return closed
    }
}

extension Chat {
    /// Reads frames, skipping the others, until one matches; fails after `timeout`.
    @discardableResult
    func until(_ what: String, within timeout: Duration = .seconds(20), _ matches: (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw ChatError.timedOut(waitingFor: what) }
            do {
                let frame = try await inbox.next(within: left)
                if matches(frame) { return frame }
            } catch ChatError.timedOut {
                throw ChatError.timedOut(waitingFor: what)
            }
        }
    }

    /// A message frame whose message has this sender and text.
    static func isMessage(_ frame: JSONValue, from sender: String, _ text: String) -> Bool {
        frame["type"] == "message" && frame["message"]?["sender"] == .string(sender) && frame["message"]?.text == text
    }

    /// A new visitor who asks for an agent; returns the session id once the handover is active.
    func newVisitorInActiveHandover() async throws -> String {
        try await send(["type": "hello", "session": .null, "after": 0, "handoverUpdates": true])
        let ready = try await until("ready") { $0["type"] == "ready" }
        guard case .string(let session)? = ready["session"] else { throw ChatError.unexpected("no session in \(ready.jsonText)") }
        try await until("the name question") { Self.isMessage($0, from: "bot", "Your name?") }
        try await say("Ada", clientID: "c-name")
        try await until("the bot's next question") { Self.isMessage($0, from: "bot", "Say something") }
        try await say("agent", clientID: "c-agent")
        try await until("the handover to be active", within: .seconds(30)) { $0["type"] == "handover" && $0["phase"] == "active" }
        return session
    }
}
