public import Foundation

/// A session's id. It doubles as the webchat user's only credential, so it is 128 bits from the system CSPRNG.
public struct SessionID: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// A new unguessable id: "s_" and 32 hex digits of `SystemRandomNumberGenerator` (getrandom(2) on Linux).
    public static func random() -> SessionID {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return SessionID(rawValue: "s_" + hex(high) + hex(low))
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Whether `text` has the shape of an id, checked before any lookup so junk never reaches the store.
    public static func isWellFormed(_ text: String) -> Bool {
        text.count == 34 && text.hasPrefix("s_") && text.dropFirst(2).allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The channel a session talks through.
public enum Channel: String, Codable, Sendable, Hashable, CaseIterable {
    /// Baton's own: the user reads what Baton stores (socket, page, REST calls).
    case webchat, rest
    /// A Chatwoot inbox of any kind (WhatsApp, the website widget, e-mail…) that Baton answers as its agent bot:
    /// the session is one Chatwoot conversation.
    case chatwoot
    /// A bot outside Baton owns the conversation and reaches the user itself; Baton holds only its handovers
    /// (the handovers API, `/api/v1/endpoints/{urlToken}/handovers`). The endpoint's flow never runs here.
    case api

    /// Whether the outside bot owns the conversation, so the session's bot is `HandoverOnlyBot`, not the flow.
    public var isOwnedByOutsideBot: Bool { self == .api }

    /// Whether the bot's messages reach the user only when Baton posts them somewhere (an outbox `reply` job),
    /// rather than being read from Baton by the user's client.
    public var repliesThroughOutbox: Bool { self == .chatwoot }

    /// Whether the user's messages already are in the desk's conversation, so a handover posts no history: the
    /// desk conversation is the channel's own.
    public var transcriptIsInDesk: Bool { self == .chatwoot }
}

/// Everything that changes as a conversation goes on, stored as one value per session.
public struct ConversationState: Codable, Sendable, Hashable {
    /// Where the flow stands.
    public var flow: FlowState
    /// The flow's variables (`context.*` in expressions).
    public var context: JSONValue
    /// What is known about the user (`profile.*`): name, email, attributes given by the channel or the flow.
    public var profile: JSONValue
    /// The session's current or latest handover.
    public var handover: HandoverState? {
        get { handoverBox?.value }
        set { handoverBox = newValue.map(HandoverBox.init) }
    }
    /// Notes for the agents the flow wrote (`say` with `to: agent`) before any handover was running; posted when
    /// the next one opens.
    public var agentNotes: [String]?
    /// The handover, out of line: inline it made a state 576 bytes, most of a session that never handed over, and
    /// the stores keep thousands of decoded states (a webchat socket's session among them).
    private var handoverBox: HandoverBox?

    public init(flow: FlowState = FlowState(), context: JSONValue = .emptyObject, profile: JSONValue = .emptyObject, handover: HandoverState? = nil) {
        self.flow = flow
        self.context = context
        self.profile = profile
        handoverBox = handover.map(HandoverBox.init)
    }

    // Written out because the handover is stored in a box: the same keys and shape the synthesized conformance gave.
    private enum CodingKeys: String, CodingKey {
        case flow, context, profile, handover, agentNotes
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        flow = try container.decode(FlowState.self, forKey: .flow)
        context = try container.decode(JSONValue.self, forKey: .context)
        profile = try container.decode(JSONValue.self, forKey: .profile)
        handover = try container.decodeIfPresent(HandoverState.self, forKey: .handover)
        agentNotes = try container.decodeIfPresent([String].self, forKey: .agentNotes)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(flow, forKey: .flow)
        try container.encode(context, forKey: .context)
        try container.encode(profile, forKey: .profile)
        try container.encodeIfPresent(handover, forKey: .handover)
        try container.encodeIfPresent(agentNotes, forKey: .agentNotes)
    }
}

/// A handover kept by reference, never changed in place: a state that changes its handover gets a new box, so
/// states stay values.
private final class HandoverBox: Sendable, Hashable {
    let value: HandoverState

    init(_ value: HandoverState) {
        self.value = value
    }

    static func == (lhs: HandoverBox, rhs: HandoverBox) -> Bool { lhs === rhs || lhs.value == rhs.value }
    func hash(into hasher: inout Hasher) { hasher.combine(value) }
}

/// A conversation between one user of one endpoint and Baton (its bot, and its agents through a handover).
public struct Session: Codable, Sendable, Hashable, Identifiable {
    public var id: SessionID
    public var endpointID: String
    /// The user's id within the endpoint: chosen by the caller on the REST channel, random for webchat visitors.
    public var userID: String
    public var channel: Channel
    public var state: ConversationState
    /// The id of the newest message, 0 when there is none.
    public var lastMessageID: Int64
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: SessionID, endpointID: String, userID: String, channel: Channel, state: ConversationState = ConversationState(),
        lastMessageID: Int64 = 0, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.endpointID = endpointID
        self.userID = userID
        self.channel = channel
        self.state = state
        self.lastMessageID = lastMessageID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
