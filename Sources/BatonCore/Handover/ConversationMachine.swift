public import Foundation

/// Something that happened to a handover, reported by the provider or the user.
public enum HandoverEvent: Sendable, Hashable {
    /// The provider opened the conversation of handover `number`; `unavailable` says why nobody may answer soon
    /// when the node asked to hand over anyway (`WhenUnavailable.handover`); `queuePosition` is the user's place
    /// among the inbox's waiting conversations, when the node asked for it and the desk could count.
    case opened(number: Int, contactID: Int, conversationID: Int, inboxID: Int, unavailable: HandoverOutcome.Reason? = nil, queuePosition: Int? = nil)
    /// The provider could not open one for handover `number`.
    case failedToOpen(number: Int, HandoverOutcome)
    /// A provider conversation's status changed. `updatedAt` is the provider's clock, used to drop stale events;
    /// `resolution`, what the agents left on the conversation, when the desk said (read when it is resolved);
    /// `newestUserMessageAt`, when the conversation's newest message (not a note) was created at the latest, on the
    /// provider's clock, if the user sent it: a resolved conversation that reopens is an agent coming back, unless
    /// that message reopened it. Chatwoot reopens a resolved conversation when an incoming message is created in it,
    /// and Baton posts none after the resolve, so one created after it was on its way when the agent resolved.
    /// `agentWroteAt`: the status came with a message an agent just wrote in the conversation, created then (on the
    /// provider's clock): an agent is there, even while Baton's own close of it is not made yet, or, when the message
    /// is newer than the user's late one that reopened it, to answer that message.
    case providerStatus(
        ProviderStatus, conversationID: Int, updatedAt: Double?, resolution: ResolutionDetails? = nil, newestUserMessageAt: Double? = nil,
        agentWroteAt: Double? = nil)
    /// The channel's own desk conversation was opened to humans (Chatwoot channel). Baton's own handover, or an
    /// agent reopening a resolved one, needs nothing new; otherwise the desk took the user without a handover node
    /// asking (an agent, or Chatwoot after the agent bot's webhook failed): the bot falls silent as in a handover.
    case deskTookOver(conversationID: Int, inboxID: Int?, updatedAt: Double?)
    /// Agents gave the conversation back to the bot without resolving it (Chatwoot channel: status `pending`, or
    /// the conversation assigned to Baton's agent bot); the flow goes on as after a resolve, with `resolution`.
    case returnedToBot(conversationID: Int, updatedAt: Double?, resolution: ResolutionDetails? = nil)
    /// An agent took the handover's conversation (it was assigned to them); `agentName` and `agentAvatar` (an
    /// http(s) picture) only when users may see them.
    case agentJoined(conversationID: Int, agentName: String?, agentAvatar: String? = nil)
    /// An agent gave the user back to the bot at flow node `nodeID` without resolving the conversation; `resolution`,
    /// what the agents left on it then, as with a resolve.
    case handedBack(conversationID: Int, nodeID: String, resolution: ResolutionDetails? = nil)
}

/// A provider conversation's status as Baton cares about it.
public enum ProviderStatus: String, Codable, Sendable, Hashable {
    case open, pending, snoozed, resolved

    /// Open to agents: `open`, or `pending` (waiting for them, or a bot's).
    public var isOpen: Bool { self == .open || self == .pending }
}

/// Provider I/O the conversation needs after a step is saved.
public enum ProviderCommand: Sendable, Hashable {
    /// Open a provider conversation for this handover.
    case open(HandoverRequest, number: Int)
    /// Post the transcript messages the provider has not seen yet.
    case sync
    /// Resolve the provider conversation (the user left).
    case close(conversationID: Int)
    /// Post a private note for the agents of the current handover.
    case note(String)
    /// Give the desk conversation back after a hand-back (clear the agents' choice; on a channel, the bot has it).
    case release(conversationID: Int)
    /// Ask an outside bot for its answer to a bot node's turn.
    case askBot(BotTurnRequest)
}

/// The outcome of one step: the new state, messages to store, provider work to do, and flow faults to log.
public struct ConversationStep: Sendable, Hashable {
    public var state: ConversationState
    public var messages: [MessageDraft] = []
    public var commands: [ProviderCommand] = []
    public var problems: [FlowProblem] = []

