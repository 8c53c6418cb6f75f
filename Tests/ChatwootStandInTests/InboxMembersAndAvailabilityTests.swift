import ChatwootStandIn
import NIOHTTP1
import Testing

/// §2.8: inbox members (`/inbox_members`) and agents' availability (`PATCH /agents/{id}`, `availability_status`).
@Suite struct InboxMembersAndAvailabilityTests {
    static let agentKeys = [
        "id", "account_id", "availability_status", "auto_offline", "confirmed", "email", "provider", "available_name", "name", "role", "thumbnail",
        "custom_role_id",
    ]

    @Test func membersAreListedAddedReplacedAndRemovedByAdministrators() async throws {
        try await Harness.with { h in
            let inbox = h.seed.inbox.id
            let admin = h.seed.administrator.id
            let maria = h.seed.agent.id

            // The seeded agent is a member; the administrator is not until added.
            let shown = try await h.call(.GET, "/inbox_members/\(inbox)", token: h.agentToken)
            #expect(shown.status == 200)
            #expect(shown.json["payload"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [maria])
            #expect(shown.json["payload"]?[0]?.keys == Self.agentKeys)

            let added = try await h.call(.POST, "/inbox_members", token: h.adminToken, json: ["inbox_id": .int(inbox), "user_ids": [.int(admin)]])
            #expect(added.status == 200)
            #expect(Set(added.json["payload"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []) == [admin, maria])

            let replaced = try await h.call(.PATCH, "/inbox_members", token: h.adminToken, json: ["inbox_id": .int(inbox), "user_ids": [.int(admin)]])
            #expect(replaced.json["payload"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [admin])

            let removed = try await h.call(.DELETE, "/inbox_members", token: h.adminToken, json: ["inbox_id": .int(inbox), "user_ids": [.int(admin)]])
            #expect(removed.status == 200)
            #expect(removed.body.isEmpty)
            #expect(await h.standIn.snapshot().inbox(inbox)?.memberIds == [])

            let violations = await h.standIn.specViolations()
            #expect(violations.isEmpty, "\(violations)")
        }
    }

    @Test func memberWritesAreRefused() async throws {
        try await Harness.with { h in
            let inbox = h.seed.inbox.id
            let byAgent = try await h.call(.POST, "/inbox_members", token: h.agentToken, json: ["inbox_id": .int(inbox), "user_ids": [.int(h.seed.agent.id)]])
            #expect(byAgent.status == 401)
            #expect(byAgent.text == #"{"error":"You are not authorized to do this action"}"#)
            let deleteByAgent = try await h.call(.DELETE, "/inbox_members", token: h.agentToken, json: ["inbox_id": .int(inbox), "user_ids": []])
            #expect(deleteByAgent.status == 401)

            let outsider = await h.standIn.createUser(name: "Other", email: "other@example.com", roles: [:])
            let invalid = try await h.call(.POST, "/inbox_members", token: h.adminToken, json: ["inbox_id": .int(inbox), "user_ids": [.int(outsider.id)]])
            #expect(invalid.status == 422)
            #expect(invalid.text == #"{"error":"Invalid User IDs"}"#)

            let unknownInbox = try await h.call(.GET, "/inbox_members/9999", token: h.adminToken)
            #expect(unknownInbox.status == 404)
            #expect(await h.standIn.snapshot().inbox(inbox)?.memberIds == [h.seed.agent.id])
        }
    }

    @Test func availabilityIsSettableAndShownAsAvailabilityStatus() async throws {
        try await Harness.with { h in
            let maria = h.seed.agent.id
            func status() async throws -> JSONValue? {
                let agents = try await h.call(.GET, "/agents", token: h.agentToken)
                return agents.json.arrayValue?.first { $0["id"]?.intValue == maria }?["availability_status"]
            }
            // Seeded agents are online.
            #expect(try await status() == "online")

            let patched = try await h.call(.PATCH, "/agents/\(maria)", token: h.adminToken, json: ["agent": ["availability": "busy"]])
            #expect(patched.status == 200)
            #expect(patched.json["availability_status"] == "busy")
            #expect(patched.json.keys == Self.agentKeys)
            #expect(try await status() == "busy")

            // Rails wraps a JSON body's top-level keys under `agent`, so the swagger shape works too.
            let topLevel = try await h.call(.PATCH, "/agents/\(maria)", token: h.adminToken, json: ["role": "agent", "availability": "offline"])
            #expect(topLevel.json["availability_status"] == "offline")

            try await h.standIn.setAvailability(user: maria, account: h.account, .online)
            let members = try await h.call(.GET, "/inbox_members/\(h.seed.inbox.id)", token: h.adminToken)
            #expect(members.json["payload"]?[0]?["availability_status"] == "online")

            let byAgent = try await h.call(.PATCH, "/agents/\(maria)", token: h.agentToken, json: ["agent": ["availability": "busy"]])
            #expect(byAgent.status == 401)
            let unknown = try await h.call(.PATCH, "/agents/9999", token: h.adminToken, json: ["agent": ["availability": "busy"]])
            #expect(unknown.status == 404)
            #expect(try await status() == "online")
            let violations = await h.standIn.specViolations()
            #expect(violations.isEmpty, "\(violations)")
        }
    }

    @Test func availabilityIsPerAccount() async throws {
        try await Harness.with { h in
            let other = await h.standIn.createAccount(name: "Other")
            await h.standIn.setRole(user: h.seed.agent.id, account: other.id, role: .agent)
            try await h.standIn.setAvailability(user: h.seed.agent.id, account: other.id, .busy)
            let user = try #require(await h.standIn.snapshot().user(h.seed.agent.id))
            #expect(user.availability(in: h.account) == .online)
            #expect(user.availability(in: other.id) == .busy)
        }
    }
}
