import ChatwootStandIn
import NIOHTTP1
import Testing

@Suite struct ConversationsTests {
    @Test func createMatchesTheExampleAndNumbersPerAccount() async throws {
        try await Harness.with { h in
            let example = try Samples.apiExample("app-conversations-create.json")
            let first = try await h.createConversation()
            let second = try await h.createConversation()
            #expect(first.displayId == 1)
            #expect(second.displayId == 2)

            let shown = try await h.call(.GET, "/conversations/1", token: h.adminToken)
            let expected = try #require(example["response"]?["body"])
            #expect(Shape.sameOrder(shown.json, expected), "\(shown.json.keys) vs \(expected.keys)")
            #expect(Shape.sameOrder(shown.json["meta"], expected["meta"]))
            #expect(Shape.sameOrder(shown.json["meta"]?["sender"], expected["meta"]?["sender"]))
            #expect(shown.json["status"] == "open")
            #expect(shown.json["waiting_since"] == shown.json["created_at"])

            // Another account numbers from 1 again.
            let other = await h.standIn.createAccount(name: "Second")
            let otherInbox = await h.standIn.createInbox(account: other.id, name: "Other inbox")
            let otherAdmin = await h.standIn.createUser(name: "Olga", email: "olga@example.com", roles: [other.id: .administrator])
            let contact = try await h.call(
                .POST, "/contacts", token: otherAdmin.accessToken, json: ["inbox_id": .int(otherInbox.id), "name": "Tim"], account: other.id)
            let contactId = try #require(contact.json["payload"]?["contact"]?["id"])
            let conversation = try await h.call(
                .POST, "/conversations", token: otherAdmin.accessToken, json: ["inbox_id": .int(otherInbox.id), "contact_id": contactId], account: other.id)
            #expect(conversation.json["id"] == 1)
            #expect(await h.standIn.specViolations().isEmpty, "source_id is optional: inbox_id + contact_id generate one")
        }
    }

    @Test func aConnectedAgentBotMakesConversationsPending() async throws {
        try await Harness.with { h in
            let bot = await h.standIn.createAgentBot(account: h.account, name: "Handover Bot")
            try await h.standIn.connectAgentBot(bot.id, toInbox: h.seed.inbox.id)
            let conversation = try await h.createConversation()  // asks for status open
            let shown = try await h.call(.GET, "/conversations/\(conversation.displayId)", token: h.adminToken)
            #expect(shown.json["status"] == "pending")

            // The bot hands off: pending + status open with a bot token → success null, now open.
            let handoff = try await h.call(.POST, "/conversations/\(conversation.displayId)/toggle_status", token: bot.accessToken, json: ["status": "open"])
            #expect(handoff.json == ["meta": [:], "payload": ["success": nil, "conversation_id": .int(conversation.displayId), "current_status": "open", "snoozed_until": nil]])
            let agentBot = try await h.call(.GET, "/inboxes/\(h.seed.inbox.id)/agent_bot", token: h.adminToken)
            #expect(agentBot.json["agent_bot"]?["id"] == .int(bot.id))
        }
    }

    @Test func sourceIdMustBeUniqueAndAttributesAreLimited() async throws {
        try await Harness.with { h in
            _ = try await h.createConversation(sourceId: "shared-source")
            let other = try await h.call(.POST, "/contacts", token: h.adminToken, json: ["inbox_id": .int(h.seed.inbox.id), "name": "Other"])
            let otherId = try #require(other.json["payload"]?["contact"]?["id"])
            let clash = try await h.call(
                .POST, "/conversations", token: h.adminToken, json: ["source_id": "shared-source", "inbox_id": .int(h.seed.inbox.id), "contact_id": otherId])
            #expect(clash.status == 422)
            #expect(clash.text == #"{"error":"source_id should be unique"}"#)

            let long = String(repeating: "x", count: 1501)
            let tooLong = try await h.call(
                .POST, "/conversations", token: h.adminToken,
                json: ["inbox_id": .int(h.seed.inbox.id), "contact_id": otherId, "custom_attributes": ["note": .string(long)]])
            #expect(tooLong.status == 422)
            #expect(tooLong.json == ["message": "Custom attributes note length should be < 1500", "attributes": ["custom_attributes"]])
            let unknownSource = try await h.call(.POST, "/conversations", token: h.adminToken, json: ["source_id": "never-seen"])
            #expect(unknownSource.status == 404)
        }
    }

