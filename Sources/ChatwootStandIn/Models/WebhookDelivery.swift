/// One webhook POST the stand-in made (or decided to fail), kept for assertions.
public struct WebhookDelivery: Sendable, Hashable, Identifiable {
    /// Sequence number of the attempt (1-based).
    public let id: Int
    /// `X-Chatwoot-Delivery`. Duplicated deliveries (fault knob) reuse the original's value.
    public let deliveryId: String
    /// `message_created`, `conversation_status_changed`, …
    public let event: String
    /// The API inbox the webhook belongs to.
    public let inboxId: Int
    /// The inbox `webhook_url` it was sent to.
    public let url: String
    /// The exact body bytes that were sent.
    public let body: [UInt8]
    /// The request headers that were sent.
    public let headers: [String: String]
    /// The message id for message events.
    public let messageId: Int?
    /// The conversation display id the event is about, when there is one.
    public let conversationDisplayId: Int?
    /// The receiver's status code (nil when no response came back).
    public let statusCode: Int?
    /// Why the delivery failed (non-2xx reason text, timeout, connection error); nil on success.
    public let error: String?
    /// True when this attempt repeated an earlier one (duplicate-delivery knob).
    public let isDuplicate: Bool
    /// The attempt start.
    public let startedAt: Instant
    /// The attempt end.
    public let finishedAt: Instant
    /// For an agent-bot webhook, the bot it was sent to (nil: the API inbox's `webhook_url`).
    public var agentBotId: Int? = nil
    /// Which attempt of the delivery this was (agent-bot webhooks are retried on 429 and 500, up to 3 in all).
    public var attempt = 1

    /// True for a 2xx answer.
    public var succeeded: Bool { error == nil }
    /// The body as text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
    /// The parsed body.
    public var json: JSONValue? { try? JSONParser.parse(body) }
}
