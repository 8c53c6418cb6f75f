import BatonConfig
import Foundation
import NIOHTTP1
import BatonCore
import Testing

@testable import BatonServer

/// How the providers read what bots send, without a server: Rasa's array and Baton's actions, a model's streamed
/// chunks, server-sent events split anywhere.
@Suite("Bot answers")
struct BotAnswerParsingTests {
    static let request = BotTurnRequest(nodeID: "n", bot: "b", visit: 1, turn: 2, input: BotInput(text: "hi"), prompt: nil)

    static func answer(_ json: String) throws -> BotCall { WebhookAnswer.answer(try JSONValue(jsonText: json), request: request) }

    @Test func rasaElementsBecomeMessagesAndCustomPayloadsActions() throws {
        let call = try Self.answer(
            #"""
            [{"recipient_id":"s","text":"Pick","buttons":[{"title":"Yes","payload":"/affirm"},{"title":""}]},
             {"recipient_id":"s","image":"https://example.com/a.png"},
             {"recipient_id":"s","image":"javascript:alert(1)"},
             {"recipient_id":"s","attachment":{"type":"video","payload":{"src":"https://example.com/v.mp4"}}},
             {"recipient_id":"s","custom":{"set":{"order.id":"A7"},"note":["VIP","Second note"],"handover":{"reason":"r","summary":"s","team":4}}}]
            """#)
        guard case .answered(let answer) = call else { throw BotTestError("expected an answer, got \(call)") }
        #expect(answer.messages.map(\.text) == ["Pick", "", ""])
        #expect(answer.messages[0].quickReplies == [QuickReply(title: "Yes", payload: "/affirm")])
        #expect(answer.messages[1].attachments == [Attachment(kind: .image, url: "https://example.com/a.png")], "only http(s) URLs")
        #expect(answer.messages[2].attachments == [Attachment(kind: .video, url: "https://example.com/v.mp4")])
        #expect(answer.set == ["order.id": "A7"])
        #expect(answer.notes == ["VIP", "Second note"])
        #expect(answer.ending == .handover(BotHandover(reason: "r", summary: "s", routing: ["team": 4], arguments: ["reason": "r", "summary": "s", "team": 4])))
    }

    @Test(arguments: [
        (#"{"set":{"":"x"}}"#, "bad path"),
        (#"{"set":{"a..b":"x"}}"#, "bad path"),
        (#"{"set":{"a.b.c.d.e.f.g.h.i":"x"}}"#, "bad path"),
        (#"{"exit":"handover"}"#, "may not be named 'handover'"),
        (#"{"note":3}"#, "'note' is not a text"),
        (#"{"messages":{"text":"x"}}"#, "'messages' is not an array"),
        (#"[1]"#, "a message is not an object"),
        (#""text""#, "neither an array of messages nor an object"),
    ])
    func malformedAnswersSayWhy(json: String, problem: String) throws {
        guard case .failed(.malformed, let detail) = try Self.answer(json) else { throw BotTestError("expected malformed for \(json)") }
        #expect(detail.contains(problem), "\(detail)")
    }

    @Test func streamedToolCallsAreJoinedByIndexAndAReusedIndexWithAnotherIdIsAnotherCall() throws {
        var completion = CompletionAccumulator()
        let chunks = [
            #"{"choices":[{"index":0,"delta":{"role":"assistant","content":"On it"}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"handover","arguments":""}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"reason\":"}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"asked\"}"}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c2","type":"function","function":{"name":"end_conversation","arguments":"{}"}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
            #"{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}"#,
        ]
        for chunk in chunks { #expect(completion.take(try JSONValue(jsonText: chunk), streamed: true)) }
        #expect(completion.text == "On it")
        #expect(completion.orderedToolCalls.map(\.name) == ["handover", "end_conversation"])
        #expect(completion.orderedToolCalls.first?.arguments == #"{"reason":"asked"}"#)
        #expect(completion.usage?.prompt == 12 && completion.finishReason == "tool_calls")
        var settings = OpenAIBotSettings(baseURL: "http://x", model: "m")
        guard case .answered(let answer) = OpenAIAnswer.answer(completion, request: Self.request, settings: settings) else { throw BotTestError("no answer") }
        #expect(answer.ending == .handover(BotHandover(reason: "asked", summary: nil, arguments: ["reason": "asked"])))
        settings.handoverTool = false
        guard case .answered(let withoutTool) = OpenAIAnswer.answer(completion, request: Self.request, settings: settings) else { throw BotTestError("no answer") }
        #expect(withoutTool.ending == .end(reason: nil), "a call to a tool that was turned off is ignored")
    }

    @Test func eventsSplitAnywhereAreReadWhole() {
        let stream = Array(": keep-alive\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\nevent: x\ndata: [DONE]\n\n".utf8)
        for cut in 0...stream.count {
            var parser = ServerSentEvents()
            let events = parser.feed(stream[..<cut]) + parser.feed(stream[cut...])
            #expect(events == ["{\"a\":\n1}", "[DONE]"], "cut at \(cut)")
        }
        var trailing = ServerSentEvents()
        #expect(trailing.feed(Array("data: {\"error\":{}}".utf8)).isEmpty)
        #expect(trailing.finish() == "{\"error\":{}}", "a last event without its blank line is still read at the end")
    }

    @Test func retryAfterIsReadInEveryForm() {
        var headers = HTTPHeaders([("Retry-After", "2")])
        #expect(BotHTTP.retryAfter(headers) == .seconds(2))
        headers = HTTPHeaders([("retry-after-ms", "1500"), ("Retry-After", "9")])
        #expect(BotHTTP.retryAfter(headers) == .milliseconds(1500), "Azure's milliseconds first")
        let now = Date(timeIntervalSince1970: 1_764_000_000)
        headers = HTTPHeaders([("Retry-After", "Mon, 24 Nov 2025 16:00:05 GMT")])
        #expect(BotHTTP.retryAfter(headers, now: now) == .seconds(5))
        #expect(BotHTTP.retryAfter(HTTPHeaders([("Retry-After", "soon")])) == nil)
    }
}

struct BotTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
