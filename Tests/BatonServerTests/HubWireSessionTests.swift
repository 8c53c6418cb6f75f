import BatonCore
import Foundation
import Testing

@testable import BatonServer

/// The session of a hub announcement, read without decoding it (an instance that holds no socket of the session
/// drops the announcement unread): found wherever it sits in the object, never taken from a nested one, and
/// `nil` whenever the payload is anything else, so the caller decodes it whole as before.
@Suite("Hub announcements: the session read first")
struct HubWireSessionTests {
    @Test func theSessionOfAnEncodedAnnouncementIsFound() throws {
        let content = MessageContent(text: #"a "quoted" {text}, with [brackets]"#, data: ["session": "decoy", "list": [1, true, nil]])
        let message = Message(id: 7, sessionID: SessionID(rawValue: "s_abc"), draft: MessageDraft(sender: .bot, content: content, createdAt: Date()))
        let wire = HubWireEvent(from: "instance", HubAnnouncement(sessionID: message.sessionID, event: .message(message)))
        let payload = String(decoding: try JSONEncoder().encode(wire), as: UTF8.self)
        #expect(HubWireEvent.session(in: payload) == "s_abc")
        #expect(HubWireEvent.isSent(by: "instance", payload), "an instance drops its own announcements by this")
        #expect(!HubWireEvent.isSent(by: "another", payload))
    }

    @Test(arguments: [
        (#"{"message":{"data":{"session":"decoy"}},"seq":3,"on":true,"to":null,"session":"s_real"}"#, "s_real"),
        (#"{ "list" : [1, {"session": "no"}, "]"], "n": -1.5e3 , "session" : "s2" }"#, "s2"),
        (#"{"text":"a \"session\":\"x\" in a string","session":"s3"}"#, "s3"),
    ])
    func theTopLevelMemberIsFoundWhereverItSits(payload: String, session: String) {
        #expect(HubWireEvent.session(in: payload) == session)
    }

    @Test(arguments: [
        #"{"session":"s\u0031"}"#,  // an escape in the value: decoded whole instead
        #"{"from":"a"}"#,  // no session
        #"{"message":{"session":"nested only"}}"#,
        #"["session","s"]"#,
        #"{"session":"unterminated"#,
        #"{"message":{"text":"unbalanced"#,
        "",
    ])
    func anythingElseGivesNothing(payload: String) {
        #expect(HubWireEvent.session(in: payload) == nil)
        #expect(HubWireEvent.isSent(by: "a", payload) == (payload == #"{"from":"a"}"#))
    }
}
