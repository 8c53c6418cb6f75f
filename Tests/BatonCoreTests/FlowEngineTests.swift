import BatonCore
import Foundation
import Testing

/// For each id, a say node saying the id and an end node: jump targets whose only effect names them.
private func landings(_ ids: String...) throws -> [FlowNode] {
    try ids.flatMap { [try FlowNode.say($0, $0), try FlowNode.end("\($0)-end")] }
}

/// A node of each kind whose expression fails at run time, for the problem tests.
enum BrokenFlowNode: String, CaseIterable, Sendable {
    case say, question, branch, switchValue, switchWhen, set, handoverInbox, handoverAcceptedMessage, end, quickReply, attachmentName

    func node() throws -> FlowNode {
        let location = flowTestLocation(30)
        let failing = "{{ 1 / 0 }}"
        switch self {
        case .say: return try .say("broken", failing, location: location)
        case .question: return try .question("broken", failing, store: "x", location: location)
        case .branch: return try .branch("broken", "1 / 0 > 1", then: "x", location: location)
        case .switchValue: return try .switchOn("broken", "1 / 0", cases: [], location: location)
        case .switchWhen: return try .switchOn("broken", nil, cases: [.when("1 / 0", "x")], location: location)
        case .set: return try .set("broken", [(.context, "x", failing)], location: location)
        case .handoverInbox: return try .handover("broken", inbox: failing, location: location)
        case .handoverAcceptedMessage: return try .handover("broken", accepted: failing, location: location)
        case .end: return try .end("broken", failing, location: location)
        case .quickReply: return .say("broken", message: try .text("Pick", replies: [(failing, nil)]), location: location)
        case .attachmentName: return .say("broken", message: try .text("Look", attachments: [(.image, "https://example.com/a.png", failing)]), location: location)
        }
    }
}

@Suite struct FlowEngineTests {
    // MARK: - Start

    @Test func startRunsFromTheTopAndStopsAtTheFirstQuestion() throws {
        var driver = try FlowDriver(
            [
                .say("hello", "Hello {{ profile.name }}!"),
                .say("facts", "{{ session.id }} {{ session.endpoint }} {{ session.userId }} {{ session.channel }} [{{ input.text }}]"),
                .question("ask", "What should I call you, {{ default(context.nickname, 'stranger') }}?", store: "nickname"),
                .say("after", "not yet"),
            ],
            state: .at(.idle, context: ["visits": 1], profile: ["name": "Ada"]))
        let result = driver.start()
        #expect(result.effects == [.sayText("Hello Ada!"), .sayText("s_test support u-42 webchat []"), .sayText("What should I call you, stranger?")])
        #expect(result.state.flow.position == .awaitingAnswer(nodeID: "ask", attempts: 0))
        #expect(result.state.context == ["visits": 1])
        #expect(result.state.profile == ["name": "Ada"])
        #expect(result.problems.isEmpty)
    }

    static let busyPositions: [FlowState.Position] = [
        .awaitingAnswer(nodeID: "ask", attempts: 0), .awaitingAnswer(nodeID: "ask", attempts: 2), .inHandover(nodeID: "handover"),
    ]

    @Test(arguments: busyPositions)
    func startWhenNotIdleDoesNothing(position: FlowState.Position) throws {
        let state = ConversationState.at(position, context: ["name": "Ada"], profile: ["tier": "vip"])
        var driver = try FlowDriver(
            [.say("hello", "Hello!"), .question("ask", "Name?", store: "name"), .handover("handover")], state: state)
        let result = driver.start()
        #expect(result.effects == [])
        #expect(result.problems == [])
        #expect(result.state == state)
    }

    @Test func startOfAFlowWithoutQuestionsSaysEverythingAndStaysIdle() throws {
        var driver = try FlowDriver([.say("one", "One"), .say("two", "Two")])
        let result = driver.start()
        #expect(result.effects == [.sayText("One"), .sayText("Two")])
        #expect(result.state.flow.position == .idle)
        #expect(result.problems == [])
    }

    @Test func startOfAnEmptyFlowDoesNothing() {
        var driver = FlowDriver([])
        let result = driver.start()
        #expect(result.effects == [])
        #expect(result.state == ConversationState())
    }

    // MARK: - Say

    @Test func sayRendersQuickRepliesAndAttachments() throws {
        let message = try MessageTemplate.text(
            "Pick one, {{ profile.name }}",
            replies: [("Yes {{ 1 + 1 }}", nil), ("Menu", "{{ 'me' + 'nu' }}")],
            attachments: [
                (.file, "https://example.com/{{ session.id }}.pdf", "Report {{ session.userId }}.pdf"),
                (.video, "  https://example.com/v.mp4  ", nil),
            ])
        var driver = FlowDriver([.say("pick", message: message)], state: .at(.idle, profile: ["name": "Ada"]))
        let result = driver.start()
        let expected = MessageContent(
            text: "Pick one, Ada",
            quickReplies: [QuickReply(title: "Yes 2"), QuickReply(title: "Menu", payload: "menu")],
            attachments: [
                Attachment(kind: .file, url: "https://example.com/s_test.pdf", name: "Report u-42.pdf"),
                Attachment(kind: .video, url: "https://example.com/v.mp4"),
            ])
        #expect(result.effects == [.say(expected)])
        #expect(result.problems == [])
    }

    @Test func sayWithoutTextSendsAnEmptyText() throws {
        let message = MessageTemplate(quickReplies: [QuickReplyTemplate(title: try Template(parsing: "OK"))])
        var driver = FlowDriver([.say("buttons", message: message)])
        #expect(driver.start().effects == [.say(MessageContent(text: "", quickReplies: [QuickReply(title: "OK")]))])
    }

    @Test func sayReadsTheUsersMessageAsInput() throws {
        var driver = try FlowDriver([.say("echo", "You said '{{ input.text }}' about order {{ input.data.order }}.")])
        let typed = driver.send("hi there", data: ["order": 7])
        #expect(typed.effects == [.sayText("You said 'hi there' about order 7.")])
        #expect(typed.state.flow.position == .idle)
        // A quick reply's payload is what the flow sees as `input.text`.
        let clicked = driver.send("Pictures", payload: "media")
        #expect(clicked.effects == [.sayText("You said 'media' about order .")])
    }

    // MARK: - Questions

    static let storedAnswers: [(AnswerType, String, JSONValue)] = [
        (.text, "  Ada Lovelace  ", "Ada Lovelace"),
        (.number, "42", 42),
        (.number, "3,5", 3.5),
        (.number, "-0.5", -0.5),
        (.email, "Ada@Example.COM", "ada@example.com"),
        (.yesNo, "Yes please", true),
        (.yesNo, "nope", false),
        (.pattern("[0-9]{5}"), "12345", "12345"),
    ]

