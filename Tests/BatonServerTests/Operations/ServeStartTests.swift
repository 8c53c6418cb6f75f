import Foundation
import Testing

/// How `baton serve` ends when it cannot start: a sentence for the operator and a failing exit status.
@Suite("Operations: serve's start")
struct ServeStartTests {
    /// Another program on the configured port: the error names the address and the two ways to choose another,
    /// not the system call that failed.
    @Test func aPortAnotherProgramHoldsIsNamedWithWhatToDo() async throws {
        let holder = try await StandInHarness.start()
        defer { Task { await holder.shutdown() } }
        let port = try #require(URLComponents(string: holder.baseURL)?.port)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-busy-port-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "nodes:\n  - say: \"Hello!\"\n".write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        let config = folder.appendingPathComponent("baton.yaml")
        try """
            server: { host: 127.0.0.1, port: \(port) }
            storage: { sqlite: { path: baton.sqlite } }
            endpoints:
              test:
                name: Test
                urlToken: t0k3n
                flow: flow.yaml
                channels: { rest: { enabled: true } }
            """.write(to: config, atomically: true, encoding: .utf8)

        let error = await #expect(throws: ChatError.self) { try await BatonProcess.start(config: config) }
        let said = error.map { "\($0)" } ?? ""
        #expect(said.contains("exited(1)"), "\(said)")
        #expect(said.contains("cannot listen on 127.0.0.1:\(port): another program is using that port"), "\(said)")
        #expect(said.contains("server.port") && said.contains("BATON_SERVER_PORT"), "\(said)")
        #expect(!said.contains("bind("), "the system call is not the message: \(said)")
    }
}
