/// Runs flows. A pure function of (flow, state, event): no I/O, no clock, no randomness, so every path can be
/// tested alone and replayed.
public struct FlowEngine: Sendable {
    /// Node visits allowed for one event; a flow that loops through `goto`s without waiting stops here.
    public static let maxStepsPerEvent = 200

    /// The polite notice the user gets when the flow itself is broken (the problem goes to the log), in English;
    /// endpoints give it in the user's language (`NoticeKey.apology`).
    public static var apology: String { Notices.standard.text(.apology, language: nil) }

    public let flow: Flow

    public init(flow: Flow) { self.flow = flow }

    /// Handles one event.
    public func handle(_ event: FlowEvent, state: ConversationState, session: SessionFacts) -> FlowResult {
        var run = Run(flow: flow, state: state, session: session)
        run.handle(event)
        return FlowResult(state: run.state, effects: run.effects, problems: run.problems)
    }
}

/// The mutable bookkeeping of one `handle` call.
struct Run {
    let flow: Flow
    var state: ConversationState
    let session: SessionFacts
    var input: JSONValue = .null
    var effects: [FlowEffect] = []
    var problems: [FlowProblem] = []
    var steps = 0
    /// What sent the flow on its way in this event, when not the flow's own order: an intent or a question's
    /// failures. A handover node reached from there records it (`input.handover.trigger`).
    var trigger: HandoverTrigger?
    /// The user message this event brought, until a bot node takes it as its bot's first input.
    var unanswered: UserInput?

    init(flow: Flow, state: ConversationState, session: SessionFacts) {
        self.flow = flow
        self.state = state
        self.session = session
    }

    var scope: JSONValue {
        ["input": input, "context": state.context, "profile": state.profile, "session": session.scopeValue]
    }

    mutating func handle(_ event: FlowEvent) {
        switch event {
        case .start:
            input = ["text": "", "data": .null]
            guard case .idle = state.flow.position else { return }
            run(from: 0)
        case .message(let message):
            input = ["text": .string(message.effectiveText), "data": message.data]
            unanswered = message
            handle(message)
        case .botAnswered(let answer):
            take(answer)
        case .handoverEnded(let outcome):
            guard case .inHandover(let nodeID) = state.flow.position else { return }
            input = ["text": "", "data": .null, "handover": outcome.scopeValue(of: state.handover)]
            guard let index = flow.index(of: nodeID) else {
                // The flow was edited under the handover and its node is gone: start over rather than stay
                // `inHandover` for good, relaying every later message to a handover that no longer exists.
                run(from: 0)
                return
            }
            resumeAfterHandover(nodeIndex: index, outcome: outcome)
        }
    }

    mutating func handle(_ message: UserInput) {
        switch state.flow.position {
        case .inHandover(let nodeID):
            guard let index = flow.index(of: nodeID), case .handover(let node) = flow.nodes[index].kind else {
                // The flow was edited under a running handover: the agent still has the user.
                effects.append(.relayToAgent)
                return
            }
            if Self.isCancel(message, node: node) {
                // The cancel word was the handover node's to answer; a bot node below does not get it.
                unanswered = nil
                effects.append(.cancelHandover)
                let outcome = HandoverOutcome(status: .cancelled, reason: .user)
                input = ["text": .string(message.effectiveText), "data": message.data, "handover": outcome.scopeValue(of: state.handover)]
                state.flow.position = .idle
                run(from: index + 1)
            } else {
                effects.append(.relayToAgent)
            }
            return
        case .idle, .awaitingAnswer, .withBot:
            break
        }
        if let intent = matchingIntent(message.effectiveText) {
            guard let index = flow.index(of: intent.target) else {
                problems.append(FlowProblem(nodeID: nil, location: intent.location, message: "intent '\(intent.name)' jumps to unknown node '\(intent.target)'"))
                effects.append(.apologize)
                state.flow.position = .idle
                return
            }
            trigger = HandoverTrigger(kind: .intent, name: intent.name)
            run(from: index)
            return
        }
        switch state.flow.position {
        case .awaitingAnswer(let nodeID, let attempts):
            guard let index = flow.index(of: nodeID), case .question(let question) = flow.nodes[index].kind else {
                run(from: 0)
                return
            }
            answer(message, to: question, at: index, attempts: attempts)
        case .withBot(let visit):
            guard let index = flow.index(of: visit.nodeID), case .bot(let node) = flow.nodes[index].kind else {
                run(from: 0)
                return
            }
            ask(node, at: index, visit: visit)
        case .idle, .inHandover:
            run(from: 0)
        }
    }

    mutating func answer(_ message: UserInput, to question: QuestionNode, at index: Int, attempts: Int) {
        if let value = AnswerValidator.validate(message.effectiveText, as: question.answerType) {
            state.context = state.context.setting(value, at: question.storePath)
            state.flow.position = .idle
            run(from: index + 1)
            return
        }
        let wrong = attempts + 1
        input = input.setting(.number(Double(wrong)), at: ["attempts"])
        if wrong >= question.maxAttempts {
            state.flow.position = .idle
            if let target = question.onFailure {
                trigger = HandoverTrigger(kind: .escalation, name: flow.nodes[index].id)
                jump(to: target, from: flow.nodes[index])
            } else {
                run(from: index + 1)
            }
            return
        }
        state.flow.position = .awaitingAnswer(nodeID: flow.nodes[index].id, attempts: wrong)
        say(question.reprompt ?? question.prompt, node: flow.nodes[index])
    }

