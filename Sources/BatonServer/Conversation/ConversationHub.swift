public import BatonCore

/// Something a session's open sockets must hear about.
public enum HubEvent: Sendable, Hashable {
    /// A message was stored.
    case message(Message)
    /// A message was deleted by its author.
    case retracted(messageID: Int64)
    /// A message was stored again as `to`, further down, to keep the provider's order.
    case moved(messageID: Int64, to: Int64)
    /// Someone started or stopped typing.
    case typing(sender: Sender, on: Bool)
}

/// In-process fan-out of session events to every socket open on the session.
///
/// Events are published only after the store committed them, and a subscriber that sees a gap in message
/// ids reads the store, so a dropped or reordered event never loses a message.
public actor ConversationHub {
    /// Per subscriber; a socket that falls this far behind loses live events and catches up from the store.
    static let bufferSize = 1_000

    private var subscribers: [SessionID: [Int: AsyncStream<HubEvent>.Continuation]] = [:]
    private var nextToken = 0

    public init() {}

    /// A stream of the session's events from now on; it ends when the consumer stops iterating.
    public func subscribe(_ sessionID: SessionID) -> AsyncStream<HubEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: HubEvent.self, bufferingPolicy: .bufferingNewest(Self.bufferSize))
        let token = nextToken
        nextToken += 1
        subscribers[sessionID, default: [:]][token] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(sessionID, token: token) }
        }
        return stream
    }

    public func publish(_ event: HubEvent, to sessionID: SessionID) {
        subscribers[sessionID]?.values.forEach { $0.yield(event) }
    }

    public func publish(_ messages: [Message]) {
        for message in messages { publish(.message(message), to: message.sessionID) }
    }

    /// Returns when a message with an id above `after` is published for the session, or after `timeout`, or at once
    /// when `alreadyThere` (asked once listening, so a message stored just before cannot be missed) says so.
    public func waitForMessage(
        in sessionID: SessionID, after: Int64, upTo timeout: Duration, alreadyThere: @Sendable () async -> Bool
    ) async {
        let events = subscribe(sessionID)
        if await alreadyThere() { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events {
                    if case .message(let message) = event, message.id > after { return }
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// How many sockets listen to the session (for tests and metrics).
    public func subscriberCount(_ sessionID: SessionID) -> Int { subscribers[sessionID]?.count ?? 0 }

    private func unsubscribe(_ sessionID: SessionID, token: Int) {
        subscribers[sessionID]?[token] = nil
        if subscribers[sessionID]?.isEmpty == true { subscribers[sessionID] = nil }
    }
}
