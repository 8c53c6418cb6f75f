import BatonCore
import Foundation
import ProcessSpawning
import Synchronization
import Testing

@testable import BatonServer

#if canImport(Glibc)
import Glibc
#endif

/// The newcomer's path with the real `baton` executable: a config naming an inbox that does not exist yet, one
/// `baton chatwoot setup`, `baton serve`, and a handover that works both ways, with no flow edited for an inbox id.
/// `baton doctor` is green on the running deployment.
@Suite("Operations: setup command", .serialized)
struct SetupCommandEndToEndTests {
    @Test func oneSetupCommandTakesAFreshChatwootToAWorkingHandover() async throws {
        let chatwoot = try await StandInHarness.start()
        defer { Task { await chatwoot.shutdown() } }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-newcomer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try """
            nodes:
              - say: "Hello!"
              - handover: { acceptedMessage: "An agent will be with you shortly." }
              - say: "Back with the bot."
            """.write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        // Chatwoot needs Baton's address before Baton runs: a port chosen now.
        let port = try LoopbackPort.free()
        let config = folder.appendingPathComponent("baton.yaml")
        try """
            server: { host: 127.0.0.1, port: \(port), publicURL: "http://127.0.0.1:\(port)" }
            storage: { sqlite: { path: baton.sqlite } }
            log: { level: warning }
            endpoints:
              test:
                name: Test
                urlToken: t0k3n
                flow: flow.yaml
                channels: { webchat: { enabled: true }, rest: { enabled: true } }
                handover:
                  provider: chatwoot
                  chatwoot:
                    baseURL: \(chatwoot.baseURL)
                    accountId: \(chatwoot.accountID)
                    apiAccessToken: \(chatwoot.adminToken)
                    inbox: Website handover
                    webhookSecretFile: secrets/chatwoot-webhook-secret
            """.write(to: config, atomically: true, encoding: .utf8)

        let setup = try await Self.baton(["chatwoot", "setup", "--config", config.path])
        #expect(setup.status == 0, "\(setup.output)")
        #expect(setup.output.contains("created the API-channel inbox 'Website handover'"), "\(setup.output)")
        let inbox = try #require(await chatwoot.inbox(named: "Website handover"))
        #expect(setup.output.contains("use inbox \(inbox.id)"))
        let again = try await Self.baton(["chatwoot", "setup", "--config", config.path])
        #expect(again.status == 0 && again.output.contains("nothing to change"), "\(again.output)")
        #expect(!setup.output.contains(inbox.secret) && !again.output.contains(chatwoot.adminToken), "no secret is printed")

        let baton = try await BatonProcess.start(config: config)
        defer { baton.kill() }
        let doctor = try await Self.baton(["doctor", "--config", config.path])
        #expect(doctor.status == 0, "\(doctor.output)")

        let first = try JSONValue(jsonText: try await baton.post("/api/v1/endpoints/t0k3n/messages", json: #"{"text":"I need a person"}"#).body)
        let session = try #require(first["sessionId"]?.stringValue)
        let conversation = try await chatwoot.waitForConversation(session: session)
        #expect(await chatwoot.inbox(id: inbox.id) != nil)
        #expect(await chatwoot.conversationInbox(conversation) == inbox.id, "the config's inbox, with no inboxId in the flow")
        _ = try await chatwoot.reply(conversation, "Hi, I am Maria")
        // The reply came back through the webhook, signed with the secret setup wrote.
        _ = try await CrashRecoveryTests.waitForAgentTexts(["Hi, I am Maria"], session: session, baton: baton)
    }

    /// Runs `baton` with `arguments` to its end; its standard output and exit status.
    static func baton(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let pipe = Pipe()
        let lines = Box<[String]>([])
        let done = Latch()
        ChildProcesses.readLines(pipe.fileHandleForReading) { line in
            guard let line else {
                Task { await done.open() }
                return
            }
            lines.value.withLock { $0.append(line) }
        }
        // Its standard error on a pipe of its own, shown with the test's output as the server's is.
        let process = try ChildProcesses.spawn(
            BatonProcess.executable.path, arguments: arguments, standardOutput: .pipe(pipe), standardError: .pipe(ChildProcesses.forwardingPipe())
        )
        // A command that hangs fails the test instead of holding the suite.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await done.wait() }
            group.addTask {
                try await Task.sleep(for: .seconds(60))
                process.send(SIGTERM)
                throw ChatError.timedOut(waitingFor: "baton \(arguments.joined(separator: " "))")
            }
            try await group.next()
            group.cancelAll()
        }
        process.waitUntilExit()
        guard case .exited(let status) = process.termination else { throw ChatError.unexpected("baton \(arguments.first ?? "") was killed: \(String(describing: process.termination))") }
        return (status, lines.value.withLock { $0 }.joined(separator: "\n"))
    }
}