    @Test(arguments: storedAnswers)
    func validAnswerIsStoredAtANestedContextPathAndTheFlowGoesOn(type: AnswerType, answer: String, stored: JSONValue) throws {
        var driver = try FlowDriver(
            [
                .question("ask", "Tell me", type, store: "user.answer"),
                .say("next", "Got {{ context.user.answer }}"),
                .question("more", "Anything else?", store: "more"),
            ],
            state: .at(.idle, context: ["user": ["name": "Ada"], "other": 1]))
        #expect(driver.start().effects == [.sayText("Tell me")])
        let result = driver.send(answer)
        #expect(result.effects == [.sayText("Got \(stored.displayText)"), .sayText("Anything else?")])
        #expect(result.state.context == ["user": ["name": "Ada", "answer": stored], "other": 1])
        #expect(result.state.flow.position == .awaitingAnswer(nodeID: "more", attempts: 0))
        #expect(result.problems == [])
    }

    @Test func answerStoredAtADeepPathReplacesAScalarOnTheWay() throws {
        var driver = try FlowDriver(
            [.question("ask", "Age?", .number, store: "user.profile.age")],
            state: .at(.awaitingAnswer(nodeID: "ask", attempts: 0), context: ["user": "scalar", "keep": true]))
        let result = driver.send("30")
        #expect(result.effects == [])
        #expect(result.state.context == ["user": ["profile": ["age": 30]], "keep": true])
        #expect(result.state.flow.position == .idle)
    }

    static let wrongAnswers: [(AnswerType, String)] = [
        (.text, "   "),
        (.number, "twelve"),
        (.number, "3,5,1"),
        (.email, "ada@example"),
        (.yesNo, "maybe"),
        (.pattern("[0-9]{5}"), "1234"),
        (.pattern("[0-9]{5}"), "zip 12345"),
    ]

    @Test(arguments: wrongAnswers)
    func wrongAnswerIsRepromptedAndCounted(type: AnswerType, answer: String) throws {
        var driver = try FlowDriver(
            [
                .question("ask", "Tell me", type, store: "answer", reprompt: "Sorry, try again (attempt {{ input.attempts }} of 3)."),
                .say("next", "next"),
            ],
            state: .at(.idle, context: ["keep": 1]))
        driver.start()
        let result = driver.send(answer)
        #expect(result.effects == [.sayText("Sorry, try again (attempt 1 of 3).")])
        #expect(result.state.flow.position == .awaitingAnswer(nodeID: "ask", attempts: 1))
        #expect(result.state.context == ["keep": 1])
        #expect(result.problems == [])
    }

    @Test func attemptsCountUpInTheRepromptUntilAValidAnswer() throws {
        var driver = try FlowDriver([
            .question(
                "age", "How old are you?", .number, store: "age",
                reprompt: "Digits please (attempt {{ input.attempts }} of 3, you wrote '{{ input.text }}')."),
            .say("done", "You are {{ context.age }}."),
        ])
        #expect(driver.start().effects == [.sayText("How old are you?")])

        let first = driver.send("old")
        #expect(first.effects == [.sayText("Digits please (attempt 1 of 3, you wrote 'old').")])
        #expect(first.state.flow.position == .awaitingAnswer(nodeID: "age", attempts: 1))

        let second = driver.send("very old")
        #expect(second.effects == [.sayText("Digits please (attempt 2 of 3, you wrote 'very old').")])
        #expect(second.state.flow.position == .awaitingAnswer(nodeID: "age", attempts: 2))
        #expect(second.state.context == .emptyObject)

        let valid = driver.send("30")
        #expect(valid.effects == [.sayText("You are 30.")])
        #expect(valid.state.flow.position == .idle)
        #expect(valid.state.context == ["age": 30])
    }

    @Test func wrongAnswerWithoutARepromptRepeatsThePrompt() throws {
        var driver = try FlowDriver(
            [.question("email", "Your e-mail, {{ profile.name }}?", .email, store: "email")], state: .at(.idle, profile: ["name": "Ada"]))
        driver.start()
        let first = driver.send("not an address")
        #expect(first.effects == [.sayText("Your e-mail, Ada?")])
        #expect(first.state.flow.position == .awaitingAnswer(nodeID: "email", attempts: 1))
        let second = driver.send("still not")
        #expect(second.effects == [.sayText("Your e-mail, Ada?")])
        #expect(second.state.flow.position == .awaitingAnswer(nodeID: "email", attempts: 2))
    }

    @Test func tooManyWrongAnswersJumpToOnFailure() throws {
        var driver = try FlowDriver([
            .question(
                "email", "Your e-mail?", .email, store: "contact.email", reprompt: "That is not an e-mail address.", maxAttempts: 2,
                onFailure: "fallback"),
            .say("thanks", "Thanks!"),
            .end("stop"),
            .say("fallback", "Let's skip that after {{ input.attempts }} tries."),
            .question("next", "Anything else?", store: "next"),
        ])
        driver.start()
        let first = driver.send("nope")
        #expect(first.effects == [.sayText("That is not an e-mail address.")])
        #expect(first.state.flow.position == .awaitingAnswer(nodeID: "email", attempts: 1))

        let second = driver.send("still no")
        #expect(second.effects == [.sayText("Let's skip that after 2 tries."), .sayText("Anything else?")])
        #expect(second.state.flow.position == .awaitingAnswer(nodeID: "next", attempts: 0))
        #expect(second.state.context == .emptyObject)
        #expect(second.problems == [])
    }

    @Test func tooManyWrongAnswersWithoutOnFailureContinueBelow() throws {
        var driver = try FlowDriver([
            .question("zip", "Your zip code?", .pattern("[0-9]{5}"), store: "zip", maxAttempts: 2),
            .say("below", "Moving on after {{ input.attempts }} attempts."),
        ])
        driver.start()
        #expect(driver.send("x").effects == [.sayText("Your zip code?")])
        let result = driver.send("y")
        #expect(result.effects == [.sayText("Moving on after 2 attempts.")])
        #expect(result.state.flow.position == .idle)
        #expect(result.state.context == .emptyObject)
    }

    @Test func maxAttemptsOfOneGivesUpAtTheFirstWrongAnswer() throws {
        var driver = try FlowDriver([
            .question("sure", "Sure?", .yesNo, store: "sure", reprompt: "never said", maxAttempts: 1, onFailure: "unsure"),
            .end("stop"),
            .say("unsure", "Let's take that as a maybe."),
        ])
        driver.start()
        let result = driver.send("hmm")
        #expect(result.effects == [.sayText("Let's take that as a maybe.")])
        #expect(result.state.flow.position == .idle)
    }

