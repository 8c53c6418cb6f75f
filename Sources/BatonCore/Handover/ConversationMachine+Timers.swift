import Foundation

extension ConversationMachine {
    /// The clock: runs the handover timer that has run out, if any (see `HandoverTimers`). Safe to call at any
    /// time and from any instance: with nothing due it changes nothing, and what it does changes the state so
    /// that it is not due again.
    public func wake(state: ConversationState) -> ConversationStep {
        var step = ConversationStep(state: state)
        guard var handover = state.handover, let due = handover.dueTimer(at: now) else { return step }
        switch due {
        case .reminder:
            handover.remindersSent = (handover.remindersSent ?? 0) + 1
            handover.lastReminderAt = now
            step.state.handover = handover
            notice(.reminder, into: &step)
        case .userInactive, .agentInactive:
            let user = due == .userInactive
            handover.phase = .inactive
            handover.ending = HandoverOutcome(status: .inactive, reason: user ? .userInactive : .agentInactive)
            if handover.conversationID != nil { handover.closeRequested = true }
            step.state.handover = handover
            let quiet = Self.spoken(seconds: Int((user ? handover.timers?.userInactivity : handover.timers?.agentInactivity) ?? 0))
            let why = user ? "the user wrote nothing for \(quiet)" : "no agent answered the user for \(quiet)"
            step.commands.append(.note("Baton closed this conversation: \(why). They are back with the bot."))
            if let conversationID = handover.conversationID { step.commands.append(.close(conversationID: conversationID)) }
            notice(user ? .inactiveUser : .inactiveAgent, into: &step)
            run(.handoverEnded(handover.ending ?? HandoverOutcome(status: .inactive)), into: &step)
        }
        return step
    }

    /// "90 seconds", "10 minutes", "2 hours", for the agents' note.
    static func spoken(seconds: Int) -> String {
        if seconds >= 3600, seconds % 3600 == 0 { return seconds == 3600 ? "1 hour" : "\(seconds / 3600) hours" }
        if seconds >= 60, seconds % 60 == 0 { return seconds == 60 ? "1 minute" : "\(seconds / 60) minutes" }
        return seconds == 1 ? "1 second" : "\(seconds) seconds"
    }
}
