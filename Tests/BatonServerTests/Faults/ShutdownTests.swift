import BatonCore
import Foundation
import NIOWebSocket
import ProcessSpawning
import Testing
import WSClient

/// Stopping Baton (SIGTERM) while a user has the webchat open: the server closes the socket (1001, going away),
/// so the page reconnects (to another instance, or to this one once it is back), and the process exits by itself
/// instead of waiting for the user to leave.
@Suite("Faults: shutdown", .serialized)
struct ShutdownTests {
    /// Runs `body` with a baton process on a fresh stand-in; the process is killed afterwards if it still runs.
    static func withBaton(_ body: (BatonProcess) async throws -> Void) async throws {
        let chatwoot = try await StandInHarness.start()
        defer { Task { await chatwoot.shutdown() } }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-shutdown-\(UUID().uuidString)")
        let baton = try await BatonProcess.start(config: try CrashRecoveryTests.writeConfig(in: folder, chatwoot: chatwoot))
        defer { if baton.process.isRunning { baton.kill() } }
        try await body(baton)
    }

    @Test func anOpenWebchatSocketDoesNotHoldAStoppingServer() async throws {
        try await Self.withBaton { baton in
            let goodbye = try await baton.chat { chat in
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
            // "Going away", as docs/webchat-protocol.md promises: the page (or another client) reconnects.
            #expect(goodbye?.closeCode == .goingAway, "closed with \(String(describing: goodbye?.closeCode))")
            #expect(baton.process.termination == .exited(0), "it exited, it was not killed")
        }
    }

    /// An HTTP client may open a connection it never uses (a spare in its pool). Until a connection's first request
    /// arrives, the server cannot tell HTTP from a WebSocket upgrade, so nothing else closes it on shutdown.
    @Test func aConnectionThatNeverSentARequestDoesNotHoldAStoppingServer() async throws {
        try await Self.withBaton { baton in
            let port = try #require(URLComponents(string: baton.baseURL)?.port)
            // Connected, and never a byte sent on it.
            let silent = try CapacityLimitTests.Connection(port: port)
            await baton.stop()
            #expect(baton.process.termination == .exited(0), "it exited within 10 s, it was not killed")
            withExtendedLifetime(silent) {}
        }
    }
}