    public init(state: ConversationState, messages: [MessageDraft] = [], commands: [ProviderCommand] = [], problems: [FlowProblem] = []) {
        self.state = state
        self.messages = messages
        self.commands = commands
        self.problems = problems
    }
}

/// The pure heart of a conversation: runs the flow and the handover lifecycle together on one state, so one
/// store transaction can save the result of any event. No I/O: provider work comes out as `ProviderCommand`s.
public struct ConversationMachine: Sendable {
    public let bot: any Bot
    public let session: SessionFacts
    public let now: Date
    /// The endpoint's notices and default timers.
    public let policy: HandoverPolicy
    /// The id the step's user message was stored with, if the step stored one.
    public let userMessageID: Int64?

    public init(bot: any Bot, session: SessionFacts, now: Date, policy: HandoverPolicy = HandoverPolicy(), userMessageID: Int64? = nil) {
        self.bot = bot
        self.session = session
        self.now = now
        self.policy = policy
        self.userMessageID = userMessageID
    }

    /// A flow event: the conversation's start, a user message, or a handover's end.
    public func handle(_ event: FlowEvent, state: ConversationState) -> ConversationStep {
        var step = ConversationStep(state: state)
        if case .message(var input) = event, input.messageID == nil {
            input.messageID = userMessageID
            run(.message(input), into: &step)
        } else {
            run(event, into: &step)
        }
        return step
    }

