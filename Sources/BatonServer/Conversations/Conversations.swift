import BatonConfig
public import BatonCore
public import Foundation
import Logging

/// Why a survey answer was refused.
public enum SurveyError: Error, Sendable, Hashable, CustomStringConvertible {
    case notASurvey
    case invalidRating

    public var code: String { self == .notASurvey ? "not_a_survey" : "invalid_rating" }
    public var description: String {
        switch self {
        case .notASurvey: "'messageId' is not a survey of this session"
        case .invalidRating: "'rating' is a whole number from 1 to 5"
        }
    }
}

/// The one write path every event takes, whatever brought it: a channel's user message, a desk's report (a
/// handover opened, a status change), an agent's reply. Each event is one store transaction in which the pure
/// `ConversationMachine` decides the new state, the messages to store and the desk work to save with them (the
/// outbox); as it commits, what it stored is published to the hub (sockets here, other instances through the
/// fan-out) by the committing thread itself (`publishedAtCommit`), and then the outbox is woken. No request waits
/// for a desk.
///
/// It holds its dependencies and lends none of them out: readers get the store, the hub or the metrics from the
/// composition root, not through this type.
public struct Conversations: Sendable {
    let store: any SessionStore
    private let hub: ConversationHub
    let limits: MessageLimits
    /// Rung when a step saved outbox jobs, so the worker starts them now rather than at its next poll.
    private let outboxBell: Doorbell
    /// Rung when a step brought a handover timer forward, so the clock does not sleep past it.
    private let clockBell: Doorbell
    let metrics: BatonMetrics
    /// The endpoints with a callback URL: their outside bots' sessions are told of their handovers.
    private let notifiedEndpoints: Set<String>
    /// How long messages are kept (`retention.messageDays`); `nil`: as long as their session.
    private let messageRetention: TimeInterval?
    let now: @Sendable () -> Date
    let logger: Logger

    init(
        store: any SessionStore, hub: ConversationHub, limits: MessageLimits, outboxBell: Doorbell, clockBell: Doorbell = Doorbell(),
        metrics: BatonMetrics, notifiedEndpoints: Set<String> = [], messageRetention: TimeInterval? = nil, now: @escaping @Sendable () -> Date,
        logger: Logger
    ) {
        self.store = store
        self.hub = hub
        self.limits = limits
        self.outboxBell = outboxBell
        self.clockBell = clockBell
        self.metrics = metrics
        self.notifiedEndpoints = notifiedEndpoints
        self.messageRetention = messageRetention
        self.now = now
        self.logger = logger
    }

    // MARK: Sessions

    /// Opens a new session for `userID` (or finds the existing one) and, when new, runs the bot's start.
    /// `profile` is what the channel knows of the user when the session is new (the flow's start can read it);
    /// without `start` a new session waits silently for its first event (humans have the user already).
    /// - Throws: `OutsideBotError.userOwnedByOutsideBot` when the user is an outside bot's (the handovers API).
    public func openSession(
        endpoint: Endpoint, userID: String, channel: Channel, profile: JSONValue = .emptyObject, start: Bool = true
    ) async throws -> Turn {
        let (session, created) = try await store.findOrCreateSession(
            endpointID: endpoint.id, userID: userID, channel: channel, initialState: ConversationState(profile: profile), now: now(),
            makeID: SessionID.random)
        // An outside bot's user is reached through the handovers API alone.
        if session.channel.isOwnedByOutsideBot, channel != session.channel { throw OutsideBotError.userOwnedByOutsideBot }
        guard created, start else { return Turn(session: session) }
        logger.info("session opened", metadata: ["session": "\(session.id)", "endpoint": "\(endpoint.id)", "channel": "\(channel.rawValue)"])
        return try await step(session.id, endpoint: endpoint) { machine, state in machine.handle(.start, state: state) }
    }

    /// Merges `values` into the session's profile (what the flow reads as `profile.*` and agents see).
    /// - Returns: the updated session.
    @discardableResult
    public func updateProfile(_ values: [String: JSONValue], sessionID: SessionID) async throws -> Session {
        try await store.update(sessionID: sessionID, now: now()) { update in
            var profile: [String: JSONValue] = if case .object(let current) = update.state.profile { current } else { [:] }
            profile.merge(values) { _, new in new }
            update.state.profile = .object(profile)
            // No message is appended, so the session is the one read, with its new state.
            var session = update.session
            session.state = update.state
            return session
        }.result
    }

    // MARK: Events

