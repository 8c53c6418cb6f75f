import ChatwootStandIn
import Foundation
import NIOHTTP1
import Testing

/// §2.9: the CSAT survey on resolve, its webhook text, and answers through the survey page's API.
@Suite struct CsatTests {
    static let surveyKeys = [
        "id", "csat_survey_response", "display_type", "content", "inbox_avatar_url", "inbox_name", "locale", "conversation_id", "created_at",
    ]

    /// Creates a conversation, assigns Maria and resolves it through the API; returns its display id and uuid.
    static func resolvedConversation(_ h: Harness) async throws -> (displayId: Int, uuid: String) {
        let conversation = try await h.createConversation()
        let shown = try await h.call(.GET, "/conversations/\(conversation.displayId)", token: h.adminToken)
        let uuid = try #require(shown.json["uuid"]?.stringValue)
        try await h.standIn.agent(h.seed.agent.id).assign(h.ref(conversation.displayId), to: h.seed.agent.id)
        let resolved = try await h.call(.POST, "/conversations/\(conversation.displayId)/toggle_status", token: h.adminToken, json: ["status": "resolved"])
        #expect(resolved.status == 200)
        return (conversation.displayId, uuid)
    }

    @Test func csatSettingsAreSavedAndShown() async throws {
        try await Harness.with { h in
            let patched = try await h.call(
                .PATCH, "/inboxes/\(h.seed.inbox.id)", token: h.adminToken,
                json: ["csat_survey_enabled": true, "csat_config": ["display_type": "star", "message": "How did we do?"]])
            #expect(patched.status == 200)
            #expect(patched.json["csat_survey_enabled"] == true)
            #expect(patched.json["csat_config"]?["display_type"] == "star")
            #expect(patched.json["csat_config"]?["message"] == "How did we do?")
            #expect(patched.json["csat_config"]?["survey_rules"] == ["operator": "contains", "values": []])
            let byAgent = try await h.call(.PATCH, "/inboxes/\(h.seed.inbox.id)", token: h.agentToken, json: ["csat_survey_enabled": false])
            #expect(byAgent.status == 401)
            let violations = await h.standIn.specViolations()
            #expect(violations.isEmpty, "\(violations)")
        }
    }

    @Test func resolvingSendsOneSurveyAfterTheStatusWebhooks() async throws {
        try await Harness.with { h in
            try await h.standIn.setCsatSurvey(inbox: h.seed.inbox.id, enabled: true, message: "How did we do?", displayType: "star")
            let (displayId, uuid) = try await Self.resolvedConversation(h)

            let survey = try await h.receiver.waitFor(event: "message_created") { $0.json["content_type"] == "input_csat" }
            #expect(survey.json["message_type"] == "template")
            #expect(survey.json["sender"] == .null)
            #expect(survey.json["content"] == .string("How did we do? \(h.base)/survey/responses/\(uuid)"))
            #expect(survey.json["content_attributes"] == ["display_type": "star"])
            // Webhook conversation payloads carry no uuid; the REST view does.
            #expect(survey.json["conversation"]?.keys.contains("uuid") == false)

            let events = await h.receiver.received().map { ($0.event ?? "", $0.json["content_type"]?.stringValue) }
            let statusIndex = try #require(events.firstIndex { $0.0 == "conversation_status_changed" })
            let updatedIndex = try #require(events.lastIndex { $0.0 == "conversation_updated" })
            let surveyIndex = try #require(events.firstIndex { $0.1 == "input_csat" })
            #expect(statusIndex < surveyIndex && updatedIndex < surveyIndex, "\(events)")

            // Stored with the inbox's text; a second resolve sends none.
            let ref = h.ref(displayId)
            let stored = await h.standIn.messages(ref).filter { $0.contentType == "input_csat" }
            #expect(stored.map(\.content) == ["How did we do?"])
            try await h.standIn.agent(h.seed.agent.id).reopen(ref)
            try await h.standIn.agent(h.seed.agent.id).resolve(ref)
            try await h.standIn.waitForWebhooksIdle()
            #expect(await h.standIn.messages(ref).filter { $0.contentType == "input_csat" }.count == 1)
        }
    }

