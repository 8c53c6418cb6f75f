import BatonCore
import Foundation
import Testing

@testable import BatonServer

/// Cards from webhook bots (Rasa's generic template and link buttons, Baton's `cards`), what of them leaves the
/// server, and the text they become where a channel or a desk cannot show them.
@Suite("Cards")
struct CardsTests {
    @Test func webhookBotsCardsAndLinkButtonsAreRead() throws {
        let call = try BotAnswerParsingTests.answer(
            #"""
            [{"text":"Plans","buttons":[{"title":"Pricing","url":"https://shop.example/pricing"},{"title":"Yes","payload":"/affirm"},{"title":"Bad","url":"javascript:x"}]},
             {"attachment":{"type":"template","payload":{"template_type":"generic","elements":[
               {"title":"Pro","subtitle":"All in","image_url":"https://shop.example/pro.png",
                "buttons":[{"type":"web_url","url":"https://shop.example/pro","title":"Buy"},{"type":"postback","title":"More","payload":"/more"}]},
               {"title":"Free","image_url":"data:image/png;base64,AAAA"}]}}},
             {"text":"Baton's own","cards":[{"title":"Docs","imageUrl":"https://docs.example/a.png","buttons":[{"title":"Open","url":"https://docs.example"}]},{}]}]
            """#)
        guard case .answered(let answer) = call else { throw BotTestError("expected an answer, got \(call)") }
        #expect(answer.messages[0].quickReplies == [QuickReply(title: "Yes", payload: "/affirm")])
        #expect(answer.messages[0].cards == [Card(buttons: [.link("Pricing", url: "https://shop.example/pricing")])], "a javascript: link is dropped")
        #expect(
            answer.messages[1].cards == [
                Card(
                    title: "Pro", subtitle: "All in", imageURL: "https://shop.example/pro.png",
                    buttons: [.link("Buy", url: "https://shop.example/pro"), .reply("More", payload: "/more")]),
                Card(title: "Free"),
            ])
        #expect(answer.messages[2].cards == [Card(title: "Docs", imageURL: "https://docs.example/a.png", buttons: [.link("Open", url: "https://docs.example")])])
    }

    static func message(_ content: MessageContent) -> Message {
        Message(id: 7, sessionID: SessionID(rawValue: "s_00000000000000000000000000000001"), draft: MessageDraft(sender: .bot, content: content, createdAt: Date()))
    }

    static let carousel = MessageContent(
        text: "Our plans",
        cards: [
            Card(title: "Pro", subtitle: "All in", imageURL: "https://shop.example/pro.png", buttons: [.link("Buy", url: "https://shop.example/pro"), .reply("More")]),
            Card(title: "Old", imageURL: "file:///etc/passwd", buttons: [.link("Bad", url: "javascript:alert(1)")]),
        ])

    @Test func onlyWebImagesAndLinksLeaveTheServer() throws {
        let payload = MessagePayload(Self.message(Self.carousel))
        #expect(payload.cards?.last == Card(title: "Old"))
        let frame = try JSONValue(jsonText: ServerFrame.message(payload).text)
        #expect(frame["type"] == "message")
        let message = try #require(frame["message"])
        #expect(message["cards"].list.first?["imageUrl"] == "https://shop.example/pro.png")
        #expect(message["cards"].list.first?["buttons"] == [["title": "Buy", "url": "https://shop.example/pro"], ["title": "More", "payload": "More"]])
        let rest = try JSONValue(jsonText: String(decoding: try JSONEncoder.baton.encode(payload), as: UTF8.self))
        #expect(rest["cards"] == message["cards"], "the REST answer and the socket frame say the same")
    }

    @Test func channelsAndDesksThatCannotShowCardsGetThemAsText() {
        let text = ChatwootDesk.text(of: Self.message(Self.carousel))
        #expect(text == "Our plans\n\nPro\nAll in\nBuy: https://shop.example/pro\n• More\n\nOld")
        #expect(MessageContent(text: "Only text").textWithCards == "Only text")
        #expect(MessageContent(cards: [Card(buttons: [.link("Docs", url: "https://docs.example")])]).textWithCards == "Docs: https://docs.example")
    }
}
