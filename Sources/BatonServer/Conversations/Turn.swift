public import BatonCore

/// What one event stored, as committed. (Sockets get the same through the hub, with the handover's new phase.)
public struct Turn: Sendable {
    /// The session as it was before the event.
    public var session: Session
    /// The user's stored message; for a re-sent message, the one stored the first time.
    public var userMessage: Message?
    /// Messages stored by this event, the user's included, in order.
    public var messages: [Message] = []
    /// True when the message had been received before and this event changed nothing.
    public var duplicate = false
}
