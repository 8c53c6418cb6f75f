import BotStandIn
import NIOHTTP1
import Testing
import StandInJSON

/// The REST channel's answer: an array of elements as `CollectingOutputChannel` builds them (contract §1, §3).
@Suite struct RasaAnswerTests {
    func post(_ rasa: RasaStandIn, sender: String? = "c0a8f2e1", _ message: String) async throws -> Reply {
        var body: JSONValue = ["message": .string(message)]
        if let sender { body = body.setting("sender", .string(sender)) }
        return try await HTTP.send(rasa.webhookURL, json: body)
    }

    @Test func healthRoute() async throws {
        try await withRasa { rasa async throws in
            for path in ["/webhooks/rest/", "/webhooks/rest"] {
                let reply = try await HTTP.send(rasa.baseURL + path, method: .GET)
                #expect(reply.status == 200)
                #expect(reply.json == ["status": "ok"])
            }
        }
    }

    @Test func defaultAnswerIsAnArrayWithRecipientId() async throws {
        try await withRasa { rasa async throws in
            let reply = try await post(rasa, "  Hello Rasa  ")
            #expect(reply.status == 200)
            #expect(reply.header("content-type") == "application/json")
            #expect(reply.json == [["recipient_id": "c0a8f2e1", "text": "Rasa heard: Hello Rasa"]])
            #expect(reply.json?[0]?.keys == ["recipient_id", "text"])
        }
    }

    @Test func missingSenderIsDefault() async throws {
        try await withRasa { rasa async throws in
            #expect(try await post(rasa, sender: nil, "hi").json?[0]?["recipient_id"] == "default")
        }
    }

    @Test func blankLinesSplitTextButNotTextWithButtons() async throws {
        try await withRasa { rasa async throws in
            rasa.enqueue(.messages([.text("Line one.\n\nLine two.")]))
            rasa.enqueue(.messages([RasaMessage(text: "Pick:\n\nbelow", buttons: [RasaButton(title: "Yes", payload: "/affirm")])]))
            #expect(try await post(rasa, "x").json == [["recipient_id": "c0a8f2e1", "text": "Line one."], ["recipient_id": "c0a8f2e1", "text": "Line two."]])
            let buttons = try await post(rasa, "x").json
            #expect(buttons == [["recipient_id": "c0a8f2e1", "text": "Pick:\n\nbelow", "buttons": [["title": "Yes", "payload": "/affirm"]]]])
        }
    }

    @Test func oneResponseBecomesElementsInSendResponseOrder() async throws {
        try await withRasa { rasa async throws in
            let everything = RasaMessage(
                text: "Here is our office:", image: "https://example.com/office.jpg", buttons: [RasaButton(title: "Map", payload: "/map")],
                attachment: "https://example.com/plan.pdf", custom: ["kind": "card"])
            rasa.enqueue(.messages([everything]))
            let elements = try #require(try await post(rasa, "x").json?.arrayValue)
            #expect(elements.map { $0.keys } == [["recipient_id", "text", "buttons"], ["recipient_id", "custom"], ["recipient_id", "image"], ["recipient_id", "attachment"]])
            #expect(elements[2]["image"] == "https://example.com/office.jpg")
        }
    }

    @Test func personRequestGivesTextAndCustomHandover() async throws {
        try await withRasa { rasa async throws in
            let elements = try #require(try await post(rasa, "I want to talk to a person").json?.arrayValue)
            #expect(elements.count == 2)
            #expect(elements[0] == ["recipient_id": "c0a8f2e1", "text": "Let me get you a person."])
            let handover = try #require(elements[1]["custom"]?["handover"])
            #expect(handover["reason"] == "user asked")
            #expect(handover["summary"]?.stringValue?.contains("I want to talk to a person") == true)
        }
    }

    @Test func otherDefaults() async throws {
        try await withRasa { rasa async throws in
            let helpdesk = try await post(rasa, "helpdesk please").json
            #expect(helpdesk?[1]?["custom"] == ["handoff_host": "http://helpdesk.example", "title": "Helpdesk"])
            let silence = try await post(rasa, "silence")
            #expect(silence.status == 200)
            #expect(silence.text == "[]")
            let buttons = try await post(rasa, "show me buttons").json
            #expect(buttons?[0]?["buttons"]?.arrayValue?.count == 2)
            #expect(buttons?[0]?["buttons"]?[1]?["payload"] == "/request_human")
        }
    }

    @Test func bodiesThatAreNotObjects() async throws {
        try await withRasa { rasa async throws in
            for raw in ["[]", "\"hello\"", ""] {
                let reply = try await HTTP.send(rasa.webhookURL, raw: raw)
                #expect(reply.status == 500, "\(raw)")
            }
            let unparsable = try await HTTP.send(rasa.webhookURL, raw: "{nope")
            #expect(unparsable.status == 400)
            #expect(unparsable.json?["message"] == "Failed when parsing body as json")
        }
    }

    @Test func recordsMetadataAndHeaders() async throws {
        try await withRasa { rasa async throws in
            let body: JSONValue = ["sender": "s1", "message": "hi", "metadata": ["locale": "de-DE"]]
            _ = try await HTTP.send(rasa.webhookURL, json: body, headers: [("X-Baton-Signature", "sha256=abc"), ("X-Baton-Timestamp", "1700000000")])
            let recorded = try #require(await rasa.requests().first)
            #expect(recorded.path == "/webhooks/rest/webhook")
            #expect(recorded.header("x-baton-signature") == "sha256=abc")
            #expect(recorded.header("X-Baton-Timestamp") == "1700000000")
            #expect(recorded.json?["metadata"]?["locale"] == "de-DE")
        }
    }
}
