import BatonCore
import Foundation
import Testing

@testable import BatonServer

/// `limits.newConversationsPerMinute` holds across instances: two `baton` processes on one PostgreSQL database, a
/// client's new conversations spread over both as a load balancer without sticky sessions would, counted once.
@Suite(.timeLimit(.minutes(2)), .enabled(if: !ScratchDatabase.isSkipped, "BATON_TEST_SKIP_POSTGRES=1"))
struct NewConversationsAcrossInstancesTests {
    @Test func aClientGetsItsShareOnceHoweverItsConversationsAreSpread() async throws {
        let database = try await ScratchDatabase.create()
        let storage = #"{ postgres: { url: "\#(database.url)", maxConnections: 4 } }"#
        let limits = ["limits: { newConversationsPerMinute: 3 }"]
        let a = try await BatonProcess.start(config: try ConfigurationReloadEndToEndTests.folder(greeting: "Hello", storage: storage, extra: limits).config)
        let b = try await BatonProcess.start(config: try ConfigurationReloadEndToEndTests.folder(greeting: "Hello", storage: storage, extra: limits).config)
        defer {
            a.kill()
            b.kill()
        }
        // From loopback, a trusted proxy by default: the client is the address it forwards.
        func start(on baton: BatonProcess, from client: String) async throws -> (status: Int, body: String) {
            try await baton.post("/api/v1/endpoints/t0k3n/messages", json: #"{"text":"hi"}"#, headers: [("X-Forwarded-For", client)])
        }
        #expect(try await start(on: a, from: "198.51.100.7").status == 200)
        #expect(try await start(on: b, from: "198.51.100.7").status == 200)
        #expect(try await start(on: a, from: "198.51.100.7").status == 200)
        let refused = try await start(on: b, from: "198.51.100.7")
        #expect(refused.status == 429 && refused.body.contains("too_many_conversations"), "\(refused)")
        #expect(try await start(on: a, from: "198.51.100.7").status == 429)
        #expect(try await start(on: b, from: "198.51.100.8").status == 200, "another client")
        await database.drop()
    }
}