    /// A user message: stored with the bot's answer, or passed to the agent during a handover. A message whose
    /// `clientMessageID` was stored before has no second effect.
    /// - Throws: `MessageLimitError` when the session sends too fast or too much (nothing is stored then).
    public func receive(
        _ input: UserInput, attachments: [Attachment] = [], clientMessageID: String?, in sessionID: SessionID, endpoint: Endpoint
    ) async throws -> Turn {
        if let clientMessageID, let existing = try await store.message(sessionID: sessionID, clientMessageID: clientMessageID) {
            return try await duplicateTurn(existing, sessionID: sessionID)
        }
        try await counted { try limits.checkLength(input.text) }
        var data: [String: JSONValue] = [:]
        if let payload = input.payload { data["payload"] = .string(payload) }
        if input.data != .null { data["data"] = input.data }
        let draft = MessageDraft(
            sender: .user, content: MessageContent(text: input.text, attachments: attachments, data: data.isEmpty ? nil : .object(data)), createdAt: now(),
            clientMessageID: clientMessageID)
        do {
            return try await counted {
                try await step(sessionID, endpoint: endpoint, userDraft: draft, rateLimited: true) { machine, state in machine.handle(.message(input), state: state) }
            }
        } catch SessionStoreError.duplicateClientMessage(_, let clientID) {
            // Two copies raced past the first check; the store let exactly one in.
            guard let existing = try await store.message(sessionID: sessionID, clientMessageID: clientID) else { throw SessionStoreError.sessionNotFound(sessionID) }
            return try await duplicateTurn(existing, sessionID: sessionID)
        }
    }

    /// A handover event reported by the desk.
    @discardableResult
    public func handover(_ event: HandoverEvent, sessionID: SessionID, endpoint: Endpoint) async throws -> Turn {
        try await step(sessionID, endpoint: endpoint) { machine, state in machine.handle(event, state: state) }
    }

    /// The clock reached the session's `wakeAt`: runs its handover timer that is due (a reminder, an inactivity
    /// close). Nothing happens when none is (another instance ran it first, or a message moved the clock on).
    public func wake(_ sessionID: SessionID, endpoint: Endpoint) async throws {
        _ = try await step(sessionID, endpoint: endpoint) { machine, state in machine.wake(state: state) }
    }

    /// An agent's message for the user. `externalID` (the desk's message id) makes a repeated delivery harmless;
    /// `sentAt`, when the desk says, keeps out one sent before what the retention keeps (see below). `deskStatus`,
    /// the conversation's status as the message's delivery carries it when it is open: if the handover ended here,
    /// an agent reopened the conversation and that event was lost (Chatwoot never sends one again), so it is applied
    /// first, as its own event would have been, and the user's next messages go to the agent who is writing.
    /// - Returns: the stored message, or `nil` when it had been delivered before or is past the retention.
    @discardableResult
    public func agentMessage(
        _ content: MessageContent, agentName: String?, externalID: String, order: Int64? = nil, sentAt: Date? = nil, sessionID: SessionID,
        deskStatus: (event: HandoverEvent, endpoint: Endpoint)? = nil
    ) async throws -> Message? {
        let time = now()
        // Sent longer ago than messages are kept: the retention deleted it, or would at its next sweep, and its id
        // went with it, so a reconciliation reading the conversation again, or a late `message_updated`, would
        // bring it back to the user as new.
        if let sentAt, let messageRetention, sentAt < time.addingTimeInterval(-messageRetention) { return nil }
        let checksReopening = deskStatus != nil
        do {
            let trace = BatonTracing.currentTraceparent()
            let (measured, stored) = try await BatonTracing.withSpan("conversation agent message") { _ in try await write(sessionID, at: time) { update in
                // Told in the write, which stores nothing then, so a running handover's replies cost no read more.
                if checksReopening, update.state.handover?.canBeReopened == true { throw ReopeningFirst() }
                update.trace = trace
                update.append(
                    MessageDraft(sender: .agent, content: content, createdAt: time, agentName: agentName, externalID: externalID, externalOrder: order))
                update.passOverAppended()
                let before = update.state.handover
                // The user has an answer: the agent-inactivity clock stops, and so do reminders.
                update.state.handover?.agentWrote(at: time)
                // A single draft takes the session's next id (`MessagePlacement`); the replies it moves behind it, if
                // its webhook came late, are copies after it, each told of after it.
                if notifies(update.session), let handover = update.state.handover {
                    update.enqueue(.event(Self.notification(.agentMessage, handover: handover, at: time, messageID: update.session.lastMessageID + 1)))
                    update.enqueueForEachMovedCopy { .event(Self.notification(.agentMessageMoved, handover: handover, at: time, messageID: $0)) }
                }
                return (endpoint: update.session.endpointID, measures: HandoverMeasures(from: before, to: update.state.handover, at: time))
            } }
            metrics.handover(measured.measures, endpoint: measured.endpoint)
            return stored.first
        } catch SessionStoreError.duplicateExternalMessage {
            return nil
        } catch is ReopeningFirst {
            if let deskStatus { try await handover(deskStatus.event, sessionID: sessionID, endpoint: deskStatus.endpoint) }
            return try await agentMessage(content, agentName: agentName, externalID: externalID, order: order, sentAt: sentAt, sessionID: sessionID)
        }
    }

