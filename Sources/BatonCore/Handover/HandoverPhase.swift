/// Where a session's handover stands, as channels show it: its phase (`nil` before the first handover) and number,
/// and when it was committed, so a channel that hears of phases out of order keeps the newest.
public struct HandoverPhase: Sendable, Hashable {
    public var phase: HandoverState.Phase?
    public var number: Int
    /// The session's newest message id when the phase was committed.
    public var asOf: Int64
    /// An agent has taken the active handover (before that the user is queued). Its change stores a notice, so
    /// it comes with a newer `asOf`.
    public var agentJoined: Bool
    /// Who joined, when users may see agents' names.
    public var agentName: String?
    /// Their picture (an http(s) URL), when users may see agents' names and they have one.
    public var agentAvatar: String?

    public init(phase: HandoverState.Phase?, number: Int, asOf: Int64, agentJoined: Bool = false, agentName: String? = nil, agentAvatar: String? = nil) {
        self.phase = phase
        self.number = number
        self.asOf = asOf
        self.agentJoined = agentJoined
        self.agentName = agentName
        self.agentAvatar = agentAvatar
    }

    public init(_ handover: HandoverState?, asOf: Int64) {
        let joined = handover?.phase == .active && handover?.agentJoined == true
        self.init(
            phase: handover?.phase, number: handover?.number ?? 0, asOf: asOf, agentJoined: joined, agentName: joined ? handover?.agentName : nil,
            agentAvatar: joined ? handover?.agentAvatar : nil)
    }

    /// Whether the browser would show something else for `other`.
    public func differs(from other: HandoverPhase?) -> Bool {
        phase != other?.phase || number != other?.number || agentJoined != other?.agentJoined
    }

    /// Whether this phase was committed after `other`. Every step that changes a phase stores a message (a notice,
    /// the user's), except opening → active without an accepted message, which the phase order settles.
    public func isNewer(than other: HandoverPhase) -> Bool {
        (number, asOf, order) > (other.number, other.asOf, other.order)
    }

    private var order: Int {
        switch phase {
        case nil: 0
        case .opening?: 1
        case .active?: 2
        case .resolved?, .cancelled?, .failed?, .inactive?, .returned?: 3
        }
    }
}
