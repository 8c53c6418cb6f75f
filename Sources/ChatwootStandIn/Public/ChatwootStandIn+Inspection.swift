import Foundation
import Synchronization

/// Thrown by the `waitFor…` helpers when the condition is not met in time.
public struct StandInTimeoutError: Error, CustomStringConvertible {
    public let description: String
}

extension ChatwootStandIn {
    /// The whole state now.
    public func snapshot() async -> StandInSnapshot { await state.db }

    /// Contacts of an account.
    public func contacts(account: Int) async -> [Contact] { await state.db.contacts(account: account) }

    /// Conversations of an account.
    public func conversations(account: Int) async -> [Conversation] { await state.db.conversations(account: account) }

    /// A conversation by account and display id.
    public func conversation(_ ref: ConversationRef) async -> Conversation? { await state.db.conversation(ref) }

    /// Messages of a conversation in order (private notes and activity messages included).
    public func messages(_ ref: ConversationRef) async -> [Message] { await state.db.messages(in: ref) }

    /// Agent bots owned by an account (nil: system bots).
    public func agentBots(account: Int?) async -> [AgentBot] { await state.db.agentBots.filter { $0.accountId == account } }

    /// Every request received so far.
    public func requests() async -> [RecordedRequest] { await state.db.requests }

    /// Requests being handled now (a request slowed by a fault rule counts while it waits), and the most there were
    /// at once since the last `resetPeakRequestsInFlight()`: how many calls a client has in flight together.
    public var requestsInFlight: (now: Int, peak: Int) { pipeline.inFlight.withLock { $0 } }

    /// Starts counting the peak of `requestsInFlight` again from the requests being handled now.
    public func resetPeakRequestsInFlight() { pipeline.inFlight.withLock { $0.peak = $0.now } }

    /// Every webhook attempt so far.
    public func deliveries() async -> [WebhookDelivery] { await state.db.deliveries }

    /// Every swagger violation so far.
    public func specViolations() async -> [SpecViolation] { await state.db.specViolations }

    /// Forgets recorded requests, deliveries and violations.
    public func clearRecords() async { await state.clearRecords() }

    /// The REST JSON of a conversation (`GET /conversations/{id}`) — handy to compare shapes.
    public func conversationJSON(_ ref: ConversationRef) async -> JSONValue? {
        let presenter = await state.presenter()
        return presenter.db.conversation(ref).map(presenter.conversationAPI)
    }

    /// The REST JSON of a message.
    public func messageJSON(_ messageId: Int) async -> JSONValue? {
        let presenter = await state.presenter()
        return presenter.db.message(messageId).map { presenter.messageAPI($0) }
    }

    /// The state now and after every change (only the newest state is kept for slow readers).
    public func updates() async -> AsyncStream<StandInSnapshot> { await state.subscribe() }

    // MARK: Waiting

    /// Waits until `probe` returns a value for the current state, re-checking after every change.
    public func waitUntil<T: Sendable>(
        timeout: Duration = .seconds(5), _ what: String = "condition", _ probe: @escaping @Sendable (StandInSnapshot) -> T?
    ) async throws -> T {
        let stream = await state.subscribe()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                for await snapshot in stream { if let value = probe(snapshot) { return value } }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            if let first = try await group.next(), let value = first { return value }
            throw StandInTimeoutError(description: "chatwoot-standin: timed out after \(timeout) waiting for \(what)")
        }
    }

    /// Waits until the conversation has at least `count` messages passing `filter`; returns those messages.
    @discardableResult
    public func waitForMessages(
        _ ref: ConversationRef, count: Int, timeout: Duration = .seconds(5), where filter: @escaping @Sendable (Message) -> Bool = { _ in true }
    ) async throws -> [Message] {
        try await waitUntil(timeout: timeout, "\(count) messages in \(ref)") { snapshot in
            let messages = snapshot.messages(in: ref).filter(filter)
            return messages.count >= count ? messages : nil
        }
    }

    /// Waits until `count` recorded requests pass `filter` (those recorded already count) and returns them in arrival
    /// order. Unlike `waitUntil`, each request is looked at once, when it arrives, and no copy of the state is kept
    /// meanwhile, so it costs next to nothing while thousands of requests a second come in.
    public func waitForRequests(
        count: Int, timeout: Duration = .seconds(5), where filter: @escaping @Sendable (RecordedRequest) -> Bool = { _ in true }
    ) async throws -> [RecordedRequest] {
        let id = UUID()
        let timer = Task { [state] in
            try await Task.sleep(for: timeout)
            await state.expireRequestWait(id)
        }
        defer { timer.cancel() }
        guard let found = await state.waitForRequests(id: id, count: count, matches: filter) else {
            throw StandInTimeoutError(description: "chatwoot-standin: timed out after \(timeout) waiting for \(count) matching requests")
        }
        return found
    }

    /// Waits until at least `count` webhook attempts (optionally of one event) have finished; returns them.
    @discardableResult
    public func waitForDeliveries(
        count: Int, event: String? = nil, timeout: Duration = .seconds(5), where filter: @escaping @Sendable (WebhookDelivery) -> Bool = { _ in true }
    ) async throws -> [WebhookDelivery] {
        try await waitUntil(timeout: timeout, "\(count) \(event ?? "webhook") deliveries") { snapshot in
            let found = snapshot.deliveries.filter { (event == nil || $0.event == event) && filter($0) }
            return found.count >= count ? found : nil
        }
    }

    /// Waits until a conversation of `account` matches `filter`.
    @discardableResult
    public func waitForConversation(
        account: Int, timeout: Duration = .seconds(5), where filter: @escaping @Sendable (Conversation) -> Bool
    ) async throws -> Conversation {
        try await waitUntil(timeout: timeout, "a matching conversation in account \(account)") { snapshot in
            snapshot.conversations(account: account).first(where: filter)
        }
    }

    /// Waits until every queued webhook has been attempted (including follow-ups such as `message_updated` after a
    /// failure).
    public func waitForWebhooksIdle(timeout: Duration = .seconds(10)) async throws {
        _ = try await waitUntil(timeout: timeout, "webhooks to go idle") { $0.pendingWebhooks == 0 ? true : nil }
    }
}