    /// Thrown out of an agent message's write, which then stores nothing, when the desk's open status is to be
    /// applied before the message.
    private struct ReopeningFirst: Error {}

    /// The desk never took the user's message `messageID` (its job was given up): the user is told with `notice` (a
    /// notice for the user alone: the agents never get it, so it does not hold the desk's sync position back), and an
    /// outside bot with a callback hears `handover.user_message_undelivered`, in the same transaction.
    func undelivered(_ messageID: Int64, notice: MessageContent, sessionID: SessionID) async throws {
        let time = now()
        _ = try await write(sessionID, at: time) { update in
            update.append(MessageDraft(sender: .system, content: notice, createdAt: time))
            update.passOverAppended()
            if notifies(update.session), let handover = update.state.handover {
                update.enqueue(.event(Self.notification(.userMessageUndelivered, handover: handover, at: time, messageID: messageID)))
            }
        }
    }

    // MARK: Satisfaction surveys

    /// What became of a survey the desk sent.
    public enum SurveyOutcome: Sendable {
        case stored
        /// Its webhook came before.
        case duplicate
        /// The handover of that conversation did not end with an agent resolving it (the user left the queue, it
        /// timed out, or a newer one runs): a survey about agents would puzzle the user, so it is not shown.
        case notAfterAnAgent
    }

    /// The desk's satisfaction survey for the user, shown when the session's latest handover is the one in
    /// `conversationID` and an agent resolved it. `content.data.survey` says how to answer it.
    public func survey(_ content: MessageContent, externalID: String, conversationID: Int, sessionID: SessionID) async throws -> SurveyOutcome {
        let time = now()
        do {
            let (shown, _) = try await write(sessionID, at: time) { update in
                guard let handover = update.state.handover, handover.conversationID == conversationID, handover.phase == .resolved else { return false }
                update.append(MessageDraft(sender: .system, content: content, createdAt: time, externalID: externalID))
                update.passOverAppended()
                return true
            }
            guard shown else { return .notAfterAnAgent }
            return .stored
        } catch SessionStoreError.duplicateExternalMessage {
            return .duplicate
        }
    }

    /// The user's answer to survey message `surveyID`: kept in the transcript (as the user's message, its text the
    /// feedback, `data.surveyAnswer` naming the survey and the rating) and sent to the desk through the outbox. A
    /// `clientMessageID` stored before has no second effect; answering again sends the new answer (the desk keeps
    /// the last).
    /// - Throws: `SurveyError` for a message that is not a survey or a rating outside 1–5; `MessageLimitError` as for
    ///   any message.
    public func answerSurvey(
        _ surveyID: Int64, rating: Int, feedback: String?, clientMessageID: String?, sessionID: SessionID
    ) async throws -> Turn {
        if let clientMessageID, let existing = try await store.message(sessionID: sessionID, clientMessageID: clientMessageID) {
            return try await duplicateTurn(existing, sessionID: sessionID)
        }
        guard (1...5).contains(rating) else { throw SurveyError.invalidRating }
        guard let survey = try await store.message(sessionID: sessionID, id: surveyID), survey.sender == .system,
            case .string(let uuid)? = survey.content.data?["survey"]?["conversationUUID"]
        else { throw SurveyError.notASurvey }
        let text = feedback?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let limits = limits
        try await counted { try limits.checkLength(text) }
        let time = now()
        let data: JSONValue = ["surveyAnswer": ["messageId": .number(Double(surveyID)), "rating": .number(Double(rating))]]
        let (session, stored) = try await counted { try await write(sessionID, at: time) { update in
            try limits.take(from: &update.rateBucket, at: time)
            update.append(MessageDraft(sender: .user, content: MessageContent(text: text, data: data), createdAt: time, clientMessageID: clientMessageID))
            // For the desk's survey page, not for the agents' conversation.
            update.passOverAppended()
            update.enqueue(.survey(SurveyAnswer(conversationUUID: uuid, rating: rating, feedback: text.isEmpty ? nil : text)))
            return update.session
        } }
        // The session as it was read: its `lastMessageID` is before the answer (callers read `messages`).
        return Turn(session: session, userMessage: stored.first, messages: stored)
    }

