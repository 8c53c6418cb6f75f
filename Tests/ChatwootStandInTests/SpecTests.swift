import ChatwootStandIn
import NIOHTTP1
import Testing

@Suite struct SpecTests {
    @Test func wrongTypesAreRefusedInStrictMode() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation()
            // inbox_id must be a number, private a boolean.
            let contact = try await h.call(.POST, "/contacts", token: h.adminToken, json: ["inbox_id": "1", "name": "Typed wrong"])
            #expect(contact.status == 400)
            #expect(contact.json["violations"] == ["body.inbox_id: expected number, got string \"1\""])
            let message = try await h.call(
                .POST, "/conversations/\(conversation.displayId)/messages", token: h.adminToken, json: ["content": "hi", "private": "false"])
            #expect(message.status == 400)
            let missing = try await h.call(.POST, "/conversations/\(conversation.displayId)/toggle_typing_status", token: h.adminToken, json: ["is_private": true])
            #expect(missing.json["violations"] == ["body.typing_status is required"])
            let badEnum = try await h.call(.POST, "/conversations/\(conversation.displayId)/toggle_status", token: h.adminToken, json: ["status": "closed"])
            #expect(badEnum.json["violations"] == [#"body.status: "closed" is not one of ["open","resolved","pending","snoozed"]"#])

            let violations = await h.standIn.specViolations()
            #expect(violations.count == 4)
            #expect(violations[0].template == "/api/v1/accounts/{account_id}/contacts")
            #expect(violations[0].path == "/api/v1/accounts/1/contacts")
            // Nothing was created by the refused requests.
            #expect(await h.standIn.contacts(account: h.account).count == 1)
        }
    }

    @Test func unknownOperationsAndLenientMode() async throws {
        try await Harness.with(configuration: .init(strictSpec: false)) { h in
            let unknown = try await h.call(.GET, "/api/v1/accounts/1/teleport", token: h.adminToken)
            #expect(unknown.status == 404)
            let wrongMethod = try await h.call(.DELETE, "/conversations/1/toggle_status", token: h.adminToken)
            #expect(wrongMethod.status == 404)
            // Lenient: served anyway, still recorded.
            let served = try await h.call(.POST, "/contacts", token: h.adminToken, json: ["inbox_id": "1", "name": "Served"])
            #expect(served.status == 200)
            let problems = await h.standIn.specViolations().map(\.problem)
            #expect(problems.count == 3)
            #expect(problems[0] == "no path in swagger.json matches /api/v1/accounts/1/teleport")
            #expect(problems[1].hasPrefix("DELETE is not an operation of /api/v1/accounts/{account_id}/conversations/{conversation_id}/toggle_status"))
        }
    }

    @Test func documentedLeniencies() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation()
            let base = "/conversations/\(conversation.displayId)"
            // message_type "template" (`app/builders/messages/message_builder.rb`), content_attributes as a JSON string in
            // multipart, PATCH status, contact_inboxes/filter (real routes swagger omits), set_agent_bot null.
            let template = try await h.call(.POST, "\(base)/messages", token: h.adminToken, json: ["content": "Greeting", "message_type": "template"])
            #expect(template.status == 200)
            let (body, type) = Harness.multipart(fields: [("content", "x"), ("content_attributes", #"{"a":1}"#)], files: [])
            let multipart = try await h.call(.POST, "\(base)/messages", token: h.adminToken, body: body, contentType: type)
            #expect(multipart.status == 200)
            #expect(multipart.json["content_attributes"] == ["a": 1])
            let patch = try await h.call(.PATCH, "\(base)/messages/\(multipart.json["id"]?.intValue ?? 0)", token: h.adminToken, json: ["status": "delivered"])
            #expect(patch.status == 200)
            let setBot = try await h.call(.POST, "/inboxes/\(h.seed.inbox.id)/set_agent_bot", token: h.adminToken, json: ["agent_bot": nil])
            #expect(setBot.status == 200)
            let filter = try await h.call(.POST, "/contact_inboxes/filter", token: h.adminToken, json: ["inbox_id": .int(h.seed.inbox.id), "source_id": "nope"])
            #expect(filter.status == 404)
            let violations = await h.standIn.specViolations()
            #expect(violations.isEmpty, "\(violations)")
        }
    }
}
