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

    /// An HTTP client may open a connection it never uses (a spare in its pool). Until a connection's first request
    /// arrives, the server cannot tell HTTP from a WebSocket upgrade, so nothing else closes it on shutdown.
    @Test func aConnectionThatNeverSentARequestDoesNotHoldAStoppingServer() async throws {
        let chatwoot = try await StandInHarness.start()
        defer { Task { await chatwoot.shutdown() } }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-shutdown-\(UUID().uuidString)")
        let baton = try await BatonProcess.start(config: try CrashRecoveryTests.writeConfig(in: folder, chatwoot: chatwoot))
        defer { if baton.process.isRunning { baton.kill() } }
        let port = try #require(URLComponents(string: baton.baseURL)?.port)
        let silent = try SilentConnection(port: port)
        defer { silent.close() }

        await baton.stop()
        #expect(!baton.process.isRunning)
        #expect(baton.process.terminationReason == .exit, "it exited within 10 s, it was not killed")
    }
}

/// A TCP connection to the loopback port that sends nothing.
struct SilentConnection {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard descriptor >= 0, connected == 0 else { throw ChatError.unexpected("could not connect to 127.0.0.1:\(port): errno \(errno)") }
    }

    func close() { _ = Glibc.close(descriptor) }
}
