import AsyncHTTPClient
import Synchronization

/// Delivers agent-bot webhooks like `AgentBots::WebhookJob` (`app/jobs/agent_bots/webhook_job.rb`): the payload
/// frozen at the event, signed with the bot's secret, retried only when the bot answers 429 or 500 (3 POSTs at
/// most, ``WebhookOptions/agentBotRetryWait`` apart, same `X-Chatwoot-Delivery`), and after a final failure of a
/// message event the conversation is opened if it is still pending (`Webhooks::Trigger#handle_error`).
///
/// Deliveries go out one at a time in event order unless ``WebhookOptions/order`` shuffles them; a retry waits
/// outside the queue, as Sidekiq's scheduled set does, so later events are not held up behind it.
final class AgentBotDispatcher: Sendable {
    private let state: StandInState
    private let poster: WebhookPoster
    private let queue: AsyncStream<AgentBotDelivery>
    private let intake: AsyncStream<AgentBotDelivery>.Continuation
    let options: Mutex<WebhookOptions>
    private let faults = Mutex<[WebhookFault]>([])
    private let retries = Mutex<[Int: Task<Void, Never>]>([:])
    private let retryCounter = Atomic<Int>(0)

    /// `RETRYABLE_AGENT_BOT_STATUSES`.
    static let retryableStatuses: Set<Int> = [429, 500]
    /// `retry_on RetryableError, attempts: 3`.
    static let maxAttempts = 3

    init(state: StandInState, client: HTTPClient, options: WebhookOptions) {
        self.state = state
        self.poster = WebhookPoster(state: state, client: client)
        self.options = Mutex(options)
        (queue, intake) = AsyncStream.makeStream(of: AgentBotDelivery.self)
    }

    func enqueue(_ delivery: AgentBotDelivery) { intake.yield(delivery) }

    func addFaults(_ fault: WebhookFault, count: Int) { faults.withLock { $0 += Array(repeating: fault, count: count) } }
    func clearFaults() { faults.withLock { $0.removeAll() } }

    /// Runs until ``stop()``: one task moves deliveries into the queue, the other sends them.
    func run() async {
        let buffer = DeliveryQueue<AgentBotDelivery>()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [queue] in
                for await delivery in queue { await buffer.append(delivery) }
                await buffer.close()
            }
            group.addTask { [self] in
                while true {
                    switch options.withLock({ $0.order }) {
                    case .inOrder:
                        guard let delivery = await buffer.next() else { return }
                        await attempt(delivery)
                    case .shuffled(let window):
                        // Parallel Sidekiq workers: what arrives within the window goes out at once, in any order.
                        guard let batch = await buffer.nextShuffledBatch(window: window) else { return }
                        await withTaskGroup(of: Void.self) { sends in
                            for item in batch { sends.addTask { await self.attempt(item) } }
                        }
                    }
                }
            }
        }
        for task in retries.withLock({ Array($0.values) }) { task.cancel() }
    }

    func stop() { intake.finish() }

    private func attempt(_ delivery: AgentBotDelivery) async {
        let current = options.withLock { $0 }
        if current.delay > .zero { try? await Task.sleep(for: current.delay) }
        let fault = faults.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        let outcome = await poster.post(
            to: delivery.url, body: delivery.body, secret: delivery.secret, deliveryId: delivery.deliveryId, timeout: current.timeout, fault: fault)
        await state.recordBotDelivery(delivery, outcome: outcome)
        // The duplicate-delivery knob: the same delivery again, as an at-least-once queue may send it.
        for _ in 1..<max(1, current.deliveryCopies) where outcome.error == nil {
            let copy = await poster.post(to: delivery.url, body: delivery.body, secret: delivery.secret, deliveryId: delivery.deliveryId, timeout: current.timeout, fault: nil)
            await state.recordBotDelivery(delivery, outcome: copy)
        }
        guard outcome.error != nil else { return await state.webhookFinished() }
        if let code = outcome.statusCode, Self.retryableStatuses.contains(code), delivery.attempt < Self.maxAttempts {
            scheduleRetry(delivery, after: current.agentBotRetryWait)
            return
        }
        if let messageId = delivery.messageId { await state.agentBotDeliveryFailed(messageId: messageId) }
        await state.webhookFinished()
    }

    private func scheduleRetry(_ delivery: AgentBotDelivery, after wait: Duration) {
        var next = delivery
        next.attempt += 1
        let id = retryCounter.add(1, ordering: .relaxed).newValue
        let task = Task { [self] in
            try? await Task.sleep(for: wait)
            self.retries.withLock { $0[id] = nil }
            guard !Task.isCancelled else { return }
            self.intake.yield(next)
        }
        retries.withLock { $0[id] = task }
    }
}