    @Test func indexDefaultsToOpenAndFiltersBySourceId() async throws {
        try await Harness.with { h in
            let a = try await h.createConversation(sourceId: "src-a")
            let b = try await h.createConversation(sourceId: "src-b")
            try await h.standIn.agent(h.seed.agent.id).resolve(h.ref(b.displayId))
            let open = try await h.call(.GET, "/conversations", token: h.adminToken)
            let example = try Samples.apiExample("app-conversations-index.json")
            #expect(Shape.sameOrder(open.json["data"]?["meta"], example["response"]?["body"]?["data"]?["meta"]))
            #expect(open.json["data"]?["payload"]?.arrayValue?.map { $0["id"] } == [.int(a.displayId)])
            let all = try await h.call(.GET, "/conversations?status=all", token: h.adminToken)
            #expect(all.json["data"]?["payload"]?.arrayValue?.count == 2)
            let bySource = try await h.call(.GET, "/conversations?status=all&source_id=src-b", token: h.adminToken)
            #expect(bySource.json["data"]?["payload"]?.arrayValue?.map { $0["id"] } == [.int(b.displayId)])
            #expect(bySource.json["data"]?["meta"]?["all_count"] == 1)
        }
    }

    @Test func toggleStatusSendsStatusAndUpdateEvents() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation()
            let path = "/conversations/\(conversation.displayId)/toggle_status"
            let resolved = try await h.call(.POST, path, token: h.adminToken, json: ["status": "resolved"])
            let example = try Samples.apiExample("app-toggle-status.json")
            #expect(resolved.json == example["response"]?["body"]?.setting("payload", try #require(example["response"]?["body"]?["payload"]).setting("conversation_id", .int(conversation.displayId))))

            let statusEvent = try await h.receiver.waitFor(event: "conversation_status_changed")
            #expect(statusEvent.json["status"] == "resolved")
            #expect(statusEvent.json["changed_attributes"] == .null)
            #expect(statusEvent.json.keys.contains("changed_attributes"))
            let sample = try Samples.webhook("14-conversation_status_changed-resolved.json")
            #expect(Shape.differences(statusEvent.json, sample).isEmpty, "\(Shape.differences(statusEvent.json, sample))")
            let updated = try await h.receiver.waitFor(event: "conversation_updated") { $0.json["status"] == "resolved" }
            let change = try #require(updated.json["changed_attributes"]?.arrayValue?.first { $0["status"] != nil })
            #expect(change["status"] == ["previous_value": "open", "current_value": "resolved"])

            // Toggle without a status: resolved → open.  (Swagger requires `status`, so use a lenient stand-in call.)
            h.standIn.strictSpec = false
            let toggled = try await h.call(.POST, path, token: h.adminToken, json: [:])
            #expect(toggled.json["payload"]?["current_status"] == "open")
            _ = try await h.receiver.waitFor(event: "conversation_status_changed") { $0.json["status"] == "open" }
            #expect(await h.standIn.specViolations().map(\.problem) == ["body.status is required"])