    /// A handover event.
    public func handle(_ event: HandoverEvent, state: ConversationState) -> ConversationStep {
        var step = ConversationStep(state: state)
        switch event {
        case .deskTookOver(let conversationID, let inboxID, let updatedAt):
            return takeOver(conversationID: conversationID, inboxID: inboxID, updatedAt: updatedAt, state: state)
        case .returnedToBot(let conversationID, let updatedAt, let resolution):
            // As a resolve, but only of a handover that is running: a stray `pending` is the bot's already.
            guard let handover = state.handover, handover.phase == .active else { return step }
            return handle(.providerStatus(.resolved, conversationID: conversationID, updatedAt: updatedAt, resolution: resolution), state: state)
        default:
            break
        }
        guard var handover = state.handover else { return step }
        switch event {
        case .opened(let number, let contactID, let conversationID, let inboxID, let unavailable, let position):
            // A repeated report of this handover's own conversation: never close it, whatever the phase (an agent
            // may have reopened it).
            if handover.conversationID == conversationID { return step }
            guard handover.number == number, handover.phase == .opening else {
                // The user left while the provider was still opening (or a newer handover began): close what was
                // just opened rather than hand the user to it.
                step.commands.append(.close(conversationID: conversationID))
                return step
            }
            handover.phase = .active
            handover.contactID = contactID
            handover.conversationID = conversationID
            handover.inboxID = inboxID
            handover.startClocks(at: now)
            if let accepted = handover.acceptedMessage {
                step.messages.append(MessageDraft(sender: .bot, content: accepted, createdAt: now))
            }
            switch unavailable {
            case .outsideBusinessHours?: notice(.outsideBusinessHours, into: &step)
            case .some: notice(.noAgentOnline, into: &step)
            case nil: break
            }
            if let position, position >= 1 {
                notice(position == 1 ? notices(step)(.queueNext) : notices(step)(.queuePosition, ["position": String(position)]), into: &step)
            }
            let early = handover.earlyStatus
            handover.earlyStatus = nil
            step.state.handover = handover
            step.commands.append(.sync)
            if let early, early.conversationID == conversationID {
                // A status change (an agent resolving at once) that overtook the API's answer.
                let later = handle(
                    .providerStatus(early.status, conversationID: conversationID, updatedAt: early.updatedAt, resolution: early.resolution), state: step.state)
                step.state = later.state
                step.messages += later.messages
                step.commands += later.commands
                step.problems += later.problems
            }
        case .deskTookOver, .returnedToBot:
            break
        case .agentJoined(let conversationID, let agentName, let agentAvatar):
            // Once per handover: a reassignment to another agent is the desk's business.
            guard handover.phase == .active, handover.conversationID == conversationID, handover.agentJoined != true else { return step }
            handover.agentJoined = true
            handover.agentName = agentName
            handover.agentAvatar = agentAvatar
            step.state.handover = handover
            notice(notices(step).joined(agentName), into: &step)
        case .handedBack(let conversationID, let nodeID, let resolution):
            guard handover.phase == .active, handover.conversationID == conversationID else { return step }
            handover.phase = .returned
            handover.resolution = resolution
            let outcome = HandoverOutcome(status: .returned, resumeAt: nodeID, resolution: resolution)
            handover.ending = outcome
            step.state.handover = handover
            step.commands.append(.note("Baton: the user is back with the bot, at flow node '\(nodeID)'. This conversation was not resolved."))
            step.commands.append(.release(conversationID: conversationID))
            notice(.handedBack, into: &step)
            run(.handoverEnded(outcome), into: &step)
        case .failedToOpen(let number, let outcome):
            guard handover.number == number, handover.phase == .opening else { return step }
            handover.phase = .failed
            handover.ending = outcome
            step.state.handover = handover
            // Nobody there and the node said `skip`: not a failure to apologise for; the flow says what it wants.
            if outcome.status != .unavailable { notice(.failed, into: &step) }
            run(.handoverEnded(outcome), into: &step)
        case .providerStatus(let status, let conversationID, let updatedAt, let resolution, let newestUserMessageAt, let agentWroteAt):
            if handover.phase == .opening, handover.conversationID == nil {
                // Possibly this handover's conversation, reported before its creation was answered: keep the newest.
                // An untimed event does not replace a timed one: it cannot be shown to be newer.
                if let kept = handover.earlyStatus, kept.conversationID == conversationID, let last = kept.updatedAt, (updatedAt ?? -.infinity) < last {
                    return step
                }
                handover.earlyStatus = HandoverState.EarlyStatus(status: status, conversationID: conversationID, updatedAt: updatedAt, resolution: resolution)
                step.state.handover = handover
                return step
            }
            // Earlier handovers' conversations stay linked to the session; their events must not move this one.
            guard handover.conversationID == conversationID else { return step }
            if let updatedAt, let last = handover.statusUpdatedAt, updatedAt < last { return step }
            if let byTheUser = reopeningByTheUser(
                status, conversationID: conversationID, updatedAt: updatedAt, newestUserMessageAt: newestUserMessageAt, agentWroteAt: agentWroteAt,
                state: state)
            {
                return byTheUser
            }
            if let updatedAt { handover.statusUpdatedAt = updatedAt }
            // Baton closed it for silence and the desk has not yet said it is closed: open, the conversation is that
            // close not made yet (Chatwoot saves it for other reasons meanwhile), not an agent's reopening; an agent
            // who writes in it is there, though.
            if handover.closeRequested == true, status.isOpen, agentWroteAt == nil {
                step.state.handover = handover
                return step
            }
            if status == .resolved {
                // Resolved again: a reopening from now on is an agent's, whatever the conversation's newest message.
                handover.reopenedByUserMessageAt = nil
                handover.closeRequested = nil
            }
            step.state.handover = handover
            switch (status, handover.phase) {
            case (.resolved, .active):
                handover.phase = .resolved
                handover.resolution = resolution
                step.state.handover = handover
                notice(.resolved, into: &step)
                var outcome =
                    handover.openedInDesk == true
                    ? HandoverOutcome(status: .error, reason: .openedInDesk, detail: HandoverNotices.openedInDesk) : HandoverOutcome(status: .completed)
                outcome.resolution = resolution
                run(.handoverEnded(outcome), into: &step)
            case _ where status.isOpen && handover.canBeReopened:
                handover.phase = .active
                handover.resolution = nil
                handover.closeRequested = nil
                handover.reopenedByUserMessageAt = nil
                // An agent reopened it: they are there (their assignment, which may follow, says nothing new).
                handover.agentJoined = true
                handover.agentReopened(at: now)
                step.state.handover = handover
                // The agent has the user again: their next messages go to the agent, whatever the bot was asking.
                step.state.flow.position = .inHandover(nodeID: handover.nodeID)
                notice(.reopened, into: &step)
                step.commands.append(.sync)
            default:
                break
            }
        }
        return step
    }

