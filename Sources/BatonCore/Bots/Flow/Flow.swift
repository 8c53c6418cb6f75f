/// A bot's conversation script: nodes run top to bottom unless a node jumps, and intents jump from anywhere.
public struct Flow: Sendable, Hashable {
    /// A name for logs and diagnostics.
    public var name: String
    /// The nodes in order. Every node has an id (given in the file or derived from its position).
    public var nodes: [FlowNode]
    /// Triggers checked on every user message (outside a handover) before the current node sees it.
    public var intents: [Intent]

    public init(name: String, nodes: [FlowNode], intents: [Intent] = []) {
        self.name = name
        self.nodes = nodes
        self.intents = intents
    }

    /// The position of the node with this id.
    public func index(of nodeID: String) -> Int? {
        nodes.firstIndex { $0.id == nodeID }
    }
}

/// Where a node was written, for diagnostics at check time and in logs at run time.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int = 1) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One step of a flow.
public struct FlowNode: Sendable, Hashable {
    public var id: String
    public var kind: Kind
    public var location: SourceLocation?

    public init(id: String, kind: Kind, location: SourceLocation? = nil) {
        self.id = id
        self.kind = kind
        self.location = location
    }

    public enum Kind: Sendable, Hashable {
        /// Sends a message and goes on.
        case say(SayNode)
        /// Sends a prompt and waits for a valid answer.
        case question(QuestionNode)
        /// Jumps on a condition.
        case branch(BranchNode)
        /// Jumps on the first matching case.
        case switchOn(SwitchNode)
        /// Stores values in the context or the profile.
        case set(SetNode)
        /// Jumps to a node.
        case goto(String)
        /// Hands the user over to a human agent and waits for the outcome.
        case handover(HandoverNode)
        /// Lets an outside bot (a language model, a webhook bot) talk with the user until it ends its turn.
        case bot(BotNode)
        /// Ends the flow; the next message starts it again from the top.
        case end(EndNode)
    }
}

/// A message written in a flow, with expressions anywhere in its text.
public struct MessageTemplate: Sendable, Hashable {
    public var text: Template?
    public var quickReplies: [QuickReplyTemplate]
    public var attachments: [AttachmentTemplate]
    public var cards: [CardTemplate]

    public init(text: Template? = nil, quickReplies: [QuickReplyTemplate] = [], attachments: [AttachmentTemplate] = [], cards: [CardTemplate] = []) {
        self.text = text
        self.quickReplies = quickReplies
        self.attachments = attachments
        self.cards = cards
    }

    public var isEmpty: Bool { text == nil && quickReplies.isEmpty && attachments.isEmpty && cards.isEmpty }
}

/// A card of a `say` (see `Card`), every value a template.
public struct CardTemplate: Sendable, Hashable {
    public var title: Template?
    public var subtitle: Template?
    public var image: Template?
    public var buttons: [CardButtonTemplate]

    public init(title: Template? = nil, subtitle: Template? = nil, image: Template? = nil, buttons: [CardButtonTemplate] = []) {
        self.title = title
        self.subtitle = subtitle
        self.image = image
        self.buttons = buttons
    }
}

/// A card's button: `url` for a link, else a reply with `payload` (its title when absent).
public struct CardButtonTemplate: Sendable, Hashable {
    public var title: Template
    public var url: Template?
    public var payload: Template?

    public init(title: Template, url: Template? = nil, payload: Template? = nil) {
        self.title = title
        self.url = url
        self.payload = payload
    }
}

public struct QuickReplyTemplate: Sendable, Hashable {
    public var title: Template
    public var payload: Template?
    public init(title: Template, payload: Template? = nil) {
        self.title = title
        self.payload = payload
    }
}

public struct AttachmentTemplate: Sendable, Hashable {
    public var kind: AttachmentKind
    public var url: Template
    public var name: Template?
    public init(kind: AttachmentKind, url: Template, name: Template? = nil) {
        self.kind = kind
        self.url = url
        self.name = name
    }
}

public struct SayNode: Sendable, Hashable {
    /// Who reads a `say`: the user (the default), the agents (a private note in the desk conversation), or both.
    public enum Audience: String, Sendable, Hashable, CaseIterable {
        case user, agent, both
    }
    public var message: MessageTemplate
    public var to: Audience
    public init(message: MessageTemplate, to: Audience = .user) {
        self.message = message
        self.to = to
    }
}

/// How a question's answer is checked and what is stored.
public enum AnswerType: Sendable, Hashable {
    /// Any non-empty text.
    case text
    /// A number ("42", "3.5", "3,5"); stored as a number.
    case number
    /// An e-mail address; stored lower-cased.
    case email
    /// yes/no in a few words; stored as a boolean.
    case yesNo
    /// Text matching the whole pattern.
    case pattern(String)
}

