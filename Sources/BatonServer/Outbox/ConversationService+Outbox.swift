import BatonCore
import Foundation
import Logging

extension ConversationService {
    /// Connects the outbox worker to this service.
    func attachOutbox() {
        outbox.handle(
            perform: { item in
                let outcome = await perform(item)
                // The provider answers again after failing: webhooks it sent meanwhile may have been lost too.
                if outcome == .done, item.attempts > 1 { reconcileLater(item.sessionID) }
                return outcome
            },
            deadLetter: { item, reason in await deadLettered(item, reason: reason) })
    }

    /// Carries out one outbox job against the session's provider. Jobs of a handover that has moved on (the user
    /// left before it opened, a newer handover began) are dropped as done.
    func perform(_ item: OutboxItem) async -> JobOutcome {
        let session: Session
        do {
            guard let found = try await store.session(id: item.sessionID) else { return .dead("the session no longer exists") }
            session = found
        } catch {
            return .retry("the store could not be read: \(String(reflecting: error))")
        }
        guard let endpoint = endpoints.endpoint(id: session.endpointID) else { return .dead("endpoint '\(session.endpointID)' is not configured") }
        guard let handover = session.state.handover, handover.number == item.job.handoverNumber else { return .done }
        let provider = provider(endpoint)
        switch item.job {
        case .open(let request, let number):
            guard handover.phase == .opening else { return .done }
            switch await provider.open(request, number: number, session: session, endpoint: endpoint, attempt: item.attempts) {
            case .opened(let opened):
                return await apply(
                    .opened(number: number, contactID: opened.contactID, conversationID: opened.conversationID, inboxID: opened.inboxID),
                    sessionID: session.id, endpoint: endpoint)
            case .retry(let reason):
                return .retry(reason)
            case .unsettled(let reason, let settle):
                return .unsettled(reason, settle: settle)
            case .failed(let outcome):
                logger.warning(
                    "handover could not start",
                    metadata: ["session": "\(session.id)", "endpoint": "\(endpoint.id)", "reason": "\(outcome.reason?.rawValue ?? "-")", "detail": "\(outcome.detail ?? "")"])
                return await apply(.failedToOpen(number: number, outcome), sessionID: session.id, endpoint: endpoint)
            }
        case .post(let messageID, _):
            // An agent who resolved gets nothing more: an incoming message would reopen the conversation.
            guard handover.phase == .active || handover.phase == .cancelled, handover.conversationID != nil else { return .done }
            let message: Message
            do {
                guard let found = try await store.messages(sessionID: session.id, after: messageID - 1, limit: 1).first, found.id == messageID else {
                    return .done
                }
                message = found
            } catch {
                return .retry("the store could not be read: \(String(reflecting: error))")
            }
            return Self.outcome(await provider.post(message, handover: handover, session: session, endpoint: endpoint, attempt: item.attempts))
        case .note(let text, _):
            guard handover.phase == .active, handover.conversationID != nil else { return .done }
            return Self.outcome(await provider.note(text, handover: handover, session: session, endpoint: endpoint, attempt: item.attempts))
        case .close(let conversationID, _):
            return Self.outcome(await provider.close(conversationID: conversationID, session: session, endpoint: endpoint, attempt: item.attempts))
        }
    }

    /// Feeds a provider's answer back into the conversation; a store failure makes the job run again.
    func apply(_ event: HandoverEvent, sessionID: SessionID, endpoint: Endpoint) async -> JobOutcome {
        do {
            try await handover(event, sessionID: sessionID, endpoint: endpoint)
            return .done
        } catch {
            return .retry("the store could not be written: \(String(reflecting: error))")
        }
    }

    static func outcome(_ result: DeliveryResult) -> JobOutcome {
        switch result {
        case .done: .done
        case .retry(let reason): .retry(reason)
        case .unsettled(let reason, let settle): .unsettled(reason, settle: settle)
        case .refused(let reason): .dead(reason)
        }
    }

    /// A job was given up. The user learns that the agent did not get their message, and a handover that could
    /// not be opened fails like any other, so the flow goes on.
    func deadLettered(_ item: OutboxItem, reason: String) async {
        guard let session = try? await store.session(id: item.sessionID), let endpoint = endpoints.endpoint(id: session.endpointID) else { return }
        switch item.job {
        case .open(_, let number):
            _ = await apply(
                .failedToOpen(number: number, HandoverOutcome(status: .error, reason: .providerUnreachable, detail: reason)), sessionID: session.id,
                endpoint: endpoint)
        case .post(let messageID, _):
            guard let message = try? await store.messages(sessionID: session.id, after: messageID - 1, limit: 1).first, message.sender == .user else { return }
            let time = now()
            let notice = MessageContent(
                text: HandoverNotices.undelivered(message.content.text), data: .object(["undelivered": .number(Double(messageID))]))
            if let (_, stored) = try? await store.update(sessionID: session.id, now: time, { update in
                update.append(MessageDraft(sender: .system, content: notice, createdAt: time))
                // A notice for the user only: the agents never get it, so it must not hold the sync position back.
                update.passOverAppended()
            }) {
                await hub.publish(stored)
            }
        case .note, .close:
            break
        }
    }
}
