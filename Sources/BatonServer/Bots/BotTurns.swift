import BatonConfig
import BatonCore
import Foundation
import Logging

/// Carries out bot nodes' turns from the outbox: reads the transcript, asks the bot, and feeds its answer back
/// through the write path, where the flow takes it. A turn the conversation has moved past (the user left the
/// node, the turn was answered before a crash) is dropped without asking the bot.
struct BotTurns: Sendable {
    let store: any SessionStore
    let bots: RemoteBots
    let endpoints: EndpointRegistry
    let conversations: Conversations
    let metrics: BatonMetrics
    let now: @Sendable () -> Date
    let logger: Logger

    func perform(_ item: OutboxItem, request: BotTurnRequest, through: Int64) async -> JobOutcome {
        let session: Session
        do {
            guard let found = try await store.session(id: item.sessionID) else { return .dead("the session no longer exists") }
            session = found
        } catch {
            return .retry("the store could not be read: \(String(reflecting: error))")
        }
        guard Self.isAwaited(request, in: session.state) else { return .done }
        guard let endpoint = endpoints.endpoint(id: session.endpointID) else { return .dead("endpoint '\(session.endpointID)' is not configured") }
        guard let (bot, settings) = bots.bot(named: request.bot) else {
            return await report(.failure(request, .rejected, detail: "no bot named '\(request.bot)' is configured"), session: session, endpoint: endpoint)
        }
        let transcript: [Message]
        do {
            // Read now, not as it was when the turn was asked: the bot's answers to earlier turns are part of it.
            transcript = try await store.transcript(of: session, upTo: through, last: settings.history)
        } catch {
            return .retry("the store could not be read: \(String(reflecting: error))")
        }
        conversations.botIsThinking(sessionID: session.id)
        let started = ContinuousClock.now
        let call = await bot.answer(BotTurn(request: request, session: session, transcript: transcript, attempt: item.attempts)) { text in
            conversations.botDraft(text, sessionID: session.id)
        }
        metrics.botTurn(bot: request.bot, provider: settings.kind.provider, outcome: call.metricOutcome, duration: ContinuousClock.now - started)
        switch call {
        case .answered(let answer):
            let outcome = await report(limited(answer, bot: request.bot, session: session), session: session, endpoint: endpoint)
            // Whatever the step stored (nothing, for an answer the conversation no longer waits for), the draft and
            // the typing dots go; a stored answer has replaced them already.
            conversations.botDraft(nil, sessionID: session.id)
            return outcome
        case .failed(let failure, let detail):
            conversations.botDraft(nil, sessionID: session.id)
            return await report(.failure(request, failure, detail: detail), session: session, endpoint: endpoint)
        case .retry(let failure, let detail, let after):
            conversations.botDraft(nil, sessionID: session.id)
            // A user is waiting: the next try comes after the bot's Retry-After or a short backoff, and when that
            // would be past the bot's budget the flow hears of the failure now.
            let delay = after ?? Self.backoff.delay(afterAttempts: item.attempts)
            let elapsed = now().timeIntervalSince(item.createdAt) + delay.inSeconds
            guard elapsed < Double(settings.retrySeconds) else {
                return await report(.failure(request, failure, detail: detail), session: session, endpoint: endpoint)
            }
            logger.info("bot turn will be retried", metadata: ["session": "\(session.id)", "bot": "\(request.bot)", "after": "\(delay)", "reason": "\(detail)"])
            return .retryAfter(detail, delay)
        }
    }

    /// Applies the answer through the write path; a store failure makes the job run again (the answer then finds
    /// its turn taken, or is asked again).
    func report(_ answer: BotAnswer, session: Session, endpoint: Endpoint) async -> JobOutcome {
        if case .error(let failure, let detail)? = answer.ending {
            logger.warning("bot turn failed", metadata: ["session": "\(session.id)", "node": "\(answer.nodeID)", "reason": "\(failure.rawValue)", "detail": "\(detail)"])
        }
        do {
            try await conversations.botAnswered(answer, sessionID: session.id, endpoint: endpoint)
            return .done
        } catch {
            return .retry("the store could not be written: \(String(reflecting: error))")
        }
    }

    /// At most `maxMessages` messages of at most `maxText` characters each: a bot that floods the user is cut
    /// short (and logged), never stored whole.
    func limited(_ answer: BotAnswer, bot: String, session: Session) -> BotAnswer {
        var answer = answer
        if answer.messages.count > Self.maxMessages {
            logger.warning("a bot answered with too many messages; the first were kept", metadata: ["session": "\(session.id)", "bot": "\(bot)", "messages": "\(answer.messages.count)", "kept": "\(Self.maxMessages)"])
            answer.messages = Array(answer.messages.prefix(Self.maxMessages))
        }
        for index in answer.messages.indices where answer.messages[index].text.count > Self.maxText {
            logger.warning("a bot message was too long and was cut", metadata: ["session": "\(session.id)", "bot": "\(bot)", "characters": "\(answer.messages[index].text.count)"])
            answer.messages[index].text = String(answer.messages[index].text.prefix(Self.maxText - 1)) + "…"
        }
        return answer
    }

    static let maxMessages = 20
    static let maxText = 8_000
    /// Between tries of a turn the bot could not take: short, because a user is waiting.
    static let backoff = Backoff(base: .milliseconds(500), cap: .seconds(4))

    /// A turn given up by the outbox (its store kept failing): the flow hears of it, so the user is not left waiting.
    func deadLettered(_ item: OutboxItem, request: BotTurnRequest, reason: String) async {
        guard let session = try? await store.session(id: item.sessionID), let endpoint = endpoints.endpoint(id: session.endpointID) else { return }
        _ = await report(.failure(request, .serverError, detail: reason), session: session, endpoint: endpoint)
    }

    /// Whether the conversation still waits for this turn: the same visit of the node, not answered yet.
    static func isAwaited(_ request: BotTurnRequest, in state: ConversationState) -> Bool {
        guard case .withBot(let visit) = state.flow.position else { return false }
        return visit.nodeID == request.nodeID && visit.visit == request.visit && request.turn > visit.answered
    }
}

extension BotCall {
    var metricOutcome: String {
        switch self {
        case .answered(let answer): answer.ending?.outcome == "error" ? "error" : "answered"
        case .retry: "retry"
        case .failed: "error"
        }
    }
}
