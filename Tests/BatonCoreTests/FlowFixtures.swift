import BatonCore

// Helpers that build flows in code for the flow engine tests. Templates and expressions are parsed here, so a
// test writes `try .say("hello", "Hi {{ profile.name }}")` inside a `[FlowNode]` literal.

/// The session facts every flow test runs with (`session.*` in templates).
let flowTestSession = SessionFacts(sessionID: "s_test", endpointID: "support", userID: "u-42", channel: "webchat")

/// Where the nodes of test flows pretend to be written.
func flowTestLocation(_ line: Int, column: Int = 5) -> SourceLocation {
    SourceLocation(file: "flows/test.yaml", line: line, column: column)
}

extension MessageTemplate {
    /// A message with a text template, quick replies (title, payload) and attachments (kind, url, name).
    static func text(
        _ text: String, replies: [(title: String, payload: String?)] = [], attachments: [(AttachmentKind, String, String?)] = []
    ) throws -> MessageTemplate {
        MessageTemplate(
            text: try Template(parsing: text),
            quickReplies: try replies.map { QuickReplyTemplate(title: try Template(parsing: $0.title), payload: try $0.payload.map { try Template(parsing: $0) }) },
            attachments: try attachments.map { AttachmentTemplate(kind: $0.0, url: try Template(parsing: $0.1), name: try $0.2.map { try Template(parsing: $0) }) }
        )
    }
}

extension FlowNode {
    static func say(_ id: String, _ text: String, location: SourceLocation? = nil) throws -> FlowNode {
        FlowNode(id: id, kind: .say(SayNode(message: try .text(text))), location: location)
    }

    static func say(_ id: String, message: MessageTemplate, location: SourceLocation? = nil) -> FlowNode {
        FlowNode(id: id, kind: .say(SayNode(message: message)), location: location)
    }

    /// A question storing at the dotted `store` path under `context`.
    static func question(
        _ id: String, _ prompt: String, _ type: AnswerType = .text, store: String, reprompt: String? = nil, maxAttempts: Int = 3,
        onFailure: String? = nil, location: SourceLocation? = nil
    ) throws -> FlowNode {
        let node = QuestionNode(
            prompt: try .text(prompt), answerType: type, storePath: store.split(separator: ".").map(String.init),
            reprompt: try reprompt.map { try MessageTemplate.text($0) }, maxAttempts: maxAttempts, onFailure: onFailure)
        return FlowNode(id: id, kind: .question(node), location: location)
    }

    static func branch(_ id: String, _ condition: String, then: String? = nil, else otherwise: String? = nil, location: SourceLocation? = nil) throws -> FlowNode {
        FlowNode(id: id, kind: .branch(BranchNode(condition: try Expression(parsing: condition), then: then, otherwise: otherwise)), location: location)
    }

    static func switchOn(_ id: String, _ value: String?, cases: [SwitchNode.Case], default defaultTarget: String? = nil, location: SourceLocation? = nil) throws -> FlowNode {
        let node = SwitchNode(value: try value.map { try Expression(parsing: $0) }, cases: cases, defaultTarget: defaultTarget)
        return FlowNode(id: id, kind: .switchOn(node), location: location)
    }

    /// Assignments as (root, dotted path, value template).
    static func set(_ id: String, _ assignments: [(SetNode.Root, String, String)], location: SourceLocation? = nil) throws -> FlowNode {
        let list = try assignments.map {
            SetNode.Assignment(root: $0.0, path: $0.1.split(separator: ".").map(String.init), value: try Template(parsing: $0.2))
        }
        return FlowNode(id: id, kind: .set(SetNode(assignments: list)), location: location)
    }

    static func goto(_ id: String, _ target: String, location: SourceLocation? = nil) -> FlowNode {
        FlowNode(id: id, kind: .goto(target), location: location)
    }

    static func handover(
        _ id: String, provider: String = "chatwoot", inbox: String? = nil, accepted: String? = nil, cancelKeywords: [String] = [],
        cancelButton: String? = nil, onResolve: String? = nil, location: SourceLocation? = nil
    ) throws -> FlowNode {
        let node = HandoverNode(
            provider: provider, inbox: try inbox.map { try Template(parsing: $0) }, acceptedMessage: try accepted.map { try MessageTemplate.text($0) },
            cancelKeywords: cancelKeywords, cancelButton: cancelButton, onResolve: onResolve)
        return FlowNode(id: id, kind: .handover(node), location: location)
    }

    static func handover(_ id: String, node: HandoverNode, location: SourceLocation? = nil) -> FlowNode {
        FlowNode(id: id, kind: .handover(node), location: location)
    }

    static func end(_ id: String, _ text: String? = nil, location: SourceLocation? = nil) throws -> FlowNode {
        FlowNode(id: id, kind: .end(EndNode(message: try text.map { try MessageTemplate.text($0) })), location: location)
    }
}

extension SwitchNode.Case {
    static func equals(_ value: JSONValue, _ target: String) -> SwitchNode.Case {
        SwitchNode.Case(match: .equals(value), target: target)
    }

    static func when(_ condition: String, _ target: String) throws -> SwitchNode.Case {
        SwitchNode.Case(match: .when(try Expression(parsing: condition)), target: target)
    }
}

extension FlowEffect {
    /// A plain bot message.
    static func sayText(_ text: String, replies: [QuickReply] = [], attachments: [Attachment] = []) -> FlowEffect {
        .say(MessageContent(text: text, quickReplies: replies, attachments: attachments))
    }

    /// The notice the user gets when the flow is broken.
    static var apology: FlowEffect { .apologize }
}

extension ConversationState {
    static func at(_ position: FlowState.Position, context: JSONValue = .emptyObject, profile: JSONValue = .emptyObject) -> ConversationState {
        ConversationState(flow: FlowState(position: position), context: context, profile: profile)
    }
}

/// Feeds events to an engine and keeps the state between them, as the conversation service does.
struct FlowDriver {
    let engine: FlowEngine
    var state: ConversationState

    init(_ nodes: [FlowNode], intents: [Intent] = [], state: ConversationState = ConversationState()) {
        self.engine = FlowEngine(flow: Flow(name: "test", nodes: nodes, intents: intents))
        self.state = state
    }

    @discardableResult
    mutating func handle(_ event: FlowEvent) -> FlowResult {
        let result = engine.handle(event, state: state, session: flowTestSession)
        state = result.state
        return result
    }

    @discardableResult
    mutating func start() -> FlowResult { handle(.start) }

    @discardableResult
    mutating func send(_ text: String, payload: String? = nil, data: JSONValue = .null) -> FlowResult {
        handle(.message(UserInput(text: text, payload: payload, data: data)))
    }

    @discardableResult
    mutating func handoverEnded(_ status: HandoverOutcome.Status, reason: HandoverOutcome.Reason? = nil, detail: String? = nil) -> FlowResult {
        handle(.handoverEnded(HandoverOutcome(status: status, reason: reason, detail: detail)))
    }

    var position: FlowState.Position { state.flow.position }
}