            // Activity messages are written for status changes (and never sent as webhooks).
            let messages = await h.standIn.messages(h.ref(conversation.displayId))
            #expect(messages.filter { $0.messageType == .activity }.compactMap(\.content) == [
                "Conversation was marked resolved by Alex Admin", "Conversation was reopened by Alex Admin",
            ])
        }
    }

    /// The Client API's `toggle_typing`: no token, the inbox's identifier and the contact inbox's `source_id` in the
    /// path; the typing event's user is the contact. An unknown identifier, source id or another contact's
    /// conversation is 404.
    @Test func theContactTypesThroughTheClientAPI() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation(sourceId: "baton:s_1")
            let other = try await h.createConversation(identifier: "someone-else", sourceId: "baton:s_2")
            let shown = try await h.call(.GET, "/inboxes/\(h.seed.inbox.id)", token: h.adminToken)
            let identifier = try #require(shown.json["inbox_identifier"]?.stringValue)
            func typing(_ inbox: String, _ source: String, _ displayId: Int) async throws -> Int {
                try await h.call(
                    .POST, "/public/api/v1/inboxes/\(inbox)/contacts/\(source)/conversations/\(displayId)/toggle_typing?typing_status=on", token: nil,
                    json: ["typing_status": "on"]
                ).status
            }
            #expect(try await typing(identifier, "baton:s_1", conversation.displayId) == 200)
            let event = try await h.receiver.waitFor(event: "conversation_typing_on")
            // `Contact#webhook_data`, which has no `type` (a user's and an agent bot's have one).
            #expect(event.json["user"]?["id"] == .int(conversation.contactId) && event.json["user"]?["type"] == nil)
            #expect(try await typing("nope", "baton:s_1", conversation.displayId) == 404)
            #expect(try await typing(identifier, "baton:s_9", conversation.displayId) == 404)
            #expect(try await typing(identifier, "baton:s_1", other.displayId) == 404, "another contact's conversation")
            let violations = await h.standIn.specViolations()
            #expect(violations.isEmpty, "\(violations)")
        }
    }

    /// The Client API's `update_last_seen`: the contact saw the conversation now, and every message to them sent
    /// until then (not incoming, `sent` or `delivered`) is `read`, each with a `message_updated`; the contact's own
    /// messages are left as they are.
    @Test func theContactSeesTheConversationThroughTheClientAPI() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation(sourceId: "baton:s_3")
            let ref = h.ref(conversation.displayId)
            let reply = try await h.standIn.agent(h.seed.agent.id).reply(ref, "Hello Jane")
            let identifier = try #require(try await h.call(.GET, "/inboxes/\(h.seed.inbox.id)", token: h.adminToken).json["inbox_identifier"]?.stringValue)
            let path = "/public/api/v1/inboxes/\(identifier)/contacts/baton:s_3/conversations/\(conversation.displayId)/update_last_seen"
            let seen = try await h.call(.POST, path, token: nil)
            #expect(seen.status == 200 && seen.body.isEmpty)
            #expect(await h.standIn.snapshot().messages.first { $0.id == reply.id }?.status == .read)
            #expect(await h.standIn.conversation(ref)?.contactLastSeenAt != nil)
            let updated = try await h.receiver.waitFor(event: "message_updated")
            #expect(updated.json["id"] == .int(reply.id))
            let unknown = "/public/api/v1/inboxes/\(identifier)/contacts/baton:s_4/conversations/\(conversation.displayId)/update_last_seen"
            #expect(try await h.call(.POST, unknown, token: nil).status == 404)
            let violations = await h.standIn.specViolations()
            #expect(violations.isEmpty, "\(violations)")
        }
    }

    @Test func typingAssignmentsAndCustomAttributes() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation()
            let base = "/conversations/\(conversation.displayId)"
            let typing = try await h.call(.POST, "\(base)/toggle_typing_status", token: h.agentToken, json: ["typing_status": "on", "is_private": false])
            #expect(typing.status == 200)
            #expect(typing.body.isEmpty)
            let event = try await h.receiver.waitFor(event: "conversation_typing_on")
            let sample = try Samples.webhook("19-conversation_typing_on-agent.json")
            #expect(Shape.sameOrder(event.json, sample))
            #expect(event.json["user"] == ["id": .int(h.seed.agent.id), "name": "Maria Schmidt", "email": "maria@acme.example", "type": "user"])
            #expect(Shape.differences(event.json["conversation"], sample["conversation"]).isEmpty)

            let assigned = try await h.call(.POST, "\(base)/assignments", token: h.adminToken, json: ["assignee_id": .int(h.seed.agent.id)])
            let example = try Samples.apiExample("app-assignments-create.json")
            #expect(Shape.sameOrder(assigned.json, example["response"]?["body"]))
            #expect(assigned.json["role"] == "agent")
            let unknown = try await h.call(.POST, "\(base)/assignments", token: h.adminToken, json: ["assignee_id": 999])
            #expect(unknown.text == "null")
            #expect(await h.standIn.conversation(h.ref(conversation.displayId))?.assigneeId == nil)

            let attributes = try await h.call(.POST, "\(base)/custom_attributes", token: h.adminToken, json: ["custom_attributes": ["order": "4711"]])
            #expect(attributes.json == ["custom_attributes": ["order": "4711"]])
            // Payloads are built at delivery time (as Chatwoot's jobs do), so pick the event by what changed.
            let update = try await h.receiver.waitFor(event: "conversation_updated") {
                $0.json["changed_attributes"]?.arrayValue?.contains { $0["custom_attributes"] != nil } == true
            }
            let change = update.json["changed_attributes"]?.arrayValue?.first { $0["custom_attributes"] != nil }
            #expect(change?["custom_attributes"] == ["previous_value": ["bot_session_id": "7f3c9a"], "current_value": ["order": "4711"]])
        }
    }
}