    /// The desk's message `externalID` was deleted by its author: taken back from the user's channels and, for an
    /// outside bot with a callback, told of (`handover.agent_message_deleted`) in the same transaction.
    /// - Returns: false when there was nothing to retract (unknown, or retracted before).
    @discardableResult
    public func retract(externalID: String, sessionID: SessionID) async throws -> Bool {
        let time = now()
        let (retracted, _) = try await write(sessionID, at: time, retracting: externalID) { update -> Bool in
            guard let message = update.retracted else { return false }
            if notifies(update.session), let handover = update.state.handover {
                update.enqueue(.event(Self.notification(.agentMessageDeleted, handover: handover, at: time, messageID: message.id)))
            }
            return true
        }
        return retracted
    }

    /// Moves the handover's reconciliation mark: every desk message up to `through` has been read.
    func reconciled(through: Int64, handover number: Int, sessionID: SessionID) async throws {
        _ = try await store.update(sessionID: sessionID, now: now()) { update in
            guard var current = update.state.handover, current.number == number else { return }
            current.reconciledThrough = max(current.reconciledThrough ?? 0, through)
            update.state.handover = current
        }
    }

    /// An agent started or stopped typing.
    public func agentTyping(_ on: Bool, sessionID: SessionID) {
        hub.publish(.typing(sender: .agent, on: on), to: sessionID)
    }

    // MARK: Bots

    /// An outside bot answered a bot node's turn: the flow takes it (an answer to a turn it no longer waits for
    /// changes nothing).
    @discardableResult
    public func botAnswered(_ answer: BotAnswer, sessionID: SessionID, endpoint: Endpoint) async throws -> Turn {
        try await step(sessionID, endpoint: endpoint) { machine, state in machine.handle(.botAnswered(answer), state: state) }
    }

    /// An outside bot was asked for its answer: the user sees it typing until the answer (or its draft) comes.
    public func botIsThinking(sessionID: SessionID) {
        hub.publish(.typing(sender: .bot, on: true), to: sessionID)
    }

    /// The text of a bot answer being written, shown growing to the session's sockets and never stored; `nil`
    /// withdraws it (the answer failed). The stored answer replaces it.
    public func botDraft(_ text: String?, sessionID: SessionID) {
        hub.publish(.draft(text: text), to: sessionID)
    }

    // MARK: Steps

    /// Runs one machine step in one store transaction (its desk work saved in the outbox with it), publishes what
    /// it stored and the handover's new phase as it commits, and wakes the outbox worker.
    func step(
        _ sessionID: SessionID, endpoint: Endpoint, userDraft: MessageDraft? = nil, rateLimited: Bool = false,
        _ work: @escaping @Sendable (ConversationMachine, ConversationState) -> ConversationStep
    ) async throws -> Turn {
        let time = now()
        let limits = limits
        // One read of the endpoint's flow and policy: a reload meanwhile must not give the step one of each version.
        let script = endpoint.script.current
        let flow = script.bot
        let policy = script.policy
        let notifiedEndpoints = notifiedEndpoints
        let trace = BatonTracing.currentTraceparent()
        let (outcome, stored) = try await BatonTracing.withSpan("conversation step") { _ in try await write(sessionID, at: time) { update in
            update.trace = trace
            // Inside the write: the session's row lock makes instances take from its bucket one at a time.
            if rateLimited { try limits.take(from: &update.rateBucket, at: time) }
            if let userDraft { update.append(userDraft) }
            let before = update.state.handover
            let bot: any Bot = update.session.channel.isOwnedByOutsideBot ? HandoverOnlyBot() : flow
            let machine = ConversationMachine(
                bot: bot, session: SessionFacts(update.session), now: time, policy: policy, userMessageID: userDraft == nil ? nil : update.lastMessageID)
            let step = work(machine, update.state)
            update.apply(step)
            if Self.notifies(update.session, among: notifiedEndpoints), let handover = update.state.handover {
                for kind in HandoverNotification.kinds(from: before, to: handover) {
                    update.enqueue(.event(Self.notification(kind, handover: handover, at: time)))
                }
            }
            let after = HandoverPhase(update.state.handover, asOf: update.lastMessageID)
            let changed = after.differs(from: before.map { HandoverPhase($0, asOf: 0) } ?? HandoverPhase(phase: nil, number: 0, asOf: 0))
            // Published as the write commits (see `write`); a store that announces in the transaction sends it then.
            if changed { update.handoverPhase = after }
            // The clock sleeps until the time it knew; an earlier one must wake it.
            let sooner = update.state.wakeAt.map { wakeAt in before?.wakeAt.map { wakeAt < $0 } ?? true } ?? false
            return StepOutcome(
                session: update.session, problems: step.problems, timerSooner: sooner,
                measures: HandoverMeasures(from: before, to: update.state.handover, at: time))
        } }
        metrics.handover(outcome.measures, endpoint: endpoint.id)
        for problem in outcome.problems {
            logger.error("flow problem", metadata: ["session": "\(sessionID)", "endpoint": "\(endpoint.id)", "problem": "\(problem)"])
        }
        if outcome.timerSooner { clockBell.ring() }
        return Turn(session: outcome.session, userMessage: userDraft == nil ? nil : stored.first, messages: stored)
    }