    /// See `HandoverEvent.deskTookOver`.
    func takeOver(conversationID: Int, inboxID: Int?, updatedAt: Double?, state: ConversationState) -> ConversationStep {
        var step = ConversationStep(state: state)
        if var handover = state.handover {
            if let updatedAt, let last = handover.statusUpdatedAt, updatedAt < last { return step }
            if handover.isLive {
                // Baton's own handover: remember when Chatwoot opened it, so an older event cannot end it.
                if handover.phase == .active, handover.conversationID == conversationID, let updatedAt {
                    handover.statusUpdatedAt = updatedAt
                    step.state.handover = handover
                }
                return step
            }
            if handover.phase == .resolved, handover.conversationID == conversationID {
                return handle(.providerStatus(.open, conversationID: conversationID, updatedAt: updatedAt), state: state)
            }
        }
        var handover = HandoverState(
            phase: .active, nodeID: "", number: (state.handover?.number ?? 0) + 1, inboxID: inboxID, conversationID: conversationID,
            syncedThrough: state.handover?.syncedThrough ?? 0, statusUpdatedAt: updatedAt)
        handover.openedInDesk = true
        step.state.handover = handover
        // No node asked for it: whatever the bot was asking, the agents have the user now.
        step.state.flow.position = .inHandover(nodeID: "")
        return step
    }

    /// Runs the flow and turns its effects into messages, lifecycle changes and commands.
    func run(_ event: FlowEvent, into step: inout ConversationStep) {
        let result = bot.handle(event, state: step.state, session: session)
        step.state = result.state
        step.problems += result.problems
        for effect in result.effects { apply(effect, into: &step) }
    }

    /// Carries out one of the bot's effects.
    func apply(_ effect: FlowEffect, into step: inout ConversationStep) {
        switch effect {
        case .say(let content):
            step.messages.append(MessageDraft(sender: .bot, content: content, createdAt: now))
        case .apologize:
            step.messages.append(MessageDraft(sender: .bot, content: MessageContent(text: notices(step)(.apology)), createdAt: now))
        case .requestHandover(let request):
            let number = (step.state.handover?.number ?? 0) + 1
            // The previous handover's sync position carries over, so its messages are not posted again.
            var handover = HandoverState(
                phase: .opening, nodeID: request.nodeID, number: number, syncedThrough: step.state.handover?.syncedThrough ?? 0,
                acceptedMessage: request.acceptedMessage)
            handover.trigger = request.trigger
            let timers = (request.timers ?? HandoverTimers()).over(policy.timers)
            handover.timers = timers.isEmpty ? nil : timers
            step.state.handover = handover
            step.commands.append(.open(request, number: number))
            // The node's note, then what the flow wrote for the agents on the way: each runs once the
            // conversation is open (the outbox keeps a session's jobs in order).
            if let note = request.note { step.commands.append(.note(note)) }
            for note in step.state.agentNotes ?? [] { step.commands.append(.note(note)) }
            step.state.agentNotes = nil
        case .relayToAgent:
            if step.state.handover?.phase == .active {
                step.state.handover?.userWrote(at: now)
                step.commands.append(.sync)
            }
        case .cancelHandover:
            guard var handover = step.state.handover, handover.isLive else { return }
            handover.phase = .cancelled
            step.state.handover = handover
            if let conversationID = handover.conversationID { step.commands.append(.close(conversationID: conversationID)) }
            notice(.cancelled, into: &step)
        case .askBot(let request):
            step.commands.append(.askBot(request))
        case .notice(let key):
            notice(key, into: &step)
        case .noteToAgent(let text):
            if step.state.handover?.isLive == true {
                step.commands.append(.note(text))
            } else {
                step.state.agentNotes = Array(((step.state.agentNotes ?? []) + [text]).suffix(HandoverPolicy.maxPendingNotes))
            }
        }
    }

    /// The notices in the session's language (its profile's, as the step has it now).
    func notices(_ step: ConversationStep) -> SessionNotices { policy.notices.for(profile: step.state.profile) }

    func notice(_ key: NoticeKey, into step: inout ConversationStep) {
        notice(notices(step)(key), into: &step)
    }

    func notice(_ text: String, into step: inout ConversationStep) {
        step.messages.append(MessageDraft(sender: .system, content: MessageContent(text: text), createdAt: now))
    }
}
