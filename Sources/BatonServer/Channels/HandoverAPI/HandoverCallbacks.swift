import AsyncHTTPClient
import BatonConfig
import BatonCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Delivers handover notifications (outbox `event` jobs) to the endpoint's callback URL: one signed POST each,
/// in order per session (the outbox runs a session's notifications as a queue of their own), retried with the
/// outbox's backoff until the callback takes it with a 2xx, or dead-lettered when the outbox's budget is spent
/// (the admin API can requeue it).
struct HandoverCallbacks: Sendable {
    let store: any SessionStore
    let endpoints: EndpointRegistry
    let http: HTTPClient
    /// The longest a callback may take to answer.
    let timeout: Duration
    let now: @Sendable () -> Date
    let logger: Logger

    func perform(_ item: OutboxItem, notification: HandoverNotification) async -> JobOutcome {
        let session: Session
        let message: Message?
        do {
            guard let found = try await store.session(id: item.sessionID) else { return .dead("the session no longer exists") }
            session = found
            message = if let id = notification.messageID { try await store.message(sessionID: session.id, id: id) } else { nil }
        } catch {
            return .retry("the store could not be read: \(String(reflecting: error))")
        }
        // The callback was removed from the config since: nobody is listening any more.
        guard let callback = endpoints.endpoint(id: session.endpointID)?.configuration.rest.callback else { return .done }
        switch await post(NotificationPayload(notification, session: session, message: message), to: callback) {
        case .taken: return .done
        case .unwritable(let problem): return .dead(problem)
        case .refused(let problem, let wait?): return .retryAfter(problem, wait)
        case .refused(let problem, nil), .unreachable(let problem): return .retry(problem)
        }
    }

    /// Tells the outside bot of a session that an agent started or stopped typing (`handover.agent_typing`, with
    /// `typing`): one signed POST, neither stored nor tried again, since typing is over in seconds and a late notice
    /// would say what is no longer true. So it is not in order with the stored notifications either; an agent's
    /// message says they stopped.
    func agentTyping(_ on: Bool, session: Session, handover: HandoverState) async {
        guard let callback = endpoints.endpoint(id: session.endpointID)?.configuration.rest.callback else { return }
        var payload = NotificationPayload(Conversations.notification(.agentTyping, handover: handover, at: now()), session: session, message: nil)
        payload.typing = on
        switch await post(payload, to: callback) {
        case .taken: return
        case .unwritable(let problem), .refused(let problem, _), .unreachable(let problem):
            logger.debug("agent typing not told to the callback", metadata: ["session": "\(session.id)", "reason": "\(problem)"])
        }
    }

    /// How one POST to the callback went.
    enum Delivery {
        case taken
        /// The payload could not be written (never sent).
        case unwritable(String)
        /// The callback answered, but not with a 2xx; with the wait it asked for (`Retry-After` on a 429 or 503).
        case refused(String, Duration?)
        /// No answer (down, cut, timed out).
        case unreachable(String)
    }

    /// Signs `payload` with the callback's secret and posts it once.
    func post(_ payload: NotificationPayload, to callback: HandoverCallbackSettings) async -> Delivery {
        let body: String
        do {
            body = String(decoding: try JSONEncoder.baton.encode(payload), as: UTF8.self)
        } catch {
            return .unwritable("the notification could not be written: \(error)")
        }
        var request = HTTPClientRequest(url: callback.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Baton")
        request.headers.add(name: "X-Baton-Event", value: payload.type)
        // The same on every attempt, so a receiver can drop what it already took.
        request.headers.add(name: "X-Baton-Delivery", value: payload.id)
        BatonSignature.sign(&request.headers, body: body, secret: callback.secret.value, at: now())
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await http.execute(request, timeout: .seconds(timeout.components.seconds))
            let status = Int(response.status.code)
            // The answer's body says nothing Baton needs; reading a little lets the connection be reused.
            _ = try? await response.body.collect(upTo: 64 << 10)
            if (200..<300).contains(status) { return .taken }
            let wait = status == 429 || status == 503 ? BotHTTP.retryAfter(response.headers) : nil
            return .refused("the callback answered HTTP \(status)", wait)
        } catch {
            return .unreachable("could not deliver to the callback: \(String(describing: error).prefix(300))")
        }
    }

    func deadLettered(_ item: OutboxItem, notification: HandoverNotification, reason: String) {
        logger.error(
            "handover notification given up",
            metadata: ["session": "\(item.sessionID)", "event": "\(notification.kind.rawValue)", "delivery": "\(notification.id)", "reason": "\(reason)"])
    }
}
