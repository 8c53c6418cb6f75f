import Foundation
import ProcessSpawning
import Testing

/// How `baton serve` starts: with as many serving threads as it is told, and, when it cannot start, with a sentence
/// for the operator and a failing exit status.
@Suite("Operations: serve's start")
struct ServeStartTests {
    /// Another program on the configured port: the error names the address and the two ways to choose another,
    /// not the system call that failed.
    @Test func aPortAnotherProgramHoldsIsNamedWithWhatToDo() async throws {
        let holder = try await StandInHarness.start()
        defer { Task { await holder.shutdown() } }
        let port = try #require(URLComponents(string: holder.baseURL)?.port)
        let config = try Self.config(server: "host: 127.0.0.1, port: \(port)")

        let error = await #expect(throws: ChatError.self) { try await BatonProcess.start(config: config) }
        let said = error.map { "\($0)" } ?? ""
        #expect(said.contains("exited(1)"), "\(said)")
        #expect(said.contains("cannot listen on 127.0.0.1:\(port): another program is using that port"), "\(said)")
        #expect(said.contains("server.port") && said.contains("BATON_SERVER_PORT"), "\(said)")
        #expect(!said.contains("bind("), "the system call is not the message: \(said)")
    }

    /// `server.eventLoops` sets how many threads serve connections, in place of one per core: the shared event
    /// loops SwiftNIO names `NIO-SGLTN-…` are that many.
    @Test func theEventLoopsSettingIsHowManyThreadsServe() async throws {
        let loops = 5
        let baton = try await BatonProcess.start(config: try Self.config(server: "host: 127.0.0.1, port: 0, eventLoops: \(loops)"))
        defer { baton.kill() }
        let tasks = "/proc/\(baton.process.processIdentifier)/task"
        let names = try FileManager.default.contentsOfDirectory(atPath: tasks).map {
            try String(contentsOfFile: "\(tasks)/\($0)/comm", encoding: .utf8)
        }
        #expect(names.filter { $0.hasPrefix("NIO-SGLTN-") }.count == loops, "\(names.sorted())")
        #expect(try await baton.post("/api/v1/endpoints/t0k3n/messages", json: #"{"text":"hi"}"#).status == 200)
    }

    /// A config with a REST endpoint whose flow says hello, and `server` as given, in a folder of its own.
    private static func config(server: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-serve-start-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "nodes:\n  - say: \"Hello!\"\n".write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        let config = folder.appendingPathComponent("baton.yaml")
        try BatonProcess.restConfigText(server: "{ \(server) }").write(to: config, atomically: true, encoding: .utf8)
        return config
    }
}
