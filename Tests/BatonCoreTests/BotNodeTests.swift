import Foundation
import BatonCore
import Testing

/// The `bot` node: what the flow asks of an outside bot, and what it does with the answers.
@Suite("Flow engine: bot nodes")
struct BotNodeTests {
    static func flow(_ bot: BotNode = BotNode(bot: "assistant")) throws -> [FlowNode] {
        [
            try .say("hello", "Hi! Ask me anything."),
            FlowNode(id: "assistant", kind: .bot(bot)),
            try .switchOn(
                "after", "input.bot.outcome", cases: [.equals("handover", "human"), .equals("error", "fallback"), .equals("billing", "billing")],
                default: "bye"),
            try .say("human", "Getting a person ({{ input.bot.reason }})."),
            try .end("stop"),
            try .say("fallback", "Fallback after {{ input.bot.reason }}."),
            try .end("stop2"),
            try .say("billing", "Billing."),
            try .end("stop3"),
            try .end("bye", "Bye."),
        ]
    }

    static func asked(_ result: FlowResult) -> [BotTurnRequest] {
        result.effects.compactMap { if case .askBot(let request) = $0 { request } else { nil } }
    }

    static func said(_ result: FlowResult) -> [String] {
        result.effects.compactMap { if case .say(let content) = $0 { content.text } else { nil } }
    }

    @Test func reachedAtTheStartTheNodeWaitsForTheUser() throws {
        var driver = FlowDriver(try Self.flow())
        let start = driver.start()
        #expect(Self.said(start) == ["Hi! Ask me anything."])
        #expect(Self.asked(start).isEmpty, "no message led here: the bot waits")
        #expect(driver.state.flow.position == .withBot(visit: BotVisit(nodeID: "assistant", visit: 1)))
        let first = driver.send("Where is my order?", payload: nil)
        #expect(Self.asked(first) == [BotTurnRequest(nodeID: "assistant", bot: "assistant", visit: 1, turn: 1, input: BotInput(text: "Where is my order?"), prompt: nil)])
        #expect(first.effects.count == 1, "the user's words go to the bot, nothing else happens")
    }

    @Test func theMessageThatLeadsIntoTheNodeIsTheBotsFirstInput() throws {
        // An intent from the first message jumps straight into the bot node.
        var driver = FlowDriver(try Self.flow(), intents: [Intent(name: "ask", keywords: ["order"], target: "assistant")])
        let result = driver.send("My order is late", payload: nil)
        #expect(Self.asked(result).map(\.input) == [BotInput(text: "My order is late")])
    }

    @Test func aBotThatSpeaksFirstIsAskedWithoutInput() throws {
        var node = BotNode(bot: "assistant", speaksFirst: true)
        node.prompt = try Template(parsing: "You help {{ session.userId }}.")
        var driver = FlowDriver(try Self.flow(node))
        let start = driver.start()
        #expect(Self.asked(start) == [BotTurnRequest(nodeID: "assistant", bot: "assistant", visit: 1, turn: 1, input: nil, prompt: "You help u-42.")])
    }

    @Test func answersAreSaidAndTheNodeKeepsTheConversation() throws {
        var driver = FlowDriver(try Self.flow())
        driver.start()
        driver.send("Hi", payload: nil)
        let answer = driver.handle(.botAnswered(BotAnswer(nodeID: "assistant", visit: 1, turn: 1, messages: [MessageContent(text: "Hello!")], set: ["order.id": "A-7"])))
        #expect(Self.said(answer) == ["Hello!"])
        #expect(driver.state.context["order"]?["id"] == "A-7", "the bot's `set` lands in the context")
        #expect(driver.state.flow.position == .withBot(visit: BotVisit(nodeID: "assistant", visit: 1, asked: 1, answered: 1)))
        let next = driver.send("And?", payload: "/more")
        #expect(Self.asked(next).map(\.turn) == [2])
        #expect(Self.asked(next).first?.input == BotInput(text: "And?", payload: "/more"))
    }