    @Test func theDefaultTextAndNoSurveyWhenDisabled() async throws {
        try await Harness.with { h in
            let (quietId, _) = try await Self.resolvedConversation(h)
            try await h.standIn.waitForWebhooksIdle()
            #expect(await h.standIn.messages(h.ref(quietId)).contains { $0.contentType == "input_csat" } == false)

            try await h.standIn.setCsatSurvey(inbox: h.seed.inbox.id, enabled: true)
            let (displayId, uuid) = try await Self.resolvedConversation(h)
            let survey = try await h.receiver.waitFor(event: "message_created") { $0.json["content_type"] == "input_csat" }
            #expect(survey.json["content"] == .string("Please rate this conversation, \(h.base)/survey/responses/\(uuid)"))
            #expect(survey.json["content_attributes"] == ["display_type": "emoji"])
            #expect(await h.standIn.messages(h.ref(displayId)).last?.content == "Please rate the conversation")
        }
    }

    @Test func theSurveyRespectsTheLabelRule() async throws {
        try await Harness.with { h in
            var config = JSONValue.emptyObject
            config = config.setting("survey_rules", ["operator": "contains", "values": ["billing"]])
            let patched = try await h.call(
                .PATCH, "/inboxes/\(h.seed.inbox.id)", token: h.adminToken, json: ["csat_survey_enabled": true, "csat_config": config])
            #expect(patched.status == 200)
            let (displayId, _) = try await Self.resolvedConversation(h)
            try await h.standIn.waitForWebhooksIdle()
            #expect(await h.standIn.messages(h.ref(displayId)).contains { $0.contentType == "input_csat" } == false)
        }
    }

    @Test func answeringThroughTheSurveyPageRecordsTheResponse() async throws {
        try await Harness.with { h in
            try await h.standIn.setCsatSurvey(inbox: h.seed.inbox.id, enabled: true)
            let (displayId, uuid) = try await Self.resolvedConversation(h)
            let conversation = try #require(await h.standIn.conversation(h.ref(displayId)))
            let message = try await h.standIn.waitForMessages(h.ref(displayId), count: 1) { $0.contentType == "input_csat" }[0]

            let shown = try await h.call(.GET, "/public/api/v1/csat_survey/\(uuid)", token: nil)
            #expect(shown.status == 200)
            #expect(shown.json.keys == Self.surveyKeys)
            #expect(shown.json["id"] == .int(message.id))
            #expect(shown.json["conversation_id"] == .int(conversation.id), "the database id")
            #expect(shown.json["csat_survey_response"] == .null)
            #expect(shown.json["display_type"] == "emoji")

            let answer: JSONValue = ["message": ["submitted_values": ["csat_survey_response": ["rating": 5, "feedback_message": "Great help"]]]]
            let answered = try await h.call(.PUT, "/public/api/v1/csat_survey/\(uuid)", token: nil, json: answer)
            #expect(answered.status == 200)
            #expect(answered.json["csat_survey_response"] == .null, "the response is recorded by a job after the answer")

            let updated = try await h.receiver.waitFor(event: "message_updated") { $0.json["content_type"] == "input_csat" }
            #expect(updated.json["content_attributes"]?["submitted_values"]?["csat_survey_response"]?["rating"] == 5)
            #expect(updated.json["content"] == .string("Please rate this conversation, \(h.base)/survey/responses/\(uuid)"))

            let responses = try await h.standIn.waitUntil("a CSAT response") { $0.csatSurveyResponses.isEmpty ? nil : $0.csatSurveyResponses }
            #expect(responses.count == 1)
            #expect(responses[0].rating == 5)
            #expect(responses[0].feedbackMessage == "Great help")
            #expect(responses[0].assignedAgentId == h.seed.agent.id)
            #expect(responses[0].messageId == message.id)
            #expect(responses[0].conversation == h.ref(displayId))
            let again = try await h.call(.GET, "/public/api/v1/csat_survey/\(uuid)", token: nil)
            #expect(again.json["csat_survey_response"]?["rating"] == 5)

            // An out-of-range rating is answered 200 but stores nothing; the response keeps its rating.
            let tooHigh: JSONValue = ["message": ["submitted_values": ["csat_survey_response": ["rating": 9]]]]
            let refused = try await h.call(.PATCH, "/public/api/v1/csat_survey/\(uuid)", token: nil, json: tooHigh)
            #expect(refused.status == 200)
            try await h.standIn.waitForWebhooksIdle()
            #expect(await h.standIn.csatSurveyResponses(account: h.account).map(\.rating) == [5])
            let violations = await h.standIn.specViolations()
            #expect(violations.isEmpty, "\(violations)")
        }
    }

