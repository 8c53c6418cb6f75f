import ChatwootStandIn
import NIOHTTP1
import Testing

@Suite struct AgentBotsAndInboxesTests {
    @Test func agentBotCRUD() async throws {
        try await Harness.with { h in
            let example = try Samples.apiExample("app-agent-bots-create.json")
            let created = try await h.call(.POST, "/agent_bots", token: h.adminToken, json: try #require(example["request"]?["body"]))
            #expect(created.status == 200)
            #expect(Shape.sameOrder(created.json, example["response"]?["body"]))
            #expect(created.json["bot_type"] == "webhook")
            #expect(created.json["access_token"]?.stringValue?.count == 24)
            let id = try #require(created.json["id"]?.intValue)

            // Agents see the token of their account's bot but not the secret.
            let asAgent = try await h.call(.GET, "/agent_bots/\(id)", token: h.agentToken)
            #expect(asAgent.json["access_token"] == created.json["access_token"])
            #expect(asAgent.json.keys.contains("secret") == false)

            let list = try await h.call(.GET, "/agent_bots", token: h.adminToken)
            #expect(list.json.arrayValue?.count == 1)
            let patched = try await h.call(.PATCH, "/agent_bots/\(id)", token: h.adminToken, json: ["description": "Updated"])
            #expect(patched.json["description"] == "Updated")

            // The token works for bot endpoints.
            let conversation = try await h.createConversation()
            let token = try #require(created.json["access_token"]?.stringValue)
            let post = try await h.call(.POST, "/conversations/\(conversation.displayId)/messages", token: token, json: ["content": "from the bot"])
            #expect(post.json["sender"]?["type"] == "agent_bot")

            let deleted = try await h.call(.DELETE, "/agent_bots/\(id)", token: h.adminToken)
            #expect(deleted.status == 200)
            #expect(try await h.call(.GET, "/agent_bots/\(id)", token: h.adminToken).status == 404)
            #expect(await h.standIn.specViolations().isEmpty)
        }
    }

    @Test func inboxesShowSecretsOnlyToAdministrators() async throws {
        try await Harness.with { h in
            let example = try Samples.apiExample("app-inbox-show-api-channel.json")
            let admin = try await h.call(.GET, "/inboxes/\(h.seed.inbox.id)", token: h.adminToken)
            #expect(Shape.sameOrder(admin.json, example["response"]?["body"]))
            #expect(admin.json["secret"] == .string(Harness.secret))
            #expect(admin.json["webhook_url"] == .string(h.receiver.url))
            let agent = try await h.call(.GET, "/inboxes/\(h.seed.inbox.id)", token: h.agentToken)
            #expect(agent.json.keys.contains("secret") == false)
            #expect(agent.json.keys.contains("hmac_token") == false)
            #expect(agent.json["inbox_identifier"] == admin.json["inbox_identifier"])

            let list = try await h.call(.GET, "/inboxes", token: h.agentToken)
            #expect(list.json["payload"]?.arrayValue?.count == 1)

            let created = try await h.call(
                .POST, "/inboxes", token: h.adminToken, json: ["name": "Second API inbox", "channel": ["type": "api", "webhook_url": "http://127.0.0.1:1/x"]])
            #expect(created.status == 200)
            #expect(created.json["channel_type"] == "Channel::Api")
            let bot = await h.standIn.createAgentBot(account: h.account, name: "Bot")
            let inboxId = try #require(created.json["id"]?.intValue)
            let connect = try await h.call(.POST, "/inboxes/\(inboxId)/set_agent_bot", token: h.adminToken, json: ["agent_bot": .int(bot.id)])
            #expect(connect.status == 200)
            let byAgent = try await h.call(.POST, "/inboxes/\(inboxId)/set_agent_bot", token: h.agentToken, json: ["agent_bot": .int(bot.id)])
            #expect(byAgent.status == 401)
            #expect(await h.standIn.snapshot().inbox(inboxId)?.agentBotId == bot.id)
            let violations = await h.standIn.specViolations()
            #expect(violations.isEmpty, "\(violations)")
        }
    }
}
