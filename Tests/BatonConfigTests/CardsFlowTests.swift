import BatonCore
import Foundation
import Testing

@testable import BatonConfig

/// Cards in a flow's `say`: read from YAML, checked, and rendered with the conversation's values.
@Suite final class CardsFlowTests {
    let files: FixtureDirectory

    init() throws { files = try FixtureDirectory() }
    deinit { files.remove() }

    func load(_ text: String) throws -> Flow {
        try FlowLoader().load(path: try files.write("flow.yaml", text)).0
    }

    @Test func cardsAreReadAndRenderedWithTheirTemplates() throws {
        let flow = try load(
            """
            nodes:
              - set: { context.plan: Pro, context.link: "https://shop.example/pro" }
              - say:
                  text: Our plans
                  cards:
                    - title: "{{ context.plan }}"
                      subtitle: Everything
                      image: https://shop.example/pro.png
                      buttons:
                        - { title: Buy, url: "{{ context.link }}" }
                        - { title: Tell me more, payload: "more {{ context.plan }}" }
                        - { title: Plain }
                    - buttons: [{ title: Docs, url: https://docs.example }]
            """)
        let result = FlowEngine(flow: flow).handle(.start, state: ConversationState(), session: flowSession)
        let said = result.effects.compactMap { effect -> MessageContent? in if case .say(let content) = effect { content } else { nil } }
        #expect(said.first?.text == "Our plans")
        #expect(
            said.first?.cards == [
                Card(
                    title: "Pro", subtitle: "Everything", imageURL: "https://shop.example/pro.png",
                    buttons: [.link("Buy", url: "https://shop.example/pro"), .reply("Tell me more", payload: "more Pro"), .reply("Plain")]),
                Card(buttons: [.link("Docs", url: "https://docs.example")]),
            ])
        #expect(result.problems.isEmpty)
    }

    @Test func aComputedLinkThatIsNotHttpIsAProblemNotALink() throws {
        let flow = try load(
            """
            nodes:
              - set: { context.link: "javascript:alert(1)" }
              - say: { cards: [{ title: Hi, buttons: [{ title: Go, url: "{{ context.link }}" }] }] }
            """)
        let result = FlowEngine(flow: flow).handle(.start, state: ConversationState(), session: flowSession)
        #expect(!result.effects.contains { if case .say(let content) = $0 { content.cards != nil } else { false } })
        #expect(result.problems.map(\.message).contains { $0.contains("card button URL 'javascript:alert(1)' is not an http(s) URL") })
    }

    @Test(arguments: [
        ("{ cards: [{ title: A, image: \"file:///etc/passwd\" }] }", "a card's image is an absolute http(s) URL"),
        ("{ cards: [{ title: A, buttons: [{ title: B, url: \"ftp://x\" }] }] }", "a button's url is an absolute http(s) URL"),
        ("{ cards: [{ title: A, buttons: [{ title: B, url: \"https://x.example\", payload: b }] }] }", "a link (url) or a reply (payload), not both"),
        ("{ cards: [{ subtitle: only }] }", "a card needs a title, an image or buttons"),
        ("{ cards: [{ title: A, buttons: [{ url: \"https://x.example\" }] }] }", "missing required key 'title'"),
        ("{ cards: [{ title: A, colour: red }] }", "colour"),
    ])
    func badCardsAreErrors(say: String, message: String) throws {
        let path = try files.write("flow.yaml", "nodes:\n  - say: \(say)\n")
        let messages = failureDiagnostics { try FlowLoader().load(path: path) }.map(\.message)
        #expect(messages.contains { $0.contains(message) }, "\(messages)")
    }

    @Test func tooManyCardsOrButtonsAreErrors() throws {
        let cards = (1...11).map { "{ title: C\($0) }" }.joined(separator: ", ")
        let buttons = (1...6).map { "{ title: B\($0) }" }.joined(separator: ", ")
        for (say, message) in [("{ cards: [\(cards)] }", "at most 10 cards"), ("{ cards: [{ title: A, buttons: [\(buttons)] }] }", "at most 5 buttons")] {
            let path = try files.write("flow.yaml", "nodes:\n  - say: \(say)\n")
            let messages = failureDiagnostics { try FlowLoader().load(path: path) }.map(\.message)
            #expect(messages.contains { $0.contains(message) }, "\(messages)")
        }
    }

    let flowSession = SessionFacts(sessionID: "s_test", endpointID: "support", userID: "u-1", channel: "webchat")
}