    @Test func attemptsRestoredFromAStoredStateCountTowardsTheLimit() throws {
        var driver = try FlowDriver(
            [.question("ask", "Number?", .number, store: "n", maxAttempts: 3), .say("below", "gave up at {{ input.attempts }}")],
            state: .at(.awaitingAnswer(nodeID: "ask", attempts: 2)))
        let result = driver.send("no")
        #expect(result.effects == [.sayText("gave up at 3")])
        #expect(result.state.flow.position == .idle)
    }

    // MARK: - if

    static let branches: [(age: Int, then: String?, otherwise: String?, expected: String)] = [
        (20, "adult", "minor", "adult"),
        (18, "adult", "minor", "adult"),
        (12, "adult", "minor", "minor"),
        (20, nil, "minor", "below"),
        (12, "adult", nil, "below"),
        (12, nil, nil, "below"),
    ]

    @Test(arguments: branches)
    func ifJumpsToThenOrElseOrFallsThroughToTheNextNode(age: Int, then: String?, otherwise: String?, expected: String) throws {
        let nodes: [FlowNode] = try [.branch("check", "context.age >= 18", then: then, else: otherwise)] + landings("below", "adult", "minor")
        var driver = FlowDriver(nodes, state: .at(.idle, context: ["age": .number(Double(age))]))
        let result = driver.start()
        #expect(result.effects == [.sayText(expected)])
        #expect(result.state.flow.position == .idle)
        #expect(result.problems == [])
    }

    static let truthiness: [(JSONValue, Bool)] = [
        (true, true), (false, false), (nil, false), (0, false), (1, true), (-1, true), ("", false), ("no", true),
        ([], false), ([0], true), ([:], false), (["a": nil], true),
    ]

    @Test(arguments: truthiness)
    func ifUsesFlowTruthiness(value: JSONValue, holds: Bool) throws {
        let nodes: [FlowNode] = try [.branch("check", "context.value", then: "yes", else: "no")] + landings("yes", "no")
        var driver = FlowDriver(nodes, state: .at(.idle, context: ["value": value]))
        #expect(driver.start().effects == [.sayText(holds ? "yes" : "no")])
    }

    @Test func ifOnAMissingValueTakesTheElseBranch() throws {
        let nodes: [FlowNode] = try [.branch("check", "context.missing.deeper", then: "yes", else: "no")] + landings("yes", "no")
        var driver = FlowDriver(nodes)
        #expect(driver.start().effects == [.sayText("no")])
    }

    // MARK: - switch

    static let switchValues: [(JSONValue, String)] = [
        (2, "number"), (2.0, "number"), ("2", "string"), (true, "bool"), (["a", "b"], "array"), (["k": 1], "object"),
        (nil, "null"), (3, "other"), (false, "other"), ("two", "other"), (["b", "a"], "other"), (["k": "1"], "other"),
    ]

    @Test(arguments: switchValues)
    func switchMatchesEqualsCasesWithTypedValues(value: JSONValue, expected: String) throws {
        let nodes: [FlowNode] =
            try [
                .switchOn(
                    "route", "context.value",
                    cases: [
                        .equals(2, "number"), .equals("2", "string"), .equals(true, "bool"), .equals(["a", "b"], "array"),
                        .equals(["k": 1], "object"), .equals(nil, "null"),
                    ],
                    default: "other")
            ] + landings("below", "number", "string", "bool", "array", "object", "null", "other")
        var driver = FlowDriver(nodes, state: .at(.idle, context: ["value": value]))
        let result = driver.start()
        #expect(result.effects == [.sayText(expected)])
        #expect(result.problems == [])
    }

    @Test(arguments: [(95, "a"), (90, "a"), (60, "b"), (50, "b"), (10, "c")])
    func switchWithoutAValueTakesTheFirstTrueWhenCase(score: Int, expected: String) throws {
        let nodes: [FlowNode] =
            try [.switchOn("grade", nil, cases: [.when("context.score >= 90", "a"), .when("context.score >= 50", "b")], default: "c")]
            + landings("below", "a", "b", "c")
        var driver = FlowDriver(nodes, state: .at(.idle, context: ["score": .number(Double(score))]))
        #expect(driver.start().effects == [.sayText(expected)])
    }

    @Test(arguments: [("QUIZ", "quiz"), ("Pictures", "media"), ("something else", "below")])
    func switchMixesEqualsAndWhenCasesAndFallsThroughWithoutDefault(choice: String, expected: String) throws {
        let nodes: [FlowNode] =
            try [
                .switchOn(
                    "menu", "lower(context.choice)",
                    cases: [.equals("quiz", "quiz"), .when("contains(lower(context.choice), 'pic')", "media")])
            ] + landings("below", "quiz", "media")
        var driver = FlowDriver(nodes, state: .at(.idle, context: ["choice": .string(choice)]))
        let result = driver.start()
        #expect(result.effects == [.sayText(expected)])
        #expect(result.state.flow.position == .idle)
    }

    @Test func switchWithoutCasesOrDefaultGoesToTheNextNode() throws {
        let nodes: [FlowNode] = try [.switchOn("empty", "context.x", cases: [])] + landings("below")
        var driver = FlowDriver(nodes)
        #expect(driver.start().effects == [.sayText("below")])
    }

    // MARK: - set