    mutating func resumeAfterHandover(nodeIndex: Int, outcome: HandoverOutcome) {
        state.flow.position = .idle
        if let target = outcome.resumeAt {
            if flow.index(of: target) != nil {
                jump(to: target, from: flow.nodes[nodeIndex])
                return
            }
            // The agent's words are not the flow's: a node that does not exist is logged, and the flow goes on as
            // after a resolve.
            let node = flow.nodes[nodeIndex]
            problems.append(FlowProblem(nodeID: node.id, location: node.location, message: "an agent handed the user back at unknown node '\(target)'"))
        }
        let backWithTheBot = outcome.status == .completed || outcome.status == .returned
        if backWithTheBot, case .handover(let node) = flow.nodes[nodeIndex].kind, let target = node.onResolve {
            jump(to: target, from: flow.nodes[nodeIndex])
        } else {
            run(from: nodeIndex + 1)
        }
    }

    mutating func jump(to target: String, from node: FlowNode?) {
        guard let index = flow.index(of: target) else {
            fail(node, "jumps to unknown node '\(target)'")
            return
        }
        run(from: index)
    }

    /// Runs nodes from `start` until one waits or the flow ends.
    mutating func run(from start: Int) {
        var index = start
        state.flow.position = .idle
        while index < flow.nodes.count {
            steps += 1
            guard steps <= FlowEngine.maxStepsPerEvent else {
                fail(flow.nodes[index], "more than \(FlowEngine.maxStepsPerEvent) steps without waiting for the user; is there a goto loop?")
                return
            }
            let node = flow.nodes[index]
            do {
                guard let next = try step(node, at: index) else { return }
                index = next
            } catch {
                fail(node, StepFailure.describe(error))
                return
            }
        }
    }

    /// Runs one node. Returns the index of the next node, or `nil` when the flow waits or ends.
    mutating func step(_ node: FlowNode, at index: Int) throws -> Int? {
        switch node.kind {
        case .say(let say):
            let content = try render(say.message)
            if say.to != .agent { effects.append(.say(content)) }
            // Agents get the words; quick replies and attachments are the user's.
            if say.to != .user, !content.text.isEmpty { effects.append(.noteToAgent(content.text)) }
            return index + 1
        case .question(let question):
            try effects.append(.say(render(question.prompt)))
            state.flow.position = .awaitingAnswer(nodeID: node.id, attempts: 0)
            return nil
        case .branch(let branch):
            let holds = try branch.condition.evaluate(in: scope).isTruthy
            return try target(holds ? branch.then : branch.otherwise, after: index, node: node)
        case .switchOn(let switchNode):
            let value = try switchNode.value?.evaluate(in: scope)
            for candidate in switchNode.cases where try matches(candidate.match, value: value) {
                return try target(candidate.target, after: index, node: node)
            }
            return try target(switchNode.defaultTarget, after: index, node: node)
        case .set(let set):
            for assignment in set.assignments {
                let value = try assignment.value.evaluate(in: scope)
                switch assignment.root {
                case .context: state.context = state.context.setting(value, at: assignment.path)
                case .profile: state.profile = state.profile.setting(value, at: assignment.path)
                }
            }
            return index + 1
        case .goto(let target):
            return try self.target(target, after: index, node: node)
        case .handover(let handover):
            let inbox = try handover.inbox.map { Self.inboxValue(try $0.evaluate(in: scope)) }
            var accepted = try handover.acceptedMessage.map(render)
            if let button = handover.cancelButton {
                accepted = accepted ?? MessageContent()
                accepted?.quickReplies.append(QuickReply(title: button))
            }
            let routing = try Self.routing(of: handover, in: scope)
            var request = HandoverRequest(nodeID: node.id, provider: handover.provider, inbox: inbox, acceptedMessage: accepted, routing: routing.isEmpty ? nil : routing)
            // The flow's own order is the default, told to the flow as `flow`.
            request.trigger = trigger
            if let note = handover.note {
                let scope = self.scope.setting(.string((trigger?.kind ?? .flow).rawValue), at: ["input", "trigger"])
                    .setting(trigger?.name.map { .string($0) } ?? .null, at: ["input", "triggerName"])
                let text = try note.render(in: scope).trimmingSpaces
                request.note = text.isEmpty ? nil : text
            }
            request.timers = handover.timers == HandoverTimers() ? nil : handover.timers
            request.whenUnavailable = handover.whenUnavailable
            request.announcePosition = handover.announcePosition ? true : nil
            effects.append(.requestHandover(request))
            state.flow.position = .inHandover(nodeID: node.id)
            return nil
        case .bot(let bot):
            try enter(bot, node: node)
            return nil
        case .end(let end):
            if let message = end.message { try effects.append(.say(render(message))) }
            state.flow.position = .idle
            return nil
        }
    }

