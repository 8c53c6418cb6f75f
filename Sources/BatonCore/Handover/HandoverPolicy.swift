/// An endpoint's rules for every handover of its conversations: the words of Baton's notices and the handover
/// timers its nodes do not set themselves.
public struct HandoverPolicy: Sendable, Hashable {
    public var notices: Notices
    /// Defaults for the handover nodes' timers.
    public var timers: HandoverTimers

    public init(notices: Notices = .standard, timers: HandoverTimers = HandoverTimers()) {
        self.notices = notices
        self.timers = timers
    }

    /// Notes kept for the next handover: the newest ones, so a flow that never hands over cannot grow its state.
    public static let maxPendingNotes = 20
}
