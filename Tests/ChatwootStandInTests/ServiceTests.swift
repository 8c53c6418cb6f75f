import AsyncHTTPClient
import ChatwootStandIn
import Foundation
import NIOCore
import NIOHTTP1
import Logging
import ServiceLifecycle
import Testing

@Suite struct ServiceTests {
    /// The stand-in runs as a ServiceLifecycle service and stops on graceful shutdown.
    @Test func runsInAServiceGroup() async throws {
        let standIn = try ChatwootStandIn()
        let group = ServiceGroup(configuration: .init(services: [standIn], gracefulShutdownSignals: [], logger: Logger(label: "test")))
        let task = Task { try await group.run() }
        let base = await standIn.waitUntilStarted()
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base.absoluteString + "/console"), timeout: .seconds(5))
        #expect(response.status.code == 200)
        await group.triggerGracefulShutdown()
        try await task.value
    }
}