    /// `body`'s update of the session, in one store transaction (after taking back the message `retracting`, if
    /// given): what it took back and stored, then the handover phase it moved to (`SessionUpdate.handoverPhase`), is
    /// published as it commits (see `publishedAtCommit`), and when it stored desk work the outbox is woken as the
    /// write returns, so no job waits for the outbox's look for other instances' jobs. Every write that can store a
    /// message or a job goes through here.
    private func write<T: Sendable>(
        _ sessionID: SessionID, at time: Date, retracting: String? = nil, _ body: @escaping @Sendable (inout SessionUpdate) throws -> T
    ) async throws -> (result: T, messages: [Message]) {
        let (written, messages) = try await store.update(
            sessionID: sessionID, now: time, retracting: retracting, committed: publishedAtCommit(sessionID)
        ) { update in
            let result = try body(&update)
            return Written(result: result, enqueued: !update.jobs.isEmpty, retracted: update.retracted?.id, phase: update.handoverPhase)
        }
        if written.enqueued { outboxBell.ring() }
        return (written.result, messages)
    }

    /// What publishes a transaction's retraction, its stored messages, then the handover phase it moved to if any,
    /// as it commits: on the store's committing thread, in a `hub publish` span of the trace the caller is in now (see
    /// `SessionStore.update`). A message so reaches the sockets open on its session without waiting for the caller's
    /// task to be resumed, and a session's events are published in the order of its commits.
    private func publishedAtCommit<T: Sendable>(_ sessionID: SessionID) -> @Sendable ((result: Written<T>, messages: [Message])) -> Void {
        let (hub, trace) = (hub, BatonTracing.currentContext)
        return { committed in
            BatonTracing.withSpan("hub publish", continuing: trace) {
                if let retracted = committed.result.retracted { hub.publish(.retracted(messageID: retracted), to: sessionID) }
                hub.publish(committed.messages)
                if let phase = committed.result.phase { hub.publish(.handover(phase), to: sessionID) }
            }
        }
    }

    /// What a write's transaction hands back to `write`: the body's result, and what `write` does once it committed.
    private struct Written<T: Sendable>: Sendable {
        var result: T
        var enqueued: Bool
        /// The id of the message the write took back, if any.
        var retracted: Int64?
        var phase: HandoverPhase?
    }

    /// What a step's transaction hands back out.
    private struct StepOutcome: Sendable {
        var session: Session
        var problems: [FlowProblem]
        var timerSooner: Bool
        var measures: HandoverMeasures
    }

    // MARK: Notifications

    /// Whether the session's handovers are told of at a callback URL: an outside bot owns it, and its endpoint
    /// has a callback.
    func notifies(_ session: Session) -> Bool { Self.notifies(session, among: notifiedEndpoints) }

    static func notifies(_ session: Session, among endpoints: Set<String>) -> Bool {
        session.channel.isOwnedByOutsideBot && endpoints.contains(session.endpointID)
    }

    /// A notification with a new id: 128 random bits, the same on every attempt to deliver it.
    static func notification(_ kind: HandoverNotification.Kind, handover: HandoverState, at time: Date, messageID: Int64? = nil) -> HandoverNotification {
        let id = "n_" + SessionID.random().rawValue.dropFirst(2)
        return HandoverNotification(id: id, kind: kind, createdAt: time, handover: HandoverNotification.Snapshot(handover), messageID: messageID)
    }

    /// Runs `body`, counting a message it refuses (`MessageLimitError`) in the metrics.
    func counted<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as MessageLimitError {
            metrics.refused(error.metricLabel)
            throw error
        }
    }

    func duplicateTurn(_ existing: Message, sessionID: SessionID) async throws -> Turn {
        guard let session = try await store.session(id: sessionID) else { throw SessionStoreError.sessionNotFound(sessionID) }
        return Turn(session: session, userMessage: existing, duplicate: true)
    }
}
