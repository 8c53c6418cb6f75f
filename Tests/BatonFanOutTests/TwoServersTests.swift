import BatonConfig
import BatonCore
import BatonServer
import BatonStorePostgres
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import Logging
import NIOCore
import NIOWebSocket
import PostgresNIO
import Testing
import WSClient

/// Two whole Baton servers on one PostgreSQL database, as behind a load balancer without sticky sessions.
@Suite("Two servers, one database", .enabled(if: !TwoInstances.isSkipped, "BATON_TEST_SKIP_POSTGRES=1"))
struct TwoServersTests {
    /// The built-in demo, on a free port, with its store on `database` (each server its own pool, as a process has).
    static func server(on database: TestDatabase) async throws -> some ApplicationProtocol {
        var (configuration, _) = try ConfigLoader(environment: [:]).load(path: try #require(DemoConfiguration.configPath))
        configuration.server.port = 0
        let store = PostgresSessionStore(client: PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger), logger: logger)
        let dependencies = AppDependencies(store: store, services: [store.pool], hubRelay: try database.notifications(on: store))
        return try await buildApplication(configuration: configuration, dependencies: dependencies, logger: logger)
    }

    static var logger: Logger {
        var logger = Logger(label: "baton.test.two-servers")
        logger.logLevel = .warning
        return logger
    }

    @Test func aMessagePostedToOneServerReachesAWebchatOnTheOther() async throws {
        try await withDeadline {
            let database = try await TestDatabase.fresh()
            let first = try await Self.server(on: database)
            let second = try await Self.server(on: database)
            try await first.test(.live) { a in
                _ = try await second.test(.live) { b in
                    try await b.ws("/webchat/demo/socket") { inbound, outbound, _ in
                        // Reads have no timeout: should the fan-out fail, closing the socket ends the wait.
                        let watchdog = Task {
                            try await Task.sleep(for: .seconds(20))
                            try await outbound.close(.goingAway, reason: "test timed out")
                        }
                        defer { watchdog.cancel() }
                        try await outbound.write(.text(#"{"type":"hello"}"#))
                        var frames = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                        let ready = try await Self.next(&frames) { $0["type"] == "ready" }
                        guard case .string(let session)? = ready["session"] else { throw TestDatabase.SetupError("no session in \(ready)") }

                        // The same session, through the other server's REST channel.
                        let body = ByteBuffer(string: #"{"sessionId":"\#(session)","text":"Ada","clientMessageId":"c-1"}"#)
                        let response = try await a.execute(
                            uri: "/api/v1/endpoints/demo/messages", method: .post, headers: [.contentType: "application/json"], body: body)
                        #expect(response.status == .ok)

                        let echoed = try await Self.next(&frames) { $0["type"] == "message" && $0["message"]?["clientMessageId"] == "c-1" }
                        #expect(echoed["message"]?["text"] == "Ada")
                        let answer = try await Self.next(&frames) { $0["type"] == "message" && $0["message"]?["sender"] == "bot" }
                        #expect(Self.id(answer) == Self.id(echoed) + 1, "the bot's answer, live too")
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                }
            }
        }
    }

    static func id(_ frame: JSONValue) -> Int64 {
        if case .number(let id)? = frame["message"]?["id"] { Int64(id) } else { -1 }
    }

    /// The next frame that `matches`, skipping others.
    static func next(
        _ frames: inout WebSocketInboundMessageStream.AsyncIterator, _ matches: (JSONValue) -> Bool
    ) async throws -> JSONValue {
        while let message = try await frames.next() {
            guard case .text(let text) = message, let frame = try? JSONValue(jsonText: text) else { continue }
            if matches(frame) { return frame }
        }
        throw TestDatabase.SetupError("the socket closed before the frame came")
    }
}
