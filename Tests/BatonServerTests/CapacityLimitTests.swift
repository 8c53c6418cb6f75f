import BatonConfig
import BatonCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import BatonServer

#if canImport(Glibc)
import Glibc
#endif

/// Above its connection cap the server answers 503 with a reason and closes, instead of running out of file
/// descriptors; above its in-flight cap it answers 503 too.
@Suite("Capacity limits")
struct CapacityLimitTests {
    /// Runs `work` on a thread of its own and returns its result.
    static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: work()) }
        }
    }

    /// A plain TCP connection to the server. (Its descriptor is used by one thread at a time.)
    final class Connection: @unchecked Sendable {
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard result == 0 else { throw ChatError.unexpected("connect failed: \(errno)") }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        /// Sends a GET on this connection and reads one whole answer (headers and `Content-Length` bytes), or what
        /// came before the server closed.
        func get(_ path: String, keepAlive: Bool = false) -> String {
            let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n"
            _ = request.withCString { send(fd, $0, strlen($0), 0) }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !Self.isComplete(received) {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count <= 0 { break }
                received += buffer[0..<count]
            }
            return String(decoding: received, as: UTF8.self)
        }

        static func isComplete(_ bytes: [UInt8]) -> Bool {
            let text = String(decoding: bytes, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { return false }
            let headers = text[..<end.lowerBound].lowercased()
            guard let line = headers.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
            else { return false }
            return text[end.upperBound...].utf8.count >= length
        }

        deinit { close(fd) }
    }

    /// Runs `body` with the port of a whole Baton server on loopback whose server settings `adjust` changed.
    static func withServer(
        _ adjust: (inout ServerSettings) -> Void, logger: Logger = TestBaton.logger, _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        var configuration = try TestBaton.configuration(databasePath: TestBaton.databasePath())
        adjust(&configuration.server)
        let app = try await buildApplication(configuration: configuration, dependencies: .live(configuration), logger: logger)
        try await app.test(.live) { client in try await body(try #require(client.port)) }
    }

    /// Refusing at the cap is what Baton means to do: no error lines (not even from the HTTP layer, which would see
    /// the refused connections end), one warning when refusing starts, one notice with the count when there is room
    /// again, and a counter.
    @Test func connectionsAboveTheCapGet503WithAReasonAndTheServerGoesOn() async throws {
        let lines = Mutex<[String]>([])
        let logger = Logger.baton(LogSettings(level: "debug", format: .json), jsonOutput: JSONLogOutput { line in lines.withLock { $0.append(line) } })
        try await Self.withServer({ $0.maxConnections = 3 }, logger: logger) { port in
            // Blocking socket calls, so on a thread of their own: on a machine of two cores the cooperative pool has
            // two threads, and the server's handlers need them while this waits for an answer.
            let seen = try await Self.onOwnThread { () -> Result<CapSequence, any Error> in Result { try CapSequence(port: port) } }.get()
            let refusal = try #require(seen.firstRefusal, "a fourth connection is over the cap of 3")
            #expect(refusal.hasPrefix("HTTP/1.1 503"), "\(refusal)")
            #expect(refusal.contains("server_busy"))
            #expect(refusal.contains("Retry-After: 1"))
            #expect((2...3).contains(seen.admitted))
            #expect(seen.heldStillServed, "a held connection is still served")
            let (answer, refusals) = (seen.afterClose, seen.refusals)
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            #expect(refusals.allSatisfy { $0.hasPrefix("HTTP/1.1 503") }, "every refusal is a 503: \(refusals)")
            #expect(answer.contains(#"baton_requests_refused_total{reason="connection_cap"} \#(refusals.count)"#), "\(answer)")

            let records = try lines.withLock { $0 }.map { try JSONValue(jsonText: $0) }
            #expect(!records.contains { $0["level"] == "error" || $0["level"] == "critical" }, "no error lines: \(records.map(\.jsonText))")
            #expect(records.filter { $0["message"]?.stringValue?.hasPrefix("at the cap") == true }.count == 1)
            let again = records.filter { $0["message"]?.stringValue?.hasPrefix("below the cap again") == true }
            #expect(again.count == 1)
            #expect(again.first?["refused"]?.stringValue == String(refusals.count))
        }
    }

    /// What a client sees of the connection cap of 3, connecting with blocking sockets.
    struct CapSequence {
        /// The first refused connection's answer, if one was refused within four.
        var firstRefusal: String?
        /// Connections admitted before it (the test client's own may take a slot too).
        var admitted = 0
        /// Whether a held connection is still answered after more refusals.
        var heldStillServed = false
        /// The answer to the first connection served again once a held one closed (`/metrics`).
        var afterClose = ""
        /// Every refusal's answer.
        var refusals: [String] = []

        init(port: Int) throws {
            // Connections are admitted as the server sets them up: open them one by one, each proven admitted by an
            // answer, until the cap refuses one.
            var held: [Connection] = []
            while refusals.isEmpty, held.count < 4 {
                let connection = try Connection(port: port)
                let answer = connection.get("/healthz", keepAlive: true)
                if answer.hasPrefix("HTTP/1.1 200") { held.append(connection) } else { refusals.append(answer) }
            }
            firstRefusal = refusals.first
            admitted = held.count
            guard firstRefusal != nil, !held.isEmpty else { return }
            // More refusals: still one warning.
            for _ in 0..<5 { refusals.append(try Connection(port: port).get("/healthz")) }
            heldStillServed = held[0].get("/healthz", keepAlive: true).hasPrefix("HTTP/1.1 200")
            // Once one closes, new connections are served again (the server frees the slot when it sees the close).
            held.removeLast()
            for _ in 0..<500 where !afterClose.hasPrefix("HTTP/1.1 200") {
                afterClose = try Connection(port: port).get("/metrics")
                if !afterClose.hasPrefix("HTTP/1.1 200") { refusals.append(afterClose) }
            }
        }
    }

    /// Idle connections, before their first request or between two, would otherwise hold slots of the connection
    /// cap for as long as clients like.
    /// Closing them is Baton's choice, so it is no error either (it is logged at debug).
    @Test func idleConnectionsAreClosedAfterTheIdleTimeout() async throws {
        let lines = Mutex<[String]>([])
        let logger = Logger.baton(LogSettings(level: "debug", format: .json), jsonOutput: JSONLogOutput { line in lines.withLock { $0.append(line) } })
        try await Self.withServer({ $0.idleTimeoutSeconds = 1 }, logger: logger) { port in
            let silent = try Connection(port: port)
            let keptAlive = try Connection(port: port)
            // Blocking socket calls, so on a thread of their own: the server needs the cooperative pool's few threads.
            let (answer, keptAliveEnd, silentEnd) = await Self.onOwnThread { () -> (String, Int, Int) in
                let answer = keptAlive.get("/healthz", keepAlive: true)
                // Each returns when the server closes the connection (0) or the socket's 10 s receive timeout passes (-1).
                var byte: UInt8 = 0
                return (answer, recv(keptAlive.fd, &byte, 1, 0), recv(silent.fd, &byte, 1, 0))
            }
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            #expect(keptAliveEnd == 0, "the kept-alive connection was closed once idle for a second")
            #expect(silentEnd == 0, "so was the one that never sent a request")
        }
        let records = try lines.withLock { $0 }.map { try JSONValue(jsonText: $0) }
        #expect(!records.contains { $0["level"] == "error" }, "no error lines: \(records.map(\.jsonText))")
        #expect(records.contains { $0["message"] == "connection closed before its first request" && $0["level"] == "debug" })
    }

    @Test func requestsAboveTheInFlightCapGet503() async throws {
        let entered = Latch()
        let release = Latch()
        let router = Router()
        router.addMiddleware { InFlightLimitMiddleware(limit: 1) }
        router.get("slow") { _, _ -> String in
            await entered.open()
            try await release.wait()
            return "done"
        }
        router.get("fast") { _, _ in "fast" }
        try await Application(router: router).test(.router) { client in
            async let slow = client.execute(uri: "/slow", method: .get)
            try await entered.wait()
            let busy = try await client.execute(uri: "/fast", method: .get)
            #expect(busy.status == .serviceUnavailable)
            #expect(busy.headers[.retryAfter] == "1")
            #expect(String(buffer: busy.body).contains("server_busy"))
            await release.open()
            #expect(try await slow.status == .ok)
            #expect(try await client.execute(uri: "/fast", method: .get).status == .ok)
        }
    }
}
