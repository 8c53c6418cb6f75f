import BatonCore
import Testing

@Suite("Conversation links")
struct ConversationLinksTests {
    /// Forgetting a deleted session drops its links only: a key linked since to a new session (the user came back)
    /// keeps that one.
    @Test func forgettingASessionDropsItsLinksAndNoOthers() {
        let links = ConversationLinks()
        let old = SessionID(rawValue: "s_old")
        let other = SessionID(rawValue: "s_other")
        let new = SessionID(rawValue: "s_new")
        links.remember(old, endpointID: "e", conversationKey: "a")
        links.remember(old, endpointID: "e", conversationKey: "b")
        links.remember(other, endpointID: "e", conversationKey: "c")
        links.remember(new, endpointID: "e", conversationKey: "b")
        links.forget([old, SessionID(rawValue: "s_never_linked")])
        #expect(links.session(endpointID: "e", conversationKey: "a") == nil)
        #expect(links.session(endpointID: "e", conversationKey: "b") == new)
        #expect(links.session(endpointID: "e", conversationKey: "c") == other)
        links.forget([new])
        #expect(links.session(endpointID: "e", conversationKey: "b") == nil)
        #expect(links.session(endpointID: "e", conversationKey: "c") == other)
    }
}
