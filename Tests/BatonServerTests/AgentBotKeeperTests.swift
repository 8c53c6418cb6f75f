@testable import BatonServer
import BatonConfig
import BatonCore
import BatonStoreSQLite
import ChatwootStandIn
import Foundation
import Logging
import Testing

/// The agent bot is set up once however many callers ask at once (the start-up check overlapping a first
/// handover made a second `GET /agent_bots/{id}`).
@Suite("Agent bot keeper")
struct AgentBotKeeperTests {
    @Test func callersThatComeTogetherShareOneSetUp() async throws {
        let chatwoot = try await StandInHarness.start()
        let store = try await TestBaton.store(TestBaton.databasePath())
        let settings = ChatwootSettings(
            baseURL: chatwoot.baseURL, accountID: chatwoot.accountID, apiAccessToken: Secret(chatwoot.adminToken), agentBotName: "Keeper bot",
            agentBotDescription: "Baton in tests", webhookSecret: nil)
        let client = ChatwootClient(baseURL: settings.baseURL, accountID: settings.accountID, token: settings.apiAccessToken.value, logger: TestBaton.logger)
        let keeper = AgentBotKeeper(endpointID: "test", settings: settings, client: client, store: store, logger: TestBaton.logger)
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<5 { group.addTask { try await keeper.accessToken() } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(tokens).count == 1 && tokens.count == 5)
        let botCalls = await chatwoot.standIn.requests().filter { $0.path.contains("/agent_bots") }.map { "\($0.method) \($0.path)" }
        #expect(botCalls.count == 2, "one list and one create, nothing read again: \(botCalls)")
        #expect(try await keeper.accessToken() == tokens.first, "later callers get the kept token without a call")
        #expect(await chatwoot.standIn.requests().filter { $0.path.contains("/agent_bots") }.count == 2)
        await chatwoot.shutdown()
    }
}