    @Test func anOutOfRangeFirstAnswerStoresNothing() async throws {
        try await Harness.with { h in
            try await h.standIn.setCsatSurvey(inbox: h.seed.inbox.id, enabled: true)
            let (_, uuid) = try await Self.resolvedConversation(h)
            _ = try await h.receiver.waitFor(event: "message_created") { $0.json["content_type"] == "input_csat" }
            let answered = try await h.call(
                .PUT, "/public/api/v1/csat_survey/\(uuid)", token: nil, json: ["message": ["submitted_values": ["csat_survey_response": ["rating": 0]]]])
            #expect(answered.status == 200)
            _ = try await h.receiver.waitFor(event: "message_updated")
            try await h.standIn.waitForWebhooksIdle()
            #expect(await h.standIn.csatSurveyResponses(account: h.account).isEmpty)
        }
    }

    @Test func surveyPageErrors() async throws {
        let clock = ManualClock()
        try await Harness.with(configuration: .init(clock: .manual(clock))) { h in
            let unknown = try await h.call(.GET, "/public/api/v1/csat_survey/\(UUID().uuidString.lowercased())", token: nil)
            #expect(unknown.status == 404)
            #expect(unknown.text.contains("The page you were looking for doesn't exist"))

            // A conversation without a survey.
            let (_, noSurvey) = try await Self.resolvedConversation(h)
            #expect(try await h.call(.GET, "/public/api/v1/csat_survey/\(noSurvey)", token: nil).status == 404)

            try await h.standIn.setCsatSurvey(inbox: h.seed.inbox.id, enabled: true)
            let (_, uuid) = try await Self.resolvedConversation(h)
            _ = try await h.receiver.waitFor(event: "message_created") { $0.json["content_type"] == "input_csat" }
            let missing = try await h.call(.PUT, "/public/api/v1/csat_survey/\(uuid)", token: nil, json: ["rating": 5])
            #expect(missing.status == 500)

            clock.advance(by: 15 * 86_400)
            let late = try await h.call(
                .PUT, "/public/api/v1/csat_survey/\(uuid)", token: nil, json: ["message": ["submitted_values": ["csat_survey_response": ["rating": 4]]]])
            #expect(late.status == 422)
            #expect(late.text == #"{"error":"You cannot update the CSAT survey after 14 days"}"#)
            let violations = await h.standIn.specViolations()
            #expect(violations.isEmpty, "\(violations)")
        }
    }

    @Test func agentBotsGetTheSurveyWithTheLink() async throws {
        try await Harness.with { h in
            let bot = await h.standIn.createAgentBot(account: h.account, name: "Bot", outgoingURL: h.receiver.url)
            try await h.standIn.connectAgentBot(bot.id, toInbox: h.seed.inbox.id)
            try await h.standIn.setCsatSurvey(inbox: h.seed.inbox.id, enabled: true)
            let (_, uuid) = try await Self.resolvedConversation(h)
            let deliveries = try await h.standIn.waitForDeliveries(count: 1, event: "message_created") { $0.agentBotId == bot.id && $0.json?["content_type"] == "input_csat" }
            #expect(deliveries[0].json?["content"] == .string("Please rate this conversation, \(h.base)/survey/responses/\(uuid)"))
        }
    }
}
