import BatonCore
import Foundation
import Testing

/// Stopping Baton (SIGTERM) while a user has the webchat open: the server closes the socket (1001, going away),
/// so the page reconnects (to another instance, or to this one once it is back), and the process exits by itself
/// instead of waiting for the user to leave.
@Suite("Faults: shutdown", .serialized)
struct ShutdownTests {
    @Test func anOpenWebchatSocketDoesNotHoldAStoppingServer() async throws {
        let chatwoot = try await StandInHarness.start()
        defer { Task { await chatwoot.shutdown() } }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-shutdown-\(UUID().uuidString)")
        let baton = try await BatonProcess.start(config: try CrashRecoveryTests.writeConfig(in: folder, chatwoot: chatwoot))
        defer { if baton.process.isRunning { baton.kill() } }
        try await baton.chat { chat in
            _ = try await chat.hello()
            // The socket is read here while the server stops.
            let stopping = Task { await baton.stop() }
            var closed = false
            do {
                while true { _ = try await chat.inbox.next(within: .seconds(15)) }
            } catch ChatError.closed {
                closed = true
            }
            #expect(closed, "the stopping server closed the socket")
            await stopping.value
        }
        #expect(!baton.process.isRunning)
        #expect(baton.process.terminationReason == .exit, "it exited, it was not killed")
    }
}