    @Test func messagesWrittenWhileTheBotAnswersWaitAndAreAskedOneAtATime() throws {
        var driver = FlowDriver(try Self.flow())
        driver.start()
        #expect(Self.asked(driver.handle(.message(UserInput(text: "hi", messageID: 3)))).map(\.input?.messageID) == [3])
        // Two more while the first turn is being answered: no second turn in flight.
        #expect(driver.handle(.message(UserInput(text: "I need help", messageID: 4))).effects.isEmpty)
        #expect(driver.handle(.message(UserInput(text: "with my order", payload: "/order", messageID: 5))).effects.isEmpty)
        guard case .withBot(let visit) = driver.state.flow.position else { throw ChatTestError("not with the bot") }
        #expect(visit.asked == 1 && visit.waiting.map(\.text) == ["I need help", "with my order"])
        // Each answer lets the next waiting message be asked, with its own id.
        let first = driver.handle(.botAnswered(BotAnswer(nodeID: "assistant", visit: 1, turn: 1, messages: [MessageContent(text: "Hello!")])))
        #expect(Self.said(first) == ["Hello!"])
        #expect(Self.asked(first).map { [$0.turn, Int($0.input?.messageID ?? 0)] } == [[2, 4]])
        let second = driver.handle(.botAnswered(BotAnswer(nodeID: "assistant", visit: 1, turn: 2, messages: [MessageContent(text: "Sure.")])))
        #expect(Self.asked(second).first?.input == BotInput(text: "with my order", payload: "/order", messageID: 5))
        let third = driver.handle(.botAnswered(BotAnswer(nodeID: "assistant", visit: 1, turn: 3, messages: [MessageContent(text: "Which one?")])))
        #expect(Self.asked(third).isEmpty, "nothing waits any more")
    }

    @Test func aRepeatedOrStaleAnswerChangesNothing() throws {
        var driver = FlowDriver(try Self.flow())
        driver.start()
        driver.send("Hi", payload: nil)
        let hello = BotAnswer(nodeID: "assistant", visit: 1, turn: 1, messages: [MessageContent(text: "Hello!")])
        driver.handle(.botAnswered(hello))
        let state = driver.state
        #expect(driver.handle(.botAnswered(hello)).effects.isEmpty, "a turn answered twice (a retried job) is taken once")
        #expect(driver.handle(.botAnswered(BotAnswer(nodeID: "assistant", visit: 7, turn: 2, messages: [MessageContent(text: "Late")]))).effects.isEmpty)
        #expect(driver.state == state)
    }

    @Test func aHandoverLeavesTheNodeWithTheBotsReasonAndANoteForTheAgents() throws {
        var driver = FlowDriver(try Self.flow())
        driver.start()
        driver.send("A person please", payload: nil)
        let handover = BotHandover(reason: "user asked", summary: "Wants a refund for A-7", arguments: ["reason": "user asked"])
        let result = driver.handle(.botAnswered(BotAnswer(nodeID: "assistant", visit: 1, turn: 1, messages: [MessageContent(text: "One moment.")], ending: .handover(handover))))
        #expect(Self.said(result) == ["One moment.", "Getting a person (user asked)."])
        #expect(result.effects.contains(.noteToAgent("The bot handed this conversation over.\nReason: user asked\nSummary: Wants a refund for A-7")))
        #expect(driver.state.flow.position == .idle)
    }

    @Test func anErrorTellsTheUserAndTheFlowWhy() throws {
        var driver = FlowDriver(try Self.flow())
        driver.start()
        driver.send("Hi", payload: nil)
        let result = driver.handle(.botAnswered(.failure(BotTurnRequest(nodeID: "assistant", bot: "assistant", visit: 1, turn: 1, input: nil, prompt: nil), .rateLimited, detail: "429")))
        #expect(result.effects.first == .notice(.botUnavailable))
        #expect(Self.said(result) == ["Fallback after rate_limited."])
    }

    @Test func anEmptyAnswerIsAnErrorUnlessSilenceIsFine() throws {
        var strict = FlowDriver(try Self.flow())
        strict.start()
        strict.send("Hi", payload: nil)
        #expect(Self.said(strict.handle(.botAnswered(BotAnswer(nodeID: "assistant", visit: 1, turn: 1)))) == ["Fallback after empty."])

        var relaxed = FlowDriver(try Self.flow(BotNode(bot: "assistant", silenceIsFine: true)))
        relaxed.start()
        relaxed.send("Hi", payload: nil)
        #expect(relaxed.handle(.botAnswered(BotAnswer(nodeID: "assistant", visit: 1, turn: 1))).effects.isEmpty)
        #expect(relaxed.state.flow.position == .withBot(visit: BotVisit(nodeID: "assistant", visit: 1, asked: 1, answered: 1)))
    }

