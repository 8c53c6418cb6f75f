import ChatwootStandIn
import NIOHTTP1
import Testing

@Suite struct ContactsTests {
    @Test func createMatchesTheExampleShape() async throws {
        try await Harness.with { h in
            let example = try Samples.apiExample("app-contacts-create.json")
            let reply = try await h.call(.POST, "/contacts", token: h.adminToken, json: try #require(example["request"]?["body"]).setting("inbox_id", .int(h.seed.inbox.id)))
            #expect(reply.status == 200)
            let expected = try #require(example["response"]?["body"])
            let payload = reply.json["payload"]
            #expect(Shape.sameOrder(payload?["contact"], expected["payload"]?["contact"]))
            #expect(Shape.sameOrder(payload?["contact"]?["contact_inboxes"]?[0]?["inbox"], expected["payload"]?["contact"]?["contact_inboxes"]?[0]?["inbox"]))
            #expect(Shape.sameOrder(payload?["contact_inbox"]?["inbox"], expected["payload"]?["contact_inbox"]?["inbox"]))
            #expect(payload?["contact_inbox"]?["source_id"] == "b6a1f3b2-5c1e-4b8e-9a55-0f6d2d4f1c11")
            #expect(payload?["contact"]?["email"] == "jane.doe@example.com")

            // Without source_id an API inbox gets a UUID.
            let generated = try await h.call(.POST, "/contacts", token: h.adminToken, json: ["inbox_id": .int(h.seed.inbox.id), "name": "Tom"])
            #expect(generated.json["payload"]?["contact_inbox"]?["source_id"]?.stringValue?.count == 36)
        }
    }

    /// `Contacts::ConversationsController#index`: the contact's conversations, newest activity first, as objects
    /// with their custom attributes (how a bridge finds a conversation it created before losing the answer).
    @Test func aContactsConversationsAreListed() async throws {
        try await Harness.with { h in
            let (contactId, first) = try await h.createConversation(identifier: "listed")
            let other = try await h.createConversation(identifier: "someone-else")
            let reply = try await h.call(.GET, "/contacts/\(contactId)/conversations", token: h.adminToken)
            #expect(reply.status == 200)
            let listed = reply.json["payload"]?.arrayValue ?? []
            #expect(listed.map { $0["id"]?.intValue } == [first])
            #expect(listed.first?["custom_attributes"]?["bot_session_id"] == "7f3c9a")
            #expect(other.displayId != first)
            let missing = try await h.call(.GET, "/contacts/999999/conversations", token: h.adminToken)
            #expect(missing.status == 404)
        }
    }

    @Test func uniquenessAndFormatErrorsAreRecordInvalid() async throws {
        try await Harness.with { h in
            let inbox = JSONValue.int(h.seed.inbox.id)
            _ = try await h.call(
                .POST, "/contacts", token: h.adminToken,
                json: ["inbox_id": inbox, "name": "Jane", "email": "jane@example.com", "identifier": "id-1", "phone_number": "+4915112345678"])
            let email = try await h.call(.POST, "/contacts", token: h.adminToken, json: ["inbox_id": inbox, "email": "JANE@example.com"])
            #expect(email.status == 422)
            #expect(email.text == #"{"message":"Email has already been taken","attributes":["email"]}"#)
            let identifier = try await h.call(.POST, "/contacts", token: h.adminToken, json: ["inbox_id": inbox, "identifier": "id-1"])
            #expect(identifier.json == ["message": "Identifier has already been taken", "attributes": ["identifier"]])
            let phone = try await h.call(.POST, "/contacts", token: h.adminToken, json: ["inbox_id": inbox, "phone_number": "015112345678"])
            #expect(phone.json == ["message": "Phone number should be in e164 format", "attributes": ["phone_number"]])
            let both = try await h.call(.POST, "/contacts", token: h.adminToken, json: ["inbox_id": inbox, "phone_number": "+4915112345678", "identifier": "id-1"])
            #expect(both.json == ["message": "Identifier has already been taken, Phone number has already been taken", "attributes": ["identifier", "phone_number"]])
            #expect(await h.standIn.contacts(account: h.account).count == 1)
        }
    }

    @Test func searchFollowsChatwootsMatching() async throws {
        try await Harness.with { h in
            let inbox = JSONValue.int(h.seed.inbox.id)
            _ = try await h.call(.POST, "/contacts", token: h.adminToken, json: ["inbox_id": inbox, "name": "Jane Doe", "identifier": "Cognigy-Session-7f3c9a"])
            for index in 0..<16 {
                _ = try await h.call(.POST, "/contacts", token: h.adminToken, json: ["inbox_id": inbox, "name": .string("Bulk \(index)")])
            }
            // identifier: LIKE (case-sensitive substring).
            let exact = try await h.call(.GET, "/contacts/search?q=Session-7f3c", token: h.adminToken)
            #expect(exact.json["payload"]?.arrayValue?.count == 1)
            let wrongCase = try await h.call(.GET, "/contacts/search?q=session-7f3c", token: h.adminToken)
            #expect(wrongCase.json["payload"]?.arrayValue?.count == 0)
            // name: ILIKE.
            let name = try await h.call(.GET, "/contacts/search?q=jane", token: h.adminToken)
            #expect(name.json["payload"]?[0]?["name"] == "Jane Doe")
            #expect(name.json["meta"] == ["count": 1, "current_page": 1, "has_more": false])
            // 15 per page.
            let bulk = try await h.call(.GET, "/contacts/search?q=bulk", token: h.adminToken)
            #expect(bulk.json["meta"] == ["count": 15, "current_page": 1, "has_more": true])
            let second = try await h.call(.GET, "/contacts/search?q=bulk&page=2", token: h.adminToken)
            #expect(second.json["meta"] == ["count": 1, "current_page": "2", "has_more": false])
            // blank q.
            let blank = try await h.call(.GET, "/contacts/search?q=", token: h.adminToken)
            #expect(blank.status == 422)
            #expect(blank.json == ["error": "Specify search string with parameter q"])
        }
    }

    @Test func filterAndContactInboxes() async throws {
        try await Harness.with { h in
            let inbox = JSONValue.int(h.seed.inbox.id)
            let created = try await h.call(.POST, "/contacts", token: h.adminToken, json: ["inbox_id": inbox, "name": "Jane", "identifier": "cognigy-session-7f3c9a", "source_id": "src-a"])
            let contactId = try #require(created.json["payload"]?["contact"]?["id"]?.intValue)

            let filtered = try await h.call(
                .POST, "/contacts/filter?page=1", token: h.adminToken,
                json: ["payload": [["attribute_key": "identifier", "filter_operator": "equal_to", "values": ["cognigy-session-7f3c9a"], "query_operator": "AND"]]])
            #expect(filtered.json["meta"] == ["count": 1, "current_page": "1"])
            #expect(filtered.json["payload"]?[0]?["id"] == .int(contactId))
            let badKey = try await h.call(
                .POST, "/contacts/filter", token: h.adminToken, json: ["payload": [["attribute_key": "shoe_size", "filter_operator": "equal_to", "values": ["9"]]]])
            #expect(badKey.status == 422)

            let link = try await h.call(.POST, "/contacts/\(contactId)/contact_inboxes", token: h.adminToken, json: ["inbox_id": inbox, "source_id": "src-b"])
            let example = try Samples.apiExample("app-contact-inboxes-create.json")
            #expect(Shape.sameOrder(link.json, example["response"]?["body"]))
            #expect(link.json["source_id"] == "src-b")

            let found = try await h.call(.POST, "/contact_inboxes/filter", token: h.adminToken, json: ["inbox_id": inbox, "source_id": "src-b"])
            #expect(found.json["id"] == .int(contactId))
            #expect(found.json["contact_inboxes"]?.arrayValue?.count == 2)
            let notFound = try await h.call(.POST, "/contact_inboxes/filter", token: h.adminToken, json: ["inbox_id": inbox, "source_id": "nope"])
            #expect(notFound.status == 404)
            #expect(notFound.body.isEmpty)

            let shown = try await h.call(.GET, "/contacts/\(contactId)", token: h.adminToken)
            #expect(shown.json["payload"]?["identifier"] == "cognigy-session-7f3c9a")
            #expect(await h.standIn.specViolations().isEmpty)
        }
    }
}
