public import Foundation

/// How long a handover may stay quiet before Baton closes it, and how often a user nobody has answered yet is
/// reminded that they are still queued. Seconds; `nil` turns a timer off. Set per handover node, with the endpoint's
/// defaults for what a node leaves out.
public struct HandoverTimers: Codable, Sendable, Hashable {
    /// Closes the handover when the user has written nothing for this long (counted from the handover's opening and
    /// from each of their messages).
    public var userInactivity: Double?
    /// Closes the handover when the user has waited this long for an answer from any agent (counted from the
    /// handover's opening, or from the user's first message after an agent's; an agent's message stops it).
    public var agentInactivity: Double?
    /// Reminds the user every so often while no agent has written yet…
    public var reminderEvery: Double?
    /// …at most this many times.
    public var reminderTimes: Int?

    public init(userInactivity: Double? = nil, agentInactivity: Double? = nil, reminderEvery: Double? = nil, reminderTimes: Int? = nil) {
        self.userInactivity = userInactivity
        self.agentInactivity = agentInactivity
        self.reminderEvery = reminderEvery
        self.reminderTimes = reminderTimes
    }

    /// These timers where set, `defaults` where not.
    public func over(_ defaults: HandoverTimers) -> HandoverTimers {
        HandoverTimers(
            userInactivity: userInactivity ?? defaults.userInactivity, agentInactivity: agentInactivity ?? defaults.agentInactivity,
            reminderEvery: reminderEvery ?? defaults.reminderEvery, reminderTimes: reminderTimes ?? defaults.reminderTimes)
    }

    public var isEmpty: Bool { userInactivity == nil && agentInactivity == nil && (reminderEvery == nil || reminderTimes == nil) }
}

extension HandoverState {
    /// A timer of the handover that has run out.
    public enum DueTimer: Sendable, Hashable {
        /// The user wrote nothing for `HandoverTimers.userInactivity`.
        case userInactive
        /// No agent answered the waiting user for `HandoverTimers.agentInactivity`.
        case agentInactive
        /// Time to remind the user they are still queued.
        case reminder
    }

    /// When the handover's next timer runs out; `nil` when none runs (the handover is not active, or has no timers).
    /// Stores keep it beside the state, so due handovers are found without reading every session.
    public var wakeAt: Date? {
        guard phase == .active, let timers else { return nil }
        var times: [Date] = []
        if let seconds = timers.userInactivity, let since = userWroteAt { times.append(since.addingTimeInterval(seconds)) }
        if let seconds = timers.agentInactivity, let since = waitingSince { times.append(since.addingTimeInterval(seconds)) }
        if let reminder = nextReminderAt { times.append(reminder) }
        return times.min()
    }

    /// The timer that has run out at `now`, if any; closing wins over reminding.
    public func dueTimer(at now: Date) -> DueTimer? {
        guard phase == .active, let timers else { return nil }
        if let seconds = timers.userInactivity, let since = userWroteAt, since.addingTimeInterval(seconds) <= now { return .userInactive }
        if let seconds = timers.agentInactivity, let since = waitingSince, since.addingTimeInterval(seconds) <= now { return .agentInactive }
        if let reminder = nextReminderAt, reminder <= now { return .reminder }
        return nil
    }

    /// The next reminder, counted from the last one (or the opening), while no agent has written and reminders are left.
    var nextReminderAt: Date? {
        guard agentAnswered != true, let every = timers?.reminderEvery, let times = timers?.reminderTimes, (remindersSent ?? 0) < times,
            let since = lastReminderAt ?? openedAt
        else { return nil }
        return since.addingTimeInterval(every)
    }

    /// The handover's conversation opened at `now` (kept for its measures, `HandoverMeasures`); with timers, the user
    /// waits from here, for an agent and to write.
    mutating func startClocks(at now: Date) {
        openedAt = now
        guard timers != nil else { return }
        userWroteAt = now
        waitingSince = now
    }

    /// The user wrote to the agents: they are active, and waiting for an answer if they were not already.
    mutating func userWrote(at now: Date) {
        guard phase == .active, timers != nil else { return }
        userWroteAt = now
        if waitingSince == nil { waitingSince = now }
    }

    /// An agent wrote to the user: nobody waits for an answer any more, and reminders stop for good.
    public mutating func agentWrote(at now: Date) {
        guard phase == .active else { return }
        agentAnswered = true
        guard timers != nil else { return }
        waitingSince = nil
    }

    /// An agent reopened the conversation: they spoke first, so nobody waits, and the user's clock starts again.
    mutating func agentReopened(at now: Date) {
        guard timers != nil else { return }
        agentAnswered = true
        waitingSince = nil
        userWroteAt = now
    }
}

extension ConversationState {
    /// When this conversation next needs the clock (a handover timer); see `HandoverState.wakeAt`.
    public var wakeAt: Date? { handover?.wakeAt }
}
