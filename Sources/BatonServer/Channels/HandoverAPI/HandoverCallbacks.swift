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
        let body: String
        do {
            body = String(decoding: try JSONEncoder.baton.encode(NotificationPayload(notification, session: session, message: message)), as: UTF8.self)
        } catch {
            return .dead("the notification could not be written: \(error)")
        }
        var request = HTTPClientRequest(url: callback.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Baton")
        request.headers.add(name: "X-Baton-Event", value: notification.kind.rawValue)
        // The same on every attempt, so a receiver can drop what it already took.
        request.headers.add(name: "X-Baton-Delivery", value: notification.id)
        BatonSignature.sign(&request.headers, body: body, secret: callback.secret.value, at: now())
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await http.execute(request, timeout: .seconds(timeout.components.seconds))
            let status = Int(response.status.code)
            // The answer's body says nothing Baton needs; reading a little lets the connection be reused.
            _ = try? await response.body.collect(upTo: 64 << 10)
            if (200..<300).contains(status) { return .done }
            let problem = "the callback answered HTTP \(status)"
            if let wait = BotHTTP.retryAfter(response.headers), status == 429 || status == 503 { return .retryAfter(problem, wait) }
            return .retry(problem)
        } catch {
            return .retry("could not deliver to the callback: \(String(describing: error).prefix(300))")
        }
    }

    func deadLettered(_ item: OutboxItem, notification: HandoverNotification, reason: String) {
        logger.error(
            "handover notification given up",
            metadata: ["session": "\(item.sessionID)", "event": "\(notification.kind.rawValue)", "delivery": "\(notification.id)", "reason": "\(reason)"])
    }
}
