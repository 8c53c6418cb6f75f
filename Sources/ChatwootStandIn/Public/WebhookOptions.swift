/// How the stand-in delivers webhooks; change at runtime with ``ChatwootStandIn/updateWebhookOptions(_:)``.
public struct WebhookOptions: Sendable {
    /// Order of deliveries.
    public enum Order: Sendable, Equatable {
        /// One at a time in event order (the default; Chatwoot does not promise this, but it makes tests stable).
        case inOrder
        /// Events arriving within `window` are delivered in random order (Chatwoot's parallel Sidekiq workers); agent-bot
        /// webhooks of such a batch are sent all at once.
        case shuffled(window: Duration)
    }

    /// `WEBHOOK_TIMEOUT`: how long to wait for the connection and for the answer (default 5 s).
    public var timeout: Duration = .seconds(5)
    public var order: Order = .inOrder
    /// Deliver every event twice with the same `X-Chatwoot-Delivery` (at-least-once redelivery).
    public var duplicateDeliveries: Bool {
        get { deliveryCopies > 1 }
        set { deliveryCopies = newValue ? max(deliveryCopies, 2) : 1 }
    }
    /// How many times every event is delivered, all with the same `X-Chatwoot-Delivery`.
    public var deliveryCopies = 1
    /// Wait this long before each delivery.
    public var delay: Duration = .zero
    /// Build each payload when its event happens instead of when it is delivered.
    ///
    /// Chatwoot builds payloads in the job, from the database as it is then, so a payload can already show later
    /// changes (a `message_created` of a message deleted meanwhile shows "This message was deleted"). That is the
    /// default here too; turn this on when a test wants every payload frozen at its event.
    public var buildPayloadsAtEventTime = false
    /// How long an agent-bot webhook that got 429 or 500 waits before its next attempt (`retry_on … wait:
    /// 3.seconds`; Sidekiq adds jitter and polling on top). Tests shorten it.
    public var agentBotRetryWait: Duration = .seconds(3)

    public init(
        timeout: Duration = .seconds(5), order: Order = .inOrder, duplicateDeliveries: Bool = false, delay: Duration = .zero,
        buildPayloadsAtEventTime: Bool = false
    ) {
        self.timeout = timeout
        self.order = order
        self.duplicateDeliveries = duplicateDeliveries
        self.delay = delay
        self.buildPayloadsAtEventTime = buildPayloadsAtEventTime
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