public struct QuestionNode: Sendable, Hashable {
    public var prompt: MessageTemplate
    public var answerType: AnswerType
    /// Where the answer goes: a path under `context` (e.g. `["user", "age"]` for `context.user.age`).
    public var storePath: [String]
    /// Said after a wrong answer; the prompt is said again when absent. `input.attempts` counts wrong answers.
    public var reprompt: MessageTemplate?
    /// Wrong answers allowed before giving up.
    public var maxAttempts: Int
    /// Where to go after too many wrong answers; below the node when absent.
    public var onFailure: String?

    public init(
        prompt: MessageTemplate, answerType: AnswerType, storePath: [String], reprompt: MessageTemplate? = nil,
        maxAttempts: Int = 3, onFailure: String? = nil
    ) {
        self.prompt = prompt
        self.answerType = answerType
        self.storePath = storePath
        self.reprompt = reprompt
        self.maxAttempts = maxAttempts
        self.onFailure = onFailure
    }
}

public struct BranchNode: Sendable, Hashable {
    public var condition: Expression
    /// Where to go when the condition holds; below the node when absent.
    public var then: String?
    /// Where to go otherwise; below the node when absent.
    public var otherwise: String?
    public init(condition: Expression, then: String?, otherwise: String?) {
        self.condition = condition
        self.then = then
        self.otherwise = otherwise
    }
}

public struct SwitchNode: Sendable, Hashable {
    public struct Case: Sendable, Hashable {
        public enum Match: Sendable, Hashable {
            /// The switch value equals this value.
            case equals(JSONValue)
            /// This expression is truthy.
            case when(Expression)
        }
        public var match: Match
        public var target: String
        public init(match: Match, target: String) {
            self.match = match
            self.target = target
        }
    }
    public var value: Expression?
    public var cases: [Case]
    /// Where to go when no case matches; below the node when absent.
    public var defaultTarget: String?
    public init(value: Expression?, cases: [Case], defaultTarget: String?) {
        self.value = value
        self.cases = cases
        self.defaultTarget = defaultTarget
    }
}

public struct SetNode: Sendable, Hashable {
    public enum Root: String, Sendable, Hashable { case context, profile }
    public struct Assignment: Sendable, Hashable {
        public var root: Root
        public var path: [String]
        public var value: Template
        public init(root: Root, path: [String], value: Template) {
            self.root = root
            self.path = path
            self.value = value
        }
    }
    public var assignments: [Assignment]
    public init(assignments: [Assignment]) { self.assignments = assignments }
}

/// A handover to human agents. The provider's own settings are kept as written and interpreted by the provider.
public struct HandoverNode: Sendable, Hashable {
    /// The provider's name, e.g. `chatwoot`.
    public var provider: String
    /// The inbox (or queue) to hand over to: a number, or an expression evaluated per conversation.
    public var inbox: Template?
    /// Said to the user once the provider has accepted the handover.
    public var acceptedMessage: MessageTemplate?
    /// Words that end a pending or active handover from the user's side.
    public var cancelKeywords: [String]
    /// The title of a quick reply offered with the accepted message that cancels the handover.
    public var cancelButton: String?
    /// Where the flow continues once an agent resolves the conversation; below the node when absent.
    public var onResolve: String?
    /// Routing, each value a literal or an expression: a team id, an agent id, a priority, labels, custom attributes.
    public var team: Template?
    public var assignee: Template?
    public var priority: Template?
    public var labels: [Template] = []
    public var attributes: [String: Template] = [:]
    /// A private note for the agents when the handover opens (the flow's words for why and what is known).
    public var note: Template?
    /// The node's timers; what it leaves out comes from the endpoint's defaults.
    public var timers = HandoverTimers()
    /// What to do when no agent is online or the inbox is outside its working hours; `nil`: hand over without
    /// asking.
    public var whenUnavailable: WhenUnavailable?
    /// Tell the user their place among the inbox's waiting conversations once the handover opens.
    public var announcePosition = false

    public init(
        provider: String, inbox: Template? = nil, acceptedMessage: MessageTemplate? = nil, cancelKeywords: [String] = [],
        cancelButton: String? = nil, onResolve: String? = nil
    ) {
        self.provider = provider
        self.inbox = inbox
        self.acceptedMessage = acceptedMessage
        self.cancelKeywords = cancelKeywords
        self.cancelButton = cancelButton
        self.onResolve = onResolve
    }
}

public struct EndNode: Sendable, Hashable {
    public var message: MessageTemplate?
    public init(message: MessageTemplate? = nil) { self.message = message }
}

/// A trigger that jumps to a node from anywhere in the flow.
public struct Intent: Sendable, Hashable {
    public var name: String
    /// Matched as whole words, ignoring case and punctuation ("agent" matches "An agent, please!").
    public var keywords: [String]
    /// Regular expressions searched in the text, ignoring case.
    public var patterns: [String]
    public var target: String
    public var location: SourceLocation?

    public init(name: String, keywords: [String] = [], patterns: [String] = [], target: String, location: SourceLocation? = nil) {
        self.name = name
        self.keywords = keywords
        self.patterns = patterns
        self.target = target
        self.location = location
    }
}
