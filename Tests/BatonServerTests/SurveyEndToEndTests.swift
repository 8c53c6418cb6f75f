import BatonConfig
import BatonCore
import BatonServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Chatwoot's satisfaction survey after an agent resolves: shown to the webchat and REST user, answered through
/// Chatwoot's survey page API, and left out after handovers no agent ended.
@Suite("Satisfaction survey end to end")
struct SurveyEndToEndTests {
    @Test func aResolvedConversationsSurveyIsShownAndTheAnswerReachesChatwoot() async throws {
        try await HandoverEndToEndTests.withBaton { chatwoot, client in
            try await chatwoot.enableSurvey(chatwoot.supportInbox)
            try await client.chat("t0k3n") { chat in
                let session = try await chat.askForAnAgent()
                _ = try await chat.messages(2)
                let conversation = try await chatwoot.waitForConversation(session: session)
                _ = try await chatwoot.reply(conversation, "All sorted?")
                _ = try await chat.messages(1)
                // The history is all there: a post still on its way would reopen the resolved conversation.
                try await chatwoot.waitForMessages(conversation, count: 7)
                try await chatwoot.resolve(conversation)
                _ = try await chat.messages(3)
                let survey = try await chat.messages(1)[0]
                #expect(survey["sender"] == "system")
                #expect(survey.text == "Please rate this conversation.")
                #expect(survey["survey"] == ["displayType": "emoji"])
                #expect(!survey.jsonText.contains("survey/responses"), "the survey link stays on the server")
                let surveyID = try #require(survey["id"]?.int)

                try await chat.send(["type": "survey", "messageId": .number(Double(surveyID)), "rating": 4, "clientMessageId": "s1"])
                let answer = try await chat.storedAndAcknowledged("s1")
                #expect(answer["surveyAnswer"] == ["messageId": .number(Double(surveyID)), "rating": 4])
                #expect(try await chatwoot.waitForSurveyResponses(1).map(\.rating) == [4])

                // Feedback afterwards updates the same response, as on Chatwoot's own survey page.
                try await chat.send(["type": "survey", "messageId": .number(Double(surveyID)), "rating": 4, "feedback": "Quick and kind", "clientMessageId": "s2"])
                #expect(try await chat.storedAndAcknowledged("s2").text == "Quick and kind")
                try await chatwoot.waitUntilSurveyFeedback("Quick and kind")
                #expect(try await chatwoot.waitForSurveyResponses(1).count == 1)

                // A rating outside 1-5 and a message that is not a survey are refused with a reason.
                try await chat.send(["type": "survey", "messageId": .number(Double(surveyID)), "rating": 9])
                #expect(try await chat.next("error")["code"] == "invalid_rating")
                try await chat.send(["type": "survey", "messageId": 1, "rating": 3])
                #expect(try await chat.next("error")["code"] == "not_a_survey")
            }
        }
    }

    @Test func noSurveyAfterAHandoverTheUserLeft() async throws {
        try await HandoverEndToEndTests.withBaton { chatwoot, client in
            try await chatwoot.enableSurvey(chatwoot.supportInbox)
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
            _ = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "agent", "sessionId": .string(session)])
            let conversation = try await chatwoot.waitForConversation(session: session)
            _ = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "cancel", "sessionId": .string(session)])
            _ = try await chatwoot.waitForStatus(conversation, "resolved")
            try await chatwoot.waitUntilSurveySent(in: conversation)
            try await chatwoot.waitForWebhooksIdle()
            let page = try await client.getJSON("/api/v1/endpoints/t0k3n/sessions/\(session)/messages")
            #expect(!page["messages"].list.contains { $0["survey"] != nil }, "Chatwoot surveyed Baton's own resolve; the user does not see it")
        }
    }

    @Test func aRESTClientAnswersThroughItsOwnRoute() async throws {
        try await HandoverEndToEndTests.withBaton { chatwoot, client in
            try await chatwoot.enableSurvey(chatwoot.supportInbox, message: "How did we do?", displayType: "star")
            let first = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "Ada"])
            guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
            _ = try await client.postJSON(RESTChannelTests.messagesPath, ["text": "agent", "sessionId": .string(session)])
            let conversation = try await chatwoot.waitForConversation(session: session)
            try await chatwoot.waitForMessages(conversation, count: 6)
            try await chatwoot.resolve(conversation)
            _ = try await client.waitForText("How did we do?", session: session)
            let page = try await client.getJSON("/api/v1/endpoints/t0k3n/sessions/\(session)/messages")
            let survey = try #require(page["messages"].list.first { $0["survey"] != nil })
            #expect(survey["survey"] == ["displayType": "star"])
            let path = "/api/v1/endpoints/t0k3n/sessions/\(session)/survey"
            let answered = try await client.postJSON(path, ["messageId": survey["id"] ?? .null, "rating": 5, "feedback": "Great"])
            #expect(answered["messages"].list.first?["surveyAnswer"]?["rating"] == 5)
            let response = try #require(try await chatwoot.waitForSurveyResponses(1).first)
            #expect(response.conversation == conversation && response.rating == 5 && response.feedback == "Great")
        }
    }
}
