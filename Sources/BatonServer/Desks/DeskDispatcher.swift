import BatonCore
import Foundation
import Logging

/// Carries the outbox's jobs out against each session's desk, and feeds what the desk reports back through the
/// write path. Jobs of a handover that has moved on (the user left before it opened, a newer handover began)
/// are dropped as done.
struct DeskDispatcher: Sendable {
    let store: any SessionStore
    let desks: Desks
    let replies: ReplyChannels
    let endpoints: EndpointRegistry
    let conversations: Conversations
    let reconciler: Reconciler
    let logger: Logger

    func perform(_ item: OutboxItem) async -> JobOutcome {
        let outcome = await attempt(item)
        // The desk answers again after failing: webhooks it sent meanwhile may have been lost too.
        if outcome == .done, item.attempts > 1 { reconciler.reconcileLater(item.sessionID) }
        return outcome
    }

    func attempt(_ item: OutboxItem) async -> JobOutcome {
        let session: Session
        do {
            guard let found = try await store.session(id: item.sessionID) else { return .dead("the session no longer exists") }
            session = found
        } catch {
            return .retry("the store could not be read: \(String(reflecting: error))")
        }
        guard let endpoint = endpoints.endpoint(id: session.endpointID) else { return .dead("endpoint '\(session.endpointID)' is not configured") }
        if case .reply(let messageID) = item.job { return await reply(messageID, session: session, endpoint: endpoint, attempt: item.attempts) }
        if case .survey(let answer) = item.job {
            return await desks.desk(for: endpoint, channel: session.channel).answerSurvey(answer, session: session, attempt: item.attempts)
        }
        guard let handover = session.state.handover, handover.number == item.job.handoverNumber else { return .done }
        let desk = desks.desk(for: endpoint, channel: session.channel)
        switch item.job {
        case .open(let request, let number):
            guard handover.phase == .opening else { return .done }
            let outcome = await desk.open(request, number: number, session: session, attempt: item.attempts)
            if case .reported(.failedToOpen(_, let failure)) = outcome {
                logger.warning(
                    "handover could not start",
                    metadata: ["session": "\(session.id)", "endpoint": "\(endpoint.id)", "reason": "\(failure.reason?.rawValue ?? "-")", "detail": "\(failure.detail ?? "")"])
            }
            return await applyReport(outcome, sessionID: session.id, endpoint: endpoint)
        case .post(let messageID, _):
            // An agent who resolved gets nothing more: an incoming message would reopen the conversation.
            guard handover.phase == .active || handover.phase == .cancelled, handover.conversationID != nil else { return .done }
            let message: Message
            do {
                guard let found = try await store.message(sessionID: session.id, id: messageID) else { return .done }
                message = found
            } catch {
                return .retry("the store could not be read: \(String(reflecting: error))")
            }
            return await applyReport(await desk.post(message, handover: handover, session: session, attempt: item.attempts), sessionID: session.id, endpoint: endpoint)
        case .note(let text, _):
            // Also after Baton closed it (the note says why), the user left, or the agent resolved (a note does not
            // reopen it, and may say why Baton resolved it again).
            guard [.active, .inactive, .cancelled, .returned, .resolved].contains(handover.phase), handover.conversationID != nil else { return .done }
            return await applyReport(await desk.note(text, handover: handover, session: session, attempt: item.attempts), sessionID: session.id, endpoint: endpoint)
        case .close(let conversationID, _):
            // An agent came back (reopened it, or wrote in it) after Baton decided to close it, before the close could be
            // made: the agent has the user again, and closing now would take the user from them.
            if handover.isLive, handover.conversationID == conversationID { return .done }
            return await applyReport(await desk.close(conversationID: conversationID, session: session, attempt: item.attempts), sessionID: session.id, endpoint: endpoint)
        case .release(let conversationID, _):
            return await desk.release(conversationID: conversationID, session: session, attempt: item.attempts)
        case .reply, .survey, .botTurn, .event:
            return .done
        }
    }

    /// Delivers a bot message or notice through the session's channel.
    func reply(_ messageID: Int64, session: Session, endpoint: Endpoint, attempt: Int) async -> JobOutcome {
        guard let channel = replies.channel(for: endpoint) else { return .dead("endpoint '\(endpoint.id)' has no channel to post replies to") }
        do {
            guard let message = try await store.message(sessionID: session.id, id: messageID) else { return .done }
            return await channel.deliver(message, session: session, attempt: attempt)
        } catch {
            return .retry("the store could not be read: \(String(reflecting: error))")
        }
    }

    /// Applies what a desk reported through the write path; a store failure makes the job run again.
    func applyReport(_ outcome: JobOutcome, sessionID: SessionID, endpoint: Endpoint) async -> JobOutcome {
        guard case .reported(let event) = outcome else { return outcome }
        do {
            try await conversations.handover(event, sessionID: sessionID, endpoint: endpoint)
            return .done
        } catch {
            return .retry("the store could not be written: \(String(reflecting: error))")
        }
    }

    /// A job was given up. The user learns that the agent did not get their message (and an outside bot that
    /// owns the user, at its callback), and a handover that could not be opened fails like any other, so the flow
    /// goes on.
    func deadLettered(_ item: OutboxItem, reason: String) async {
        guard let session = try? await store.session(id: item.sessionID), let endpoint = endpoints.endpoint(id: session.endpointID) else { return }
        switch item.job {
        case .open(_, let number):
            let failure = HandoverOutcome(status: .error, reason: .providerUnreachable, detail: reason)
            _ = await applyReport(.reported(.failedToOpen(number: number, failure)), sessionID: session.id, endpoint: endpoint)
        case .post(let messageID, _):
            guard let message = try? await store.message(sessionID: session.id, id: messageID), message.sender == .user else { return }
            let text = endpoint.policy.notices.for(profile: session.state.profile).undelivered(message.content.text)
            let notice = MessageContent(text: text, data: .object(["undelivered": .number(Double(messageID))]))
            do {
                try await conversations.undelivered(messageID, notice: notice, sessionID: session.id)
            } catch {
                logger.error("could not tell the user a message was not delivered", metadata: ["session": "\(session.id)", "error": "\(String(reflecting: error))"])
            }
        case .note, .close, .reply, .survey, .release, .botTurn, .event:
            break
        }
    }
}

extension SessionStore {
    /// The message with this id, or `nil`.
    func message(sessionID: SessionID, id: Int64) async throws -> Message? {
        guard let found = try await messages(sessionID: sessionID, after: id - 1, limit: 1).first, found.id == id else { return nil }
        return found
    }
}
