/// Bot nodes: the flow hands the conversation to an outside bot and takes it back when the bot ends its turn.
extension Run {
    /// Reaches a bot node: a new visit, whose first turn answers the user message that led here, if any, or lets
    /// the bot speak first when the node says so; otherwise the node waits for the user.
    mutating func enter(_ node: BotNode, node flowNode: FlowNode) throws {
        state.flow.botVisits += 1
        let visit = BotVisit(nodeID: flowNode.id, visit: state.flow.botVisits)
        state.flow.position = .withBot(visit: visit)
        if unanswered != nil || node.speaksFirst {
            try askTurn(of: node, visit: visit, input: unanswered.map(Self.botInput))
        }
    }

    /// A user message while the bot has the conversation: the bot's next turn, or, while a turn is being answered,
    /// one that waits for it.
    mutating func ask(_ node: BotNode, at index: Int, visit: BotVisit) {
        var visit = visit
        if visit.isAnswering, let message = unanswered {
            visit.waiting = Array((visit.waiting + [Self.botInput(message)]).suffix(BotVisit.maxWaiting))
            unanswered = nil
            state.flow.position = .withBot(visit: visit)
            return
        }
        do {
            try askTurn(of: node, visit: visit, input: unanswered.map(Self.botInput))
        } catch {
            fail(flow.nodes[index], StepFailure.describe(error))
        }
    }

    static func botInput(_ message: UserInput) -> BotInput {
        BotInput(text: message.text, payload: message.payload, messageID: message.messageID)
    }

    private mutating func askTurn(of node: BotNode, visit: BotVisit, input: BotInput?) throws {
        var visit = visit
        visit.asked += 1
        unanswered = nil
        let prompt = try node.prompt?.render(in: scope).trimmingSpaces
        effects.append(
            .askBot(BotTurnRequest(nodeID: visit.nodeID, bot: node.bot, visit: visit.visit, turn: visit.asked, input: input, prompt: prompt?.isEmpty == true ? nil : prompt)))
        state.flow.position = .withBot(visit: visit)
    }

    /// The bot's answer to a turn. An answer for another visit, or a turn already answered, changes nothing; an
    /// answer that ends the bot's turn leaves the node with `input.bot`.
    mutating func take(_ answer: BotAnswer) {
        guard case .withBot(var visit) = state.flow.position, visit.nodeID == answer.nodeID, visit.visit == answer.visit, answer.turn > visit.answered,
            let index = flow.index(of: visit.nodeID), case .bot(let node) = flow.nodes[index].kind
        else { return }
        visit.answered = answer.turn
        state.flow.position = .withBot(visit: visit)
        input = ["text": "", "data": .null]
        for (path, value) in answer.set.sorted(by: { $0.key < $1.key }) {
            state.context = state.context.setting(value, at: path.split(separator: ".").map(String.init))
        }
        for message in answer.messages where !message.isEmpty {
            effects.append(.say(message))
        }
        for note in answer.notes where !note.isEmpty {
            effects.append(.noteToAgent(note))
        }
        var ending = answer.ending
        if ending == nil, answer.messages.allSatisfy(\.isEmpty), answer.set.isEmpty, answer.notes.isEmpty, !node.silenceIsFine {
            ending = .error(.empty, detail: "the bot answered nothing")
        }
        guard let ending else {
            // The user wrote meanwhile: the oldest of those messages is the next turn.
            if !visit.isAnswering, !visit.waiting.isEmpty {
                let next = visit.waiting.removeFirst()
                do {
                    try askTurn(of: node, visit: visit, input: next)
                } catch {
                    fail(flow.nodes[index], StepFailure.describe(error))
                }
            }
            return
        }
        leave(node, at: index, ending: ending)
    }

    private mutating func leave(_ node: BotNode, at index: Int, ending: BotEnding) {
        state.flow.position = .idle
        input = ["text": "", "data": .null, "bot": ending.scopeValue]
        switch ending {
        case .handover(let handover):
            // The agents read why and what the bot learnt when the handover the flow opens next is there.
            if let note = handover.agentNote { effects.append(.noteToAgent(note)) }
        case .error:
            effects.append(.notice(.botUnavailable))
        case .end, .exit:
            break
        }
        if let target = node.exits[ending.outcome] {
            jump(to: target, from: flow.nodes[index])
        } else {
            run(from: index + 1)
        }
    }
}

extension BotEnding {
    /// `input.bot`: `outcome`, and what the bot said with it.
    var scopeValue: JSONValue {
        var members: [String: JSONValue] = ["outcome": .string(outcome), "reason": .null, "summary": .null, "detail": .null, "arguments": .null, "routing": .null]
        switch self {
        case .handover(let handover):
            members["reason"] = handover.reason.map(JSONValue.string) ?? .null
            members["summary"] = handover.summary.map(JSONValue.string) ?? .null
            members["arguments"] = handover.arguments ?? .null
            members["routing"] = handover.routing ?? .null
        case .end(let reason):
            members["reason"] = reason.map(JSONValue.string) ?? .null
        case .exit:
            break
        case .error(let failure, let detail):
            members["reason"] = .string(failure.rawValue)
            members["detail"] = .string(detail)
        }
        return .object(members)
    }
}