    func matches(_ match: SwitchNode.Case.Match, value: JSONValue?) throws(ExpressionError) -> Bool {
        switch match {
        case .equals(let expected): return value == expected
        case .when(let expression): return try expression.evaluate(in: scope).isTruthy
        }
    }

    /// The index of `nodeID`, or the next node when `nodeID` is nil.
    func target(_ nodeID: String?, after index: Int, node: FlowNode) throws(StepFailure) -> Int {
        guard let nodeID else { return index + 1 }
        guard let target = flow.index(of: nodeID) else {
            throw StepFailure(message: "jumps to unknown node '\(nodeID)'")
        }
        return target
    }

    mutating func say(_ template: MessageTemplate, node: FlowNode) {
        do {
            effects.append(.say(try render(template)))
        } catch {
            fail(node, StepFailure.describe(error))
        }
    }

    func render(_ template: MessageTemplate) throws -> MessageContent {
        var content = MessageContent(text: try template.text?.render(in: scope) ?? "")
        for reply in template.quickReplies {
            let title = try reply.title.render(in: scope)
            content.quickReplies.append(QuickReply(title: title, payload: try reply.payload?.render(in: scope)))
        }
        for attachment in template.attachments {
            let url = try attachment.url.render(in: scope).trimmingSpaces
            // A computed URL that is not http(s) is dropped here, so the bot can never send a javascript: link.
            guard Attachment.isWebURL(url) else {
                throw StepFailure(message: "attachment URL '\(url)' is not an http(s) URL")
            }
            content.attachments.append(Attachment(kind: attachment.kind, url: url, name: try attachment.name?.render(in: scope)))
        }
        if !template.cards.isEmpty { content.cards = try template.cards.map(render) }
        return content
    }

    func render(_ template: CardTemplate) throws -> Card {
        var card = Card(title: try template.title?.render(in: scope), subtitle: try template.subtitle?.render(in: scope))
        if let image = try template.image?.render(in: scope).trimmingSpaces {
            guard Attachment.isWebURL(image) else { throw StepFailure(message: "card image '\(image)' is not an http(s) URL") }
            card.imageURL = image
        }
        for button in template.buttons {
            let title = try button.title.render(in: scope)
            if let url = try button.url?.render(in: scope).trimmingSpaces {
                guard Attachment.isWebURL(url) else { throw StepFailure(message: "card button URL '\(url)' is not an http(s) URL") }
                card.buttons.append(.link(title, url: url))
            } else {
                card.buttons.append(.reply(title, payload: try button.payload?.render(in: scope)))
            }
        }
        return card
    }

    mutating func fail(_ node: FlowNode?, _ message: String) {
        problems.append(FlowProblem(nodeID: node?.id, location: node?.location, message: message))
        effects.append(.apologize)
        state.flow.position = .idle
    }

    func matchingIntent(_ text: String) -> Intent? {
        let words = IntentMatcher.words(of: text)
        return flow.intents.first { IntentMatcher.matches($0, text: text, words: words) }
    }

    static func isCancel(_ message: UserInput, node: HandoverNode) -> Bool {
        if let button = node.cancelButton, message.effectiveText == button { return true }
        let words = IntentMatcher.words(of: message.effectiveText)
        return node.cancelKeywords.contains { IntentMatcher.containsPhrase(IntentMatcher.words(of: $0), in: words) }
    }
}

/// A fault of the flow itself met while running a node.
struct StepFailure: Error {
    var message: String

    /// The words for the log: expression errors keep their column, other failures their message.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let failure as StepFailure: failure.message
        case let expression as ExpressionError: expression.description
        default: String(describing: error)
        }
    }
}

extension Run {
    /// Inbox ids are numbers; a literal `inboxId: 5` arrives as the text "5" and is turned into one here.
    /// The node's routing, evaluated now; empty labels and `null` values are left out.
    static func routing(of node: HandoverNode, in scope: JSONValue) throws(ExpressionError) -> HandoverRouting {
        func value(_ template: Template?) throws(ExpressionError) -> JSONValue? {
            guard let template else { return nil }
            let value = inboxValue(try template.evaluate(in: scope))
            return value == .null || value == .string("") ? nil : value
        }
        var routing = HandoverRouting(team: try value(node.team), assignee: try value(node.assignee), priority: try value(node.priority))
        for label in node.labels {
            let text = try label.render(in: scope).trimmingSpaces
            if !text.isEmpty, !routing.labels.contains(text) { routing.labels.append(text) }
        }
        for (name, template) in node.attributes {
            if let attribute = try value(template) { routing.attributes[name] = attribute }
        }
        return routing
    }

    static func inboxValue(_ value: JSONValue) -> JSONValue {
        if case .string(let text) = value, let number = Int(text.trimmingSpaces) { return .number(Double(number)) }
        return value
    }
}

extension String {
    var trimmingSpaces: String {
        var view = Substring(self)
        while view.first?.isWhitespace == true { view.removeFirst() }
        while view.last?.isWhitespace == true { view.removeLast() }
        return String(view)
    }
}
