import ChatwootStandIn
import NIOHTTP1
import Testing

@Suite struct AuthTests {
    @Test func missingAndUnknownTokens() async throws {
        try await Harness.with { h in
            let none = try await h.call(.GET, "/conversations", token: nil)
            #expect(none.status == 401)
            #expect(none.json == ["errors": ["You need to sign in or sign up before continuing."]])

            let unknown = try await h.call(.GET, "/conversations", token: "nope")
            #expect(unknown.status == 401)
            #expect(unknown.text == #"{"error":"Invalid Access Token"}"#)
        }
    }

    @Test func accountChecks() async throws {
        try await Harness.with { h in
            let missing = try await h.call(.GET, "/conversations", token: h.adminToken, account: 99)
            #expect(missing.status == 404)
            #expect(missing.text == #"{"error":"Resource could not be found"}"#)

            let other = await h.standIn.createAccount(name: "Other")
            let foreign = try await h.call(.GET, "/conversations", token: h.adminToken, account: other.id)
            #expect(foreign.status == 401)
            #expect(foreign.json == ["error": "You are not authorized to access this account"])

            await h.standIn.setAccountSuspended(h.account, true)
            let suspended = try await h.call(.GET, "/conversations", token: h.adminToken)
            #expect(suspended.json == ["error": "Account is suspended"])
        }
    }

    @Test func agentBotTokensOnlyReachBotEndpoints() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation()
            let bot = await h.standIn.createAgentBot(account: h.account, name: "Handover Bot")
            let denied = #"{"error":"Access to this endpoint is not authorized for bots"}"#

            // Not in BOT_ACCESSIBLE_ENDPOINTS.
            for (method, path) in [("GET", "/conversations"), ("GET", "/conversations/\(conversation.displayId)/messages"), ("GET", "/inboxes")] {
                let reply = try await h.call(.init(rawValue: method), path, token: bot.accessToken)
                #expect(reply.status == 401, "\(method) \(path)")
                #expect(reply.text == denied)
            }
            let contact = try await h.call(.POST, "/contacts", token: bot.accessToken, json: ["inbox_id": .int(h.seed.inbox.id), "name": "X"])
            #expect(contact.text == denied)

            // Allowed: show, create, messages create, toggle_status, typing, assignments, labels.
            let show = try await h.call(.GET, "/conversations/\(conversation.displayId)", token: bot.accessToken)
            #expect(show.status == 200)
            let message = try await h.call(
                .POST, "/conversations/\(conversation.displayId)/messages", token: bot.accessToken, json: ["content": "Bot here", "message_type": "outgoing"])
            #expect(message.status == 200)
            #expect(message.json["sender"] == ["id": .int(bot.id), "name": "Handover Bot", "avatar_url": "", "type": "agent_bot"])
            let labels = try await h.call(.POST, "/conversations/\(conversation.displayId)/labels", token: bot.accessToken, json: ["labels": ["bot-handover"]])
            #expect(labels.json == ["payload": ["bot-handover"]])

            // A bot of another account is refused at the account check.
            let other = await h.standIn.createAccount(name: "Other")
            let foreignBot = await h.standIn.createAgentBot(account: other.id, name: "Foreign")
            let foreign = try await h.call(.GET, "/conversations/\(conversation.displayId)", token: foreignBot.accessToken)
            #expect(foreign.json == ["error": "Bot is not authorized to access this account"])
        }
    }

    @Test func punditDenialsAreUnauthorized() async throws {
        try await Harness.with { h in
            let reply = try await h.call(.POST, "/agent_bots", token: h.agentToken, json: ["name": "Mine"])
            #expect(reply.status == 401)
            #expect(reply.json == ["error": "You are not authorized to do this action"])
            let unknownConversation = try await h.call(.GET, "/conversations/4242", token: h.agentToken)
            #expect(unknownConversation.status == 404)
            #expect(unknownConversation.json == ["error": "Resource could not be found"])
        }
    }

    @Test func tokensAreNotRecorded() async throws {
        try await Harness.with { h in
            _ = try await h.call(.GET, "/inboxes", token: h.adminToken)
            let requests = await h.standIn.requests()
            let recorded = try #require(requests.last)
            #expect(recorded.header("api_access_token") == "<redacted>")
            #expect(recorded.tokenOwner == "User \(h.seed.administrator.id)")
            #expect(recorded.responseStatus == 200)
        }
    }
}
