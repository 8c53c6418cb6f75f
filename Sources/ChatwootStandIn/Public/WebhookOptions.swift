/// How the stand-in delivers webhooks; change at runtime with ``ChatwootStandIn/updateWebhookOptions(_:)``.
public struct WebhookOptions: Sendable {
    /// Order of deliveries.
    public enum Order: Sendable, Equatable {
        /// One at a time in event order (the default; Chatwoot does not promise this, but it makes tests stable).
        case inOrder
        /// Events arriving within `window` are delivered in random order (Chatwoot's parallel Sidekiq workers).
        case shuffled(window: Duration)
    }

    /// `WEBHOOK_TIMEOUT`: how long to wait for the connection and for the answer (default 5 s).
    public var timeout: Duration = .seconds(5)
    public var order: Order = .inOrder
    /// Deliver every event twice with the same `X-Chatwoot-Delivery` (at-least-once redelivery).
    public var duplicateDeliveries = false
    /// Wait this long before each delivery.
    public var delay: Duration = .zero

    public init(timeout: Duration = .seconds(5), order: Order = .inOrder, duplicateDeliveries: Bool = false, delay: Duration = .zero) {
        self.timeout = timeout
        self.order = order
        self.duplicateDeliveries = duplicateDeliveries
        self.delay = delay
    }
}

/// A failure the stand-in fakes instead of sending a webhook (see ``ChatwootStandIn/failNextWebhooks(_:with:)``).
public enum WebhookFault: Sendable, Equatable {
    /// As if the receiver answered with this status, e.g. 500 → error text `500 Internal Server Error`.
    case status(Int)
    /// As if the receiver did not answer in time.
    case timeout
    /// As if nothing listened at the URL.
    case connectionRefused
    /// Any error text.
    case error(String)
}
