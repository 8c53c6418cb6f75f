public import Foundation

/// What an operator counts about handovers, read off one step's change of state: handovers opened and how they
/// ended, how long they lasted, how long users waited for an agent's first reply. Pure: the server records them
/// once the step is committed.
public struct HandoverMeasures: Sendable, Hashable {
    /// How a handover ended, as the metrics name it.
    public enum Ending: String, Sendable, Hashable, CaseIterable {
        /// An agent resolved it, or gave the user back to the bot.
        case completed
        /// The user, the flow or the outside bot ended it.
        case cancelled
        /// It could not be opened.
        case failed
        /// Baton closed it after the user or the agents stayed silent too long.
        case inactive
    }

    /// The desk's conversation opened in this step.
    public var opened = false
    /// An agent reopened a resolved or inactive handover.
    public var reopened = false
    /// It ended in this step, and how.
    public var ending: Ending?
    /// From the conversation's opening to its end; `nil` when it never opened.
    public var duration: TimeInterval?
    /// From the conversation's opening to the agents' first reply, when that reply came in this step.
    public var firstReplyWait: TimeInterval?
    /// The inbox the handover went to, when known.
    public var inboxID: Int?

    public var isEmpty: Bool { !opened && !reopened && ending == nil && firstReplyWait == nil }

    /// The measures of a step that turned `before` into `after` at `now`.
    public init(from before: HandoverState?, to after: HandoverState?, at now: Date) {
        guard let after else { return }
        inboxID = after.inboxID
        let previous = before?.number == after.number ? before : nil
        for kind in HandoverNotification.kinds(from: before, to: after) {
            switch kind {
            case .queued: opened = true
            case .reopened: reopened = true
            case .resolved: ending = .completed
            case .cancelled: ending = .cancelled
            case .failed: ending = .failed
            case .inactive: ending = .inactive
            case .agentAssigned, .agentMessage, .agentMessageDeleted, .agentMessageMoved, .userMessageUndelivered, .agentTyping: break
            }
        }
        if ending != nil, let openedAt = after.openedAt { duration = max(0, now.timeIntervalSince(openedAt)) }
        // A reopen counts the agent as having answered (they spoke first); that is no reply to measure.
        if after.agentAnswered == true, previous?.agentAnswered != true, !reopened, let openedAt = after.openedAt {
            firstReplyWait = max(0, now.timeIntervalSince(openedAt))
        }
    }
}