    @Test func namedExitsAndTheNodesOwnTargets() throws {
        var driver = FlowDriver(try Self.flow())
        driver.start()
        driver.send("Invoice", payload: nil)
        #expect(Self.said(driver.handle(.botAnswered(BotAnswer(nodeID: "assistant", visit: 1, turn: 1, ending: .exit("billing"))))) == ["Billing."])

        var mapped = FlowDriver(try Self.flow(BotNode(bot: "assistant", exits: ["end": "billing"])))
        mapped.start()
        mapped.send("Thanks", payload: nil)
        #expect(Self.said(mapped.handle(.botAnswered(BotAnswer(nodeID: "assistant", visit: 1, turn: 1, ending: .end(reason: nil))))) == ["Billing."])
    }

    @Test func anIntentStillJumpsAndANewVisitIgnoresTheOldOnesAnswers() throws {
        var driver = FlowDriver(try Self.flow(), intents: [Intent(name: "restart", keywords: ["restart"], target: "assistant")])
        driver.start()
        driver.send("Hi", payload: nil)
        let restart = driver.send("restart", payload: nil)
        #expect(Self.asked(restart).map(\.visit) == [2])
        #expect(driver.handle(.botAnswered(BotAnswer(nodeID: "assistant", visit: 1, turn: 1, messages: [MessageContent(text: "Old")]))).effects.isEmpty)
    }

    @Test func theBotsVisitSurvivesStorage() throws {
        let waiting = [BotInput(text: "more", payload: "/more", messageID: 9), BotInput(text: "plain")]
        let state = ConversationState(flow: FlowState(position: .withBot(visit: BotVisit(nodeID: "n", visit: 3, asked: 5, answered: 4, waiting: waiting)), botVisits: 3))
        #expect(try ConversationState(storageText: state.storageText) == state)
    }
}

/// The machine turns a bot node's turn into an outbox job that reads the transcript through the step's newest
/// message, and an error into Baton's notice.
@Suite("Conversation machine: bot turns")
struct BotTurnMachineTests {
    @Test func aTurnBecomesAJobThroughTheUsersMessage() throws {
        let machine = ConversationMachine(bot: FlowEngine(flow: Flow(name: "t", nodes: try BotNodeTests.flow())), session: flowTestSession, now: Date(timeIntervalSince1970: 1_750_000_000))
        let started = machine.handle(.start, state: ConversationState())
        var step = machine.handle(.message(UserInput(text: "Hi")), state: started.state)
        guard case .askBot(let request)? = step.commands.first else {
            Issue.record("expected a bot turn, got \(step.commands)")
            return
        }
        #expect(request.input?.messageID == nil, "a machine told no message id passes none")
        let jobs = OutboxPlanner.jobs(for: step.commands, state: &step.state, lastMessageID: 3, sessionID: "s")
        #expect(jobs == [.botTurn(request, throughMessageID: 3)], "without the message's id, up to the step's newest")
        let stored = ConversationMachine(
            bot: FlowEngine(flow: Flow(name: "t", nodes: try BotNodeTests.flow())), session: flowTestSession, now: Date(timeIntervalSince1970: 1_750_000_000),
            userMessageID: 2)
        var second = stored.handle(.message(UserInput(text: "Hi")), state: started.state)
        #expect(OutboxPlanner.jobs(for: second.commands, state: &second.state, lastMessageID: 3, sessionID: "s").first?.kind == "bot")
        guard case .botTurn(_, let through)? = OutboxPlanner.jobs(for: second.commands, state: &second.state, lastMessageID: 3, sessionID: "s").first else {
            Issue.record("no bot turn")
            return
        }
        #expect(through == 2, "up to the user's own message, which the machine was told")
        #expect(jobs.first?.kind == "bot")
        #expect(jobs.first?.handoverNumber == nil)

        let failed = machine.handle(.botAnswered(.failure(request, .timeout, detail: "slow")), state: step.state)
        #expect(failed.messages.first?.sender == .system)
        #expect(failed.messages.first?.content.text == "Sorry, our assistant can't answer right now.")
    }
}

struct ChatTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