    @Test func setStoresTypedValuesInContextAndProfileAtNestedPaths() throws {
        var driver = try FlowDriver(
            [
                .set(
                    "store",
                    [
                        (.context, "user.age", "{{ 40 + 2 }}"),
                        (.context, "user.double", "{{ context.user.age * 2 }}"),
                        (.context, "flags.vip", "{{ profile.tier == 'gold' }}"),
                        (.context, "greeting", "Hi {{ profile.name }}"),
                        (.context, "padded", "  {{ context.user.age }}  "),
                        (.context, "literal", "plain"),
                        (.context, "digits", "42"),
                        (.context, "list", "{{ [1, 'two'] }}"),
                        (.context, "nothing", "{{ context.missing }}"),
                        (.context, "replace.inner", "x"),
                        (.profile, "tier", "platinum"),
                        (.profile, "address.city", "{{ upper('paris') }}"),
                    ]),
                .say("show", "{{ context.user.age }}/{{ context.user.double }}/{{ profile.tier }}/{{ profile.address.city }}"),
            ],
            state: .at(.idle, context: ["user": ["name": "Ada"], "keep": 1, "replace": "scalar"], profile: ["name": "Ada", "tier": "gold"]))
        let result = driver.start()
        #expect(result.effects == [.sayText("42/84/platinum/PARIS")])
        #expect(
            result.state.context == [
                "user": ["name": "Ada", "age": 42, "double": 84], "keep": 1, "replace": ["inner": "x"], "flags": ["vip": true],
                "greeting": "Hi Ada", "padded": 42, "literal": "plain", "digits": "42", "list": [1, "two"], "nothing": nil,
            ])
        #expect(result.state.profile == ["name": "Ada", "tier": "platinum", "address": ["city": "PARIS"]])
        #expect(result.state.flow.position == .idle)
        #expect(result.problems == [])
    }

    @Test func setCanStoreTheUsersInput() throws {
        var driver = try FlowDriver([.set("remember", [(.context, "last.text", "{{ input.text }}"), (.profile, "orders", "{{ input.data.orders }}")])])
        let result = driver.send("hello", data: ["orders": [1, 2]])
        #expect(result.effects == [])
        #expect(result.state.context == ["last": ["text": "hello"]])
        #expect(result.state.profile == ["orders": [1, 2]])
    }

    // MARK: - goto and end

    @Test func gotoJumpsForwardAndBackward() throws {
        var driver = try FlowDriver([
            .goto("skip", "target"),
            .say("skipped", "never"),
            .say("target", "landed"),
            .question("again", "Again?", .yesNo, store: "again"),
            .branch("loop", "context.again", then: "target"),
            .end("bye", "Bye"),
        ])
        let start = driver.start()
        #expect(start.effects == [.sayText("landed"), .sayText("Again?")])
        #expect(start.state.flow.position == .awaitingAnswer(nodeID: "again", attempts: 0))

        let yes = driver.send("yes")
        #expect(yes.effects == [.sayText("landed"), .sayText("Again?")])
        #expect(yes.state.flow.position == .awaitingAnswer(nodeID: "again", attempts: 0))
        #expect(yes.state.context == ["again": true])

        let no = driver.send("no")
        #expect(no.effects == [.sayText("Bye")])
        #expect(no.state.flow.position == .idle)
        #expect(no.state.context == ["again": false])
    }

    @Test func endSaysItsMessageAndTheNextMessageRestartsFromTheTopKeepingContext() throws {
        var driver = try FlowDriver([
            .say("welcome", "Welcome{{ context.name ? ' back, ' + context.name : '' }}!"),
            .question("ask", "Name?", store: "name"),
            .end("bye", "Bye {{ context.name }}."),
            .say("unreached", "unreachable"),
        ])
        #expect(driver.start().effects == [.sayText("Welcome!"), .sayText("Name?")])

        let ended = driver.send("Ada")
        #expect(ended.effects == [.sayText("Bye Ada.")])
        #expect(ended.state.flow.position == .idle)
        #expect(ended.state.context == ["name": "Ada"])

        let again = driver.send("hello again")
        #expect(again.effects == [.sayText("Welcome back, Ada!"), .sayText("Name?")])
        #expect(again.state.flow.position == .awaitingAnswer(nodeID: "ask", attempts: 0))
        #expect(again.state.context == ["name": "Ada"])
    }

    @Test func endWithoutAMessageSaysNothing() throws {
        var driver = try FlowDriver([.say("hi", "Hi"), .end("stop"), .say("unreached", "unreachable")])
        #expect(driver.start().effects == [.sayText("Hi")])
        #expect(driver.send("x").effects == [.sayText("Hi")])
        #expect(driver.position == .idle)
    }

    @Test func runningOffTheBottomEndsTheFlowToo() throws {
        var driver = try FlowDriver([.question("ask", "Name?", store: "name"), .say("last", "Thanks {{ context.name }}")])
        driver.start()
        let answered = driver.send("Ada")
        #expect(answered.effects == [.sayText("Thanks Ada")])
        #expect(answered.state.flow.position == .idle)
        let restarted = driver.send("hi")
        #expect(restarted.effects == [.sayText("Name?")])
        #expect(restarted.state.flow.position == .awaitingAnswer(nodeID: "ask", attempts: 0))
    }

    // MARK: - Intents

    static func intentFlowNodes() throws -> [FlowNode] { try landings("top", "human") }
    static let humanIntent = Intent(name: "human", keywords: ["agent", "real person"], patterns: ["talk to (a|an) ?(human|person)"], target: "human")

    static let intentTexts: [(String, Bool)] = [
        ("agent", true),
        ("AGENT", true),
        ("An Agent, please!", true),
        ("agent?", true),
        ("  agent  ", true),
        ("agents", false),
        ("reagent", false),
        ("management", false),
        ("I want a real person", true),
        ("REAL   Person?!", true),
        ("real-person", true),
        ("person, real", false),
        ("real", false),
        ("a really personal question", false),
        ("Can I talk to a human?", true),
        ("TALK TO AN PERSON", true),
        ("let me talk to ahuman", true),
        ("talk to human", false),
        ("talk", false),
        ("hello", false),
        ("", false),
    ]

    @Test(arguments: intentTexts)
    func intentKeywordsMatchWholeWordsAndPhrasesAndPatternsIgnoreCase(text: String, matches: Bool) throws {
        var driver = FlowDriver(try Self.intentFlowNodes(), intents: [Self.humanIntent])
        let result = driver.send(text)
        #expect(result.effects == [.sayText(matches ? "human" : "top")])
        #expect(result.state.flow.position == .idle)
    }

    @Test(arguments: [
        (UserInput(text: "Talk to a human", payload: "agent"), true),
        (UserInput(text: "agent", payload: "menu"), false),
    ])
    func intentsLookAtTheQuickReplyPayload(input: UserInput, matches: Bool) throws {
        var driver = FlowDriver(try Self.intentFlowNodes(), intents: [Self.humanIntent])
        #expect(driver.handle(.message(input)).effects == [.sayText(matches ? "human" : "top")])
    }

    @Test func intentWinsOverAPendingQuestion() throws {
        var driver = try FlowDriver(
            [
                .question("email", "Your e-mail?", .email, store: "email"),
                .end("stop"),
                .say("human", "Connecting you ({{ input.text }})."),
                .question("why", "What is it about?", store: "topic"),
            ],
            intents: [Self.humanIntent],
            state: .at(.awaitingAnswer(nodeID: "email", attempts: 1), context: ["keep": 1]))
        let result = driver.send("agent please")
        #expect(result.effects == [.sayText("Connecting you (agent please)."), .sayText("What is it about?")])
        #expect(result.state.flow.position == .awaitingAnswer(nodeID: "why", attempts: 0))
        #expect(result.state.context == ["keep": 1])
    }

    @Test func intentWinsEvenOverAValidAnswer() throws {
        var driver = try FlowDriver(
            [.question("name", "Name?", store: "name")] + landings("human"), intents: [Self.humanIntent],
            state: .at(.awaitingAnswer(nodeID: "name", attempts: 0)))
        let result = driver.send("Agent")
        #expect(result.effects == [.sayText("human")])
        #expect(result.state.context == .emptyObject)
        #expect(result.state.flow.position == .idle)
    }

    @Test func theFirstMatchingIntentWins() throws {
        let intents = [
            Intent(name: "help", keywords: ["help"], target: "help"),
            Intent(name: "help-me", keywords: ["help me"], target: "help-me"),
            Intent(name: "order", patterns: [#"^order #?\d+$"#], target: "order"),
        ]
        var driver = FlowDriver(try landings("top", "help", "help-me", "order"), intents: intents)
        #expect(driver.send("help me").effects == [.sayText("help")])
        #expect(driver.send("ORDER #123").effects == [.sayText("order")])
        #expect(driver.send("my order #123").effects == [.sayText("top")])
    }

    @Test func intentsAreNotCheckedDuringAHandover() throws {
        let state = ConversationState.at(.inHandover(nodeID: "handover"), context: ["a": 1])
        var driver = FlowDriver(try [.handover("handover")] + landings("human"), intents: [Self.humanIntent], state: state)
        let result = driver.send("agent")
        #expect(result.effects == [.relayToAgent])
        #expect(result.state == state)
        #expect(result.problems == [])
    }

    @Test func intentWithAnUnknownTargetIsAProblem() throws {
        let intent = Intent(name: "lost", keywords: ["lost"], target: "gone", location: flowTestLocation(3))
        var driver = FlowDriver(try landings("top"), intents: [intent], state: .at(.awaitingAnswer(nodeID: "top", attempts: 0)))
        let result = driver.send("I am lost")
        #expect(result.effects == [.apology])
        #expect(result.problems.count == 1)
        #expect(result.problems.first?.nodeID == nil)
        #expect(result.problems.first?.message == "intent 'lost' jumps to unknown node 'gone'")
        #expect(result.problems.first?.location == flowTestLocation(3), "the problem points at the intent")
        #expect(result.state.flow.position == .idle)
    }

    // MARK: - Handover

    /// A handover with every option, then branches on how it ended.
    static func handoverNodes() throws -> [FlowNode] {
        try [
            .say("intro", "Let me find a human."),
            .handover(
                "handover", inbox: "{{ profile.tier == 'vip' ? 2 : 1 }}", accepted: "You're in the queue, {{ profile.name }}.",
                cancelKeywords: ["cancel", "never mind"], cancelButton: "Cancel", onResolve: "resolved"),
            .branch("after", "input.handover.status == 'cancelled'", then: "cancelled"),
            .branch("why", "input.handover.reason == 'unsupported'", then: "unsupported"),
            .say("failed", "No agent available ({{ input.handover.status }}, {{ input.handover.reason }}: {{ input.handover.detail }})."),
            .end("failed-end"),
            .say("cancelled", "Cancelled by {{ input.handover.reason }} ('{{ input.text }}')."),
            .question("menu", "Back to the menu?", .yesNo, store: "menu"),
            .say("unsupported", "Handover is not available here."),
            .end("unsupported-end"),
            .say("resolved", "Welcome back! Your request was {{ input.handover.status }}."),
        ]
    }

    static let inboxes: [(JSONValue, Double, String)] = [
        (["tier": "vip", "name": "Ada"], 2, "Ada"),
        (["tier": "basic", "name": "Bob"], 1, "Bob"),
        (["name": "Eve"], 1, "Eve"),
    ]

    @Test(arguments: inboxes)
    func handoverRequestsAnEvaluatedInboxAndRendersTheAcceptedMessage(profile: JSONValue, inbox: Double, name: String) throws {
        var driver = FlowDriver(try Self.handoverNodes(), state: .at(.idle, profile: profile))
        let result = driver.start()
        let request = HandoverRequest(
            nodeID: "handover", provider: "chatwoot", inbox: .number(inbox),
            acceptedMessage: MessageContent(text: "You're in the queue, \(name).", quickReplies: [QuickReply(title: "Cancel")]))
        #expect(result.effects == [.sayText("Let me find a human."), .requestHandover(request)])
        #expect(result.state.flow.position == .inHandover(nodeID: "handover"))
        #expect(result.state.profile == profile)
        #expect(result.problems == [])
    }

    @Test func handoverWithoutOptionsRequestsNoInboxAndNoAcceptedMessage() throws {
        var driver = try FlowDriver([.handover("plain", provider: "other"), .say("below", "below")])
        let result = driver.start()
        #expect(result.effects == [.requestHandover(HandoverRequest(nodeID: "plain", provider: "other", inbox: nil, acceptedMessage: nil))])
        #expect(result.state.flow.position == .inHandover(nodeID: "plain"))
    }

    @Test func cancelButtonAloneMakesAnAcceptedMessageWithOnlyTheButton() throws {
        var driver = try FlowDriver([.handover("h", cancelButton: "Stop waiting")])
        let result = driver.start()
        let accepted = MessageContent(text: "", quickReplies: [QuickReply(title: "Stop waiting")])
        #expect(result.effects == [.requestHandover(HandoverRequest(nodeID: "h", provider: "chatwoot", inbox: nil, acceptedMessage: accepted))])
    }

    @Test func cancelButtonComesAfterTheAcceptedMessagesOwnQuickReplies() throws {
        let node = HandoverNode(
            provider: "chatwoot", inbox: try Template(parsing: "{{ 3 }}"), acceptedMessage: try .text("Queued", replies: [("FAQ", "faq")]),
            cancelButton: "Cancel")
        var driver = FlowDriver([.handover("h", node: node)])
        let accepted = MessageContent(text: "Queued", quickReplies: [QuickReply(title: "FAQ", payload: "faq"), QuickReply(title: "Cancel")])
        #expect(driver.start().effects == [.requestHandover(HandoverRequest(nodeID: "h", provider: "chatwoot", inbox: 3, acceptedMessage: accepted))])
    }

    @Test(arguments: ["Hello, is anyone there?", "I want an agent", "cancellation policy?", "never", "I don't mind", "yes", ""])
    func userMessagesDuringAHandoverAreRelayedToTheAgent(text: String) throws {
        var driver = FlowDriver(try Self.handoverNodes(), state: .at(.idle, context: ["a": 1], profile: ["tier": "vip"]))
        driver.start()
        let before = driver.state
        let result = driver.send(text)
        #expect(result.effects == [.relayToAgent])
        #expect(result.state == before)
        #expect(result.problems == [])
    }

    @Test(arguments: [
        UserInput(text: "cancel"),
        UserInput(text: "CANCEL!"),
        UserInput(text: "Please cancel that"),
        UserInput(text: "Oh never mind, thanks"),
        UserInput(text: "Cancel", payload: "Cancel"),
        UserInput(text: "Cancel"),
    ])
    func cancelKeywordOrButtonCancelsTheHandoverAndTheFlowContinuesBelow(input: UserInput) throws {
        var driver = FlowDriver(try Self.handoverNodes(), state: .at(.idle, context: ["a": 1]))
        driver.start()
        let result = driver.handle(.message(input))
        #expect(result.effects == [.cancelHandover, .sayText("Cancelled by user ('\(input.effectiveText)')."), .sayText("Back to the menu?")])
        #expect(result.state.flow.position == .awaitingAnswer(nodeID: "menu", attempts: 0))
        #expect(result.state.context == ["a": 1])
        #expect(result.problems == [])

        let next = driver.send("yes")
        #expect(next.effects == [.sayText("Handover is not available here.")])
        #expect(next.state.context == ["a": 1, "menu": true])
    }

    @Test func cancelButtonWorksWithoutCancelKeywords() throws {
        var driver = try FlowDriver([.handover("h", cancelButton: "Stop waiting"), .say("below", "Stopped: {{ input.handover.status }}")])
        driver.start()
        #expect(driver.send("cancel").effects == [.relayToAgent])
        let result = driver.send("Stop waiting", payload: "Stop waiting")
        #expect(result.effects == [.cancelHandover, .sayText("Stopped: cancelled")])
        #expect(result.state.flow.position == .idle)
    }

    @Test func completedHandoverGoesToOnResolve() throws {
        var driver = FlowDriver(try Self.handoverNodes())
        driver.start()
        let result = driver.handoverEnded(.completed)
        #expect(result.effects == [.sayText("Welcome back! Your request was completed.")])
        #expect(result.state.flow.position == .idle)
        #expect(result.problems == [])
    }

    @Test func completedHandoverWithoutOnResolveContinuesBelow() throws {
        var driver = try FlowDriver([
            .handover("handover"),
            .say("below", "Back with the bot ({{ input.handover.status }})."),
            .question("rate", "How was it?", store: "rating"),
        ])
        driver.start()
        let result = driver.handoverEnded(.completed)
        #expect(result.effects == [.sayText("Back with the bot (completed)."), .sayText("How was it?")])
        #expect(result.state.flow.position == .awaitingAnswer(nodeID: "rate", attempts: 0))
    }

    @Test func unsupportedHandoverContinuesBelowWithItsReasonReadableByAnIf() throws {
        var driver = FlowDriver(try Self.handoverNodes())
        driver.start()
        let result = driver.handoverEnded(.error, reason: .unsupported)
        #expect(result.effects == [.sayText("Handover is not available here.")])
        #expect(result.state.flow.position == .idle)
        #expect(result.problems == [])
    }

    @Test func failedHandoverContinuesBelowWithReasonAndDetail() throws {
        var driver = FlowDriver(try Self.handoverNodes())
        driver.start()
        let result = driver.handoverEnded(.error, reason: .providerUnreachable, detail: "HTTP 503")
        #expect(result.effects == [.sayText("No agent available (error, provider_unreachable: HTTP 503).")])
        #expect(result.state.flow.position == .idle)
    }

    @Test func handoverCancelledByTheProviderContinuesBelowNotAtOnResolve() throws {
        var driver = FlowDriver(try Self.handoverNodes())
        driver.start()
        let result = driver.handoverEnded(.cancelled, reason: .user)
        #expect(result.effects == [.sayText("Cancelled by user ('')."), .sayText("Back to the menu?")])
        #expect(result.state.flow.position == .awaitingAnswer(nodeID: "menu", attempts: 0))
    }

    static let notInHandover: [FlowState.Position] = [.idle, .awaitingAnswer(nodeID: "menu", attempts: 1)]

    @Test(arguments: notInHandover)
    func handoverEndedOutsideAHandoverChangesNothing(position: FlowState.Position) throws {
        let state = ConversationState.at(position, context: ["a": 1], profile: ["b": 2])
        var driver = FlowDriver(try Self.handoverNodes(), state: state)
        for status in [HandoverOutcome.Status.completed, .cancelled, .error] {
            let result = driver.handoverEnded(status, reason: .unsupported)
            #expect(result.effects == [])
            #expect(result.problems == [])
            #expect(result.state == state)
        }
    }

    // MARK: - Runtime problems

    @Test func expressionErrorIsAProblemWithNodeAndLocationAndTheUserGetsAnApology() throws {
        var driver = try FlowDriver(
            [
                .set("count", [(.context, "visits", "{{ 1 }}")]),
                .say("greet", "Hello"),
                .say("broken", "Ratio: {{ context.visits / 0 }}", location: flowTestLocation(12)),
                .say("never", "never"),
            ],
            state: .at(.idle, context: ["keep": true]))
        let result = driver.start()
        let problem = FlowProblem(nodeID: "broken", location: flowTestLocation(12), message: "column 26: division by zero")
        #expect(result.effects == [.sayText("Hello"), .apology])
        #expect(result.problems == [problem])
        #expect(problem.description == "flows/test.yaml:12:5: node 'broken': column 26: division by zero")
        #expect(result.state.flow.position == .idle)
        #expect(result.state.context == ["keep": true, "visits": 1])
    }

    @Test func comparingAStringWithANumberIsAProblem() throws {
        var driver = try FlowDriver(
            [.branch("check", "context.name > 3", then: "big", location: flowTestLocation(20, column: 3))] + landings("big"),
            state: .at(.idle, context: ["name": "Ada"]))
        let result = driver.start()
        #expect(result.effects == [.apology])
        #expect(
            result.problems == [
                FlowProblem(nodeID: "check", location: flowTestLocation(20, column: 3), message: "column 14: cannot compare a string with a number using '>'")
            ])
        #expect(result.state.flow.position == .idle)
    }

    @Test(arguments: BrokenFlowNode.allCases)
    func runtimeErrorInAnyNodeKindIsAProblemAndNothingOfThatNodeIsEmitted(kind: BrokenFlowNode) throws {
        let nodes: [FlowNode] = try [.say("before", "before"), kind.node()] + landings("after", "x")
        var driver = FlowDriver(nodes)
        let result = driver.start()
        #expect(result.effects == [.sayText("before"), .apology])
        #expect(result.problems.map(\.nodeID) == ["broken"])
        #expect(result.problems.map(\.location) == [flowTestLocation(30)])
        #expect(result.problems.first?.message.hasSuffix("division by zero") == true)
        #expect(result.state.flow.position == .idle)
        #expect(result.state.context == .emptyObject)
    }

    @Test func runtimeErrorInARepromptIsAProblemAndTheQuestionIsLeft() throws {
        var driver = try FlowDriver([.question("ask", "Age?", .number, store: "age", reprompt: "{{ 1 / 0 }}", location: flowTestLocation(4))])
        driver.start()
        let result = driver.send("old")
        #expect(result.effects == [.apology])
        #expect(result.problems == [FlowProblem(nodeID: "ask", location: flowTestLocation(4), message: "column 6: division by zero")])
        #expect(result.state.flow.position == .idle)
    }

    @Test func runtimeErrorWhileAnsweringAfterAValidAnswerKeepsTheAnswer() throws {
        var driver = try FlowDriver([.question("ask", "Age?", .number, store: "age"), .say("broken", "{{ context.age - 'x' }}")])
        driver.start()
        let result = driver.send("30")
        #expect(result.effects == [.apology])
        #expect(result.problems.map(\.nodeID) == ["broken"])
        #expect(result.problems.first?.message == "column 16: cannot apply '-' to a number and a string")
        #expect(result.state.context == ["age": 30])
        #expect(result.state.flow.position == .idle)
    }

    @Test func gotoLoopStopsAfterMaxStepsPerEvent() throws {
        var driver = FlowDriver([.goto("a", "b", location: flowTestLocation(1)), .goto("b", "a", location: flowTestLocation(2))])
        let result = driver.start()
        #expect(result.effects == [.apology])
        // Steps 1…200 alternate a, b; step 201 (node a again) is refused.
        #expect(
            result.problems == [
                FlowProblem(
                    nodeID: "a", location: flowTestLocation(1),
                    message: "more than \(FlowEngine.maxStepsPerEvent) steps without waiting for the user; is there a goto loop?")
            ])
        #expect(result.state.flow.position == .idle)
    }

    @Test func loopThatSaysThingsSaysThemUntilTheLimit() throws {
        var driver = try FlowDriver([.say("tick", "tick"), .goto("again", "tick")])
        let result = driver.send("go")
        #expect(result.effects == Array(repeating: .sayText("tick"), count: FlowEngine.maxStepsPerEvent / 2) + [.apology])
        #expect(result.problems.map(\.nodeID) == ["tick"])
        #expect(result.state.flow.position == .idle)
    }

    @Test func exactlyMaxStepsPerEventNodesStillRun() throws {
        let count = FlowEngine.maxStepsPerEvent
        let nodes = try (1...count).map { try FlowNode.say("n\($0)", "\($0)") }
        var fits = FlowDriver(nodes)
        let fitting = fits.start()
        #expect(fitting.effects.count == count)
        #expect(fitting.problems == [])

        var tooLong = FlowDriver(nodes + [try .say("n\(count + 1)", "\(count + 1)")])
        let result = tooLong.start()
        let expected: [FlowEffect] = nodes.indices.map { FlowEffect.sayText("\($0 + 1)") } + [.apology]
        #expect(result.effects == expected)
        #expect(result.problems.map(\.nodeID) == ["n\(count + 1)"])
    }

    @Test func gotoUnknownNodeIsAProblem() throws {
        var driver = try FlowDriver([.say("hi", "Hi"), .goto("jump", "nowhere", location: flowTestLocation(7)), .say("below", "below")])
        let result = driver.start()
        #expect(result.effects == [.sayText("Hi"), .apology])
        #expect(result.problems.map(\.nodeID) == ["jump"])
        #expect(result.problems.map(\.location) == [flowTestLocation(7)])
        #expect(result.problems.first?.message.hasSuffix("jumps to unknown node 'nowhere'") == true)
        #expect(result.state.flow.position == .idle)
    }

    @Test func unknownTargetsOfIfAndSwitchAreProblems() throws {
        var branching = try FlowDriver([.branch("check", "true", then: "nowhere"), .say("below", "below")])
        let branchResult = branching.start()
        #expect(branchResult.effects == [.apology])
        #expect(branchResult.problems.map(\.nodeID) == ["check"])
        #expect(branchResult.problems.first?.message.hasSuffix("jumps to unknown node 'nowhere'") == true)

        var switching = try FlowDriver([.switchOn("route", "1", cases: [.equals(2, "two")], default: "nowhere"), .say("two", "two")])
        let switchResult = switching.start()
        #expect(switchResult.effects == [.apology])
        #expect(switchResult.problems.map(\.nodeID) == ["route"])
        #expect(switchResult.problems.first?.message.hasSuffix("jumps to unknown node 'nowhere'") == true)
    }

    @Test func unknownOnFailureTargetIsAProblem() throws {
        var driver = try FlowDriver(
            [.question("ask", "Number?", .number, store: "n", maxAttempts: 1, onFailure: "nowhere", location: flowTestLocation(9))])
        driver.start()
        let result = driver.send("abc")
        #expect(result.effects == [.apology])
        #expect(result.problems == [FlowProblem(nodeID: "ask", location: flowTestLocation(9), message: "jumps to unknown node 'nowhere'")])
        #expect(result.state.flow.position == .idle)
    }

    @Test func unknownOnResolveTargetIsAProblem() throws {
        var driver = try FlowDriver([.handover("handover", onResolve: "nowhere", location: flowTestLocation(11)), .say("below", "below")])
        driver.start()
        let result = driver.handoverEnded(.completed)
        #expect(result.effects == [.apology])
        #expect(result.problems == [FlowProblem(nodeID: "handover", location: flowTestLocation(11), message: "jumps to unknown node 'nowhere'")])
        #expect(result.state.flow.position == .idle)
    }

    static let unsafeURLs = [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "  javascript:alert(1)  ",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "ftp://example.com/cat.png",
        "//example.com/cat.png",
        "example.com/cat.png",
        "https://",
        "",
    ]

    @Test(arguments: unsafeURLs)
    func attachmentURLThatIsNotHTTPIsAProblemAndNeverEmitted(url: String) throws {
        let message = try MessageTemplate.text("Look", attachments: [(.image, "{{ context.url }}", "cat.png")])
        var driver = FlowDriver([.say("media", message: message, location: flowTestLocation(40))], state: .at(.idle, context: ["url": .string(url)]))
        let result = driver.start()
        #expect(result.effects == [.apology])
        let trimmed = url.trimmingCharacters(in: .whitespaces)
        #expect(
            result.problems == [
                FlowProblem(nodeID: "media", location: flowTestLocation(40), message: "attachment URL '\(trimmed)' is not an http(s) URL")
            ])
        #expect(result.state.flow.position == .idle)
    }

    @Test(arguments: [
        ("https://example.com/cat.png", "https://example.com/cat.png"),
        ("  http://example.com/cat.png\n", "http://example.com/cat.png"),
        ("HTTPS://EXAMPLE.COM/CAT.PNG", "HTTPS://EXAMPLE.COM/CAT.PNG"),
    ])
    func attachmentWithAWebURLIsEmittedTrimmed(url: String, emitted: String) throws {
        let message = try MessageTemplate.text("Look", attachments: [(.image, "{{ context.url }}", "cat.png")])
        var driver = FlowDriver([.say("media", message: message)], state: .at(.idle, context: ["url": .string(url)]))
        let result = driver.start()
        #expect(result.effects == [.say(MessageContent(text: "Look", attachments: [Attachment(kind: .image, url: emitted, name: "cat.png")]))])
        #expect(result.problems == [])
    }

    // MARK: - A flow edited under a running session

    static func editedFlow() throws -> [FlowNode] {
        try [.say("welcome", "Welcome!"), .question("name", "Name?", store: "name"), .say("hi", "Hi {{ context.name }}")]
    }

    @Test(arguments: [
        FlowState.Position.awaitingAnswer(nodeID: "removed", attempts: 2), .awaitingAnswer(nodeID: "welcome", attempts: 0),
    ])
    func awaitingAnAnswerForAQuestionThatIsGoneRestartsFromTheTop(position: FlowState.Position) throws {
        var driver = FlowDriver(try Self.editedFlow(), state: .at(position, context: ["keep": 1]))
        let result = driver.send("Ada")
        #expect(result.effects == [.sayText("Welcome!"), .sayText("Name?")])
        #expect(result.state.flow.position == .awaitingAnswer(nodeID: "name", attempts: 0))
        #expect(result.state.context == ["keep": 1])
        #expect(result.problems == [])
    }

    @Test(arguments: ["hello", "cancel", "Cancel"])
    func inAHandoverWhoseNodeIsGoneMessagesStillGoToTheAgent(text: String) throws {
        let state = ConversationState.at(.inHandover(nodeID: "removed"), context: ["keep": 1])
        var driver = FlowDriver(try Self.editedFlow(), state: state)
        let result = driver.send(text)
        #expect(result.effects == [.relayToAgent])
        #expect(result.state == state)
        #expect(result.problems == [])
    }

    @Test func inAHandoverWhoseIDNowNamesAnotherKindOfNodeMessagesStillGoToTheAgent() throws {
        let state = ConversationState.at(.inHandover(nodeID: "welcome"))
        var driver = FlowDriver(try Self.editedFlow(), state: state)
        let result = driver.send("hello")
        #expect(result.effects == [.relayToAgent])
        #expect(result.state == state)
    }

    @Test func handoverEndingWhoseNodeIsGoneStartsOverInsteadOfStayingInTheHandover() throws {
        var driver = FlowDriver(try Self.editedFlow(), state: .at(.inHandover(nodeID: "removed"), context: ["keep": 1]))
        let ended = driver.handoverEnded(.completed)
        #expect(ended.effects == [.sayText("Welcome!"), .sayText("Name?")])
        #expect(ended.state.flow.position == .awaitingAnswer(nodeID: "name", attempts: 0))
        #expect(ended.state.context == ["keep": 1])
        #expect(ended.problems == [])
        // The session is back with the bot: the next message is an answer, not relayed.
        let next = driver.send("Ada")
        #expect(next.effects == [.sayText("Hi Ada")])
        #expect(next.state.context == ["keep": 1, "name": "Ada"])
    }

    @Test func handoverEndingWhoseIDNowNamesAnotherKindOfNodeContinuesBelowIt() throws {
        var driver = FlowDriver(try Self.editedFlow(), state: .at(.inHandover(nodeID: "welcome")))
        let result = driver.handoverEnded(.completed)
        #expect(result.effects == [.sayText("Name?")])
        #expect(result.state.flow.position == .awaitingAnswer(nodeID: "name", attempts: 0))
    }

    // MARK: - Determinism

    static let script: [FlowEvent] = [
        .start,
        .message(UserInput(text: "Ada")),
        .message(UserInput(text: "twelve")),
        .message(UserInput(text: "42")),
        .message(UserInput(text: "talk to a human")),
        .message(UserInput(text: "hello?")),
        .handoverEnded(HandoverOutcome(status: .error, reason: .unsupported)),
        .message(UserInput(text: "no", payload: "no")),
        .message(UserInput(text: "restart")),
        .message(UserInput(text: "agent")),
    ]

    static func deterministicFlow() throws -> Flow {
        Flow(
            name: "replay",
            nodes: try [
                .say("welcome", "Hi {{ session.userId }}"),
                .question("name", "Name?", store: "name"),
                .question("age", "Age, {{ context.name }}?", .number, store: "age", reprompt: "Try {{ input.attempts }}"),
                .set("remember", [(.profile, "name", "{{ context.name }}"), (.context, "adult", "{{ context.age >= 18 }}")]),
                .handover("handover", inbox: "{{ context.adult ? 1 : 2 }}", accepted: "Queued"),
                .say("after", "Back ({{ input.handover.reason }})"),
                .question("more", "More?", .yesNo, store: "more"),
                .end("bye", "Bye {{ profile.name }}"),
            ],
            intents: [Self.humanIntent.with(target: "handover"), Intent(name: "restart", keywords: ["restart"], target: "welcome")])
    }

    @Test func sameInputsGiveEqualResults() throws {
        let engine = FlowEngine(flow: try Self.deterministicFlow())
        func replay() -> [FlowResult] {
            var state = ConversationState()
            return Self.script.map { event in
                let result = engine.handle(event, state: state, session: flowTestSession)
                state = result.state
                return result
            }
        }
        let first = replay()
        let second = replay()
        #expect(first == second)
        #expect(first.allSatisfy { $0.problems.isEmpty })
        #expect(first.map(\.state.flow.position).last == .inHandover(nodeID: "handover"))
        #expect(first.last?.state.context == ["name": "Ada", "age": 42, "adult": true, "more": false])
        // A single event handled twice from the same state gives the same result.
        let state = first[3].state
        let event = FlowEvent.message(UserInput(text: "talk to a human"))
        #expect(engine.handle(event, state: state, session: flowTestSession) == engine.handle(event, state: state, session: flowTestSession))
    }

    @Test func theReplayedConversationSaysWhatItShould() throws {
        var driver = FlowDriver(try Self.deterministicFlow().nodes, intents: try Self.deterministicFlow().intents)
        let effects = Self.script.map { driver.handle($0).effects }
        let queued = HandoverRequest(nodeID: "handover", provider: "chatwoot", inbox: 1, acceptedMessage: MessageContent(text: "Queued"))
        // The second time an intent leads there.
        var asked = queued
        asked.trigger = HandoverTrigger(kind: .intent, name: "human")
        #expect(
            effects == [
                [.sayText("Hi u-42"), .sayText("Name?")],
                [.sayText("Age, Ada?")],
                [.sayText("Try 1")],
                [.requestHandover(queued)],
                [.relayToAgent],
                [.relayToAgent],
                [.sayText("Back (unsupported)"), .sayText("More?")],
                [.sayText("Bye Ada")],
                [.sayText("Hi u-42"), .sayText("Name?")],
                [.requestHandover(asked)],
            ])
    }
}

extension Intent {
    fileprivate func with(target: String) -> Intent {
        var copy = self
        copy.target = target
        return copy
    }
}
