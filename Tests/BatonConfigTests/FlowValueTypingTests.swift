import BatonConfig
import BatonCore
import Testing

@Suite struct FlowValueTypingTests {
    func flow(_ text: String) throws -> Flow {
        try FlowLoader().parse(text: text, file: "typing.yaml").0
    }

    func problems(_ text: String) -> [Diagnostic] {
        do {
            _ = try FlowLoader().parse(text: text, file: "typing.yaml")
            return []
        } catch {
            return error.diagnostics
        }
    }

    @Test func plainSetValuesKeepTheirYAMLType() throws {
        let parsed = try flow(
            """
            nodes:
              - set:
                  context.count: 3
                  context.ratio: 0.5
                  context.ok: true
                  context.none: null
                  context.text: "3"
                  context.word: three
            """)
        let engine = FlowEngine(flow: parsed)
        let result = engine.handle(.start, state: ConversationState(), session: SessionFacts(sessionID: "s", endpointID: "e", userID: "u", channel: "rest"))
        #expect(result.state.context == ["count": 3, "ratio": 0.5, "ok": true, "none": nil, "text": "3", "word": "three"])
    }

    @Test func questionsCannotStoreIntoTheProfile() {
        let found = problems(
            """
            nodes:
              - question:
                  text: "Your e-mail?"
                  type: email
                  store: profile.email
            """)
        #expect(found.count == 1)
        #expect(found.first?.location.line == 5)
        #expect(found.first?.message.contains("copy them to the profile with a 'set' node") == true)
    }

    @Test(arguments: [("maxAttemps", "maxAttempts"), ("repromt", "reprompt"), ("onfailure", "onFailure")])
    func typosGetAHint(typo: String, meant: String) {
        let found = problems(
            """
            nodes:
              - question:
                  text: "Age?"
                  store: age
                  \(typo): 2
            """)
        #expect(found.first?.message.contains("did you mean '\(meant)'?") == true, "\(found)")
    }
}
