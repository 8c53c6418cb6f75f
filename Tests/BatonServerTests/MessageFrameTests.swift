import BatonCore
import Foundation
import Testing

@testable import BatonServer

/// A message frame's payload is written straight to text (`MessagePayload.writeMembers`): it must say what the REST
/// API's `Codable` answer says for the same message, whatever the message carries.
@Suite struct MessageFrameTests {
    static let session = SessionID(rawValue: "s_00000000000000000000000000000001")

    static func message(_ sender: Sender, _ content: MessageContent, retracted: Bool = false, movedTo: Int64? = nil, movedFrom: Int64? = nil) -> Message {
        let draft = MessageDraft(sender: sender, content: content, createdAt: Date(timeIntervalSince1970: 1_796_290_200.25), clientMessageID: "c-1", agentName: "Ada")
        return Message(id: 42, sessionID: session, draft: draft, retracted: retracted, movedTo: movedTo, movedFrom: movedFrom)
    }

    static let messages: [Message] = [
        message(.user, MessageContent(text: "plain \"quoted\" <b>&</b> é 😀\n")),
        message(
            .agent,
            MessageContent(
                text: "with everything", quickReplies: [QuickReply(title: "Yes", payload: "/yes"), QuickReply(title: "No")],
                attachments: [
                    Attachment(kind: .image, url: "https://cdn.example/a.png", name: "a.png", mimeType: "image/png", fileID: "f1", size: 2_048),
                    Attachment(kind: .file, url: "https://cdn.example/b.pdf"), Attachment(kind: .file, url: "javascript:alert(1)"),
                ],
                cards: [Card(title: "Pro", subtitle: "", imageURL: "https://shop.example/pro.png", buttons: [.link("Buy", url: "https://shop.example/pro"), .reply("More")])])),
        message(.agent, MessageContent(text: "gone"), retracted: true),
        message(.agent, MessageContent(text: "moved"), movedTo: 57),
        message(.system, MessageContent(text: "Rate us", data: ["survey": ["displayType": "emoji", "link": "https://chatwoot.example/survey"]])),
        message(.user, MessageContent(text: "5", data: ["surveyAnswer": ["messageId": 41, "rating": 5]])),
        message(.agent, MessageContent(text: "the copy"), movedFrom: 40),
        message(.system, MessageContent(text: "Your message could not be delivered", data: ["undelivered": 39])),
    ]

    @Test(arguments: messages)
    func aFrameSaysWhatTheRESTAnswerSays(message: Message) throws {
        let payload = MessagePayload(message)
        let text = ServerFrame.message(payload).text
        let frame = try JSONValue(jsonText: text)
        let rest = try JSONValue(jsonText: String(decoding: try JSONEncoder.baton.encode(payload), as: UTF8.self))
        #expect(frame == ["type": "message", "message": rest])
        #expect(try JSONValue.parse(text.utf8).jsonText == text, "not compact with sorted names: \(text)")
    }

    @Test func whatAMessageCarriesIsInItsFrame() throws {
        let frames = try Self.messages.map { message in try #require(try JSONValue(jsonText: ServerFrame.message(MessagePayload(message)).text)["message"]) }
        #expect(frames[0]["text"] == "plain \"quoted\" <b>&</b> é 😀\n" && frames[0]["agentName"] == "Ada" && frames[0]["clientMessageId"] == "c-1")
        #expect(frames[0]["createdAt"] == "2026-12-03T09:30:00.250Z" && frames[0]["id"] == 42)
        #expect(frames[1]["attachments"].list.count == 2, "only http(s) media")
        #expect(frames[1]["attachments"].list.first == ["kind": "image", "url": "https://cdn.example/a.png", "name": "a.png", "mimeType": "image/png", "fileID": "f1", "size": 2_048])
        #expect(frames[1]["quickReplies"] == [["title": "Yes", "payload": "/yes"], ["title": "No", "payload": "No"]])
        #expect(frames[2]["retracted"] == true && frames[2]["text"] == "")
        #expect(frames[3]["movedTo"] == 57)
        #expect(frames[4]["survey"] == ["displayType": "emoji"], "the survey's link stays on the server")
        #expect(frames[5]["surveyAnswer"] == ["messageId": 41, "rating": 5])
        #expect(frames[6]["movedFrom"] == 40 && frames[6]["text"] == "the copy" && frames[6]["retracted"] == nil)
        #expect(frames[7]["undelivered"] == 39 && frames[0]["undelivered"] == nil)
    }
}
