@testable import BatonServer
import BatonCore
import Foundation
import Testing

/// The agent-bot decoder builds only the members it reads, as the API inbox's does: every sample of
/// `../shared/chatwoot/agent-bot-samples` must read the same as from its whole tree.
@Suite struct AgentBotEventSampleTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/chatwoot/agent-bot-samples", isDirectory: true)

    static func bodies() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") && !$0.hasSuffix("headers.json") }.sorted()
    }

    @Test func thereAreSamples() throws {
        #expect(try Self.bodies().count >= 19)
    }

    @Test(arguments: try bodies())
    func buildingOnlyWhatIsReadChangesNothing(name: String) throws {
        let body = try Data(contentsOf: Self.directory.appendingPathComponent(name))
        let whole = try JSONValue.parse(body)
        #expect(try AgentBotEvent.decode(body) == AgentBotEvent.decode(whole))
    }
}
