public import Prometheus

/// Baton's Prometheus metrics, served at `/metrics`. One registry per server, so tests running several servers
/// in one process each count their own.
public struct BatonMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    func outboxDone(kind: String, retried: Bool) {
        registry.makeCounter(name: "baton_outbox_done_total", labels: [("kind", kind), ("retried", retried ? "true" : "false")]).increment()
    }

    func outboxRetried(kind: String) {
        registry.makeCounter(name: "baton_outbox_retries_total", labels: [("kind", kind)]).increment()
    }

    func outboxDead(kind: String) {
        registry.makeCounter(name: "baton_outbox_dead_letters_total", labels: [("kind", kind)]).increment()
    }

    func outboxCounts(_ counts: (pending: Int, dead: Int)) {
        registry.makeGauge(name: "baton_outbox_pending").set(Double(counts.pending))
        registry.makeGauge(name: "baton_outbox_dead").set(Double(counts.dead))
    }

    /// What became of one Chatwoot webhook delivery.
    enum WebhookOutcome: String {
        /// It changed the conversation (a reply stored, a status applied, typing shown).
        case applied
        /// It had been applied before: a redelivery, or the same reply or deletion again.
        case duplicate
        /// Nothing to do: an echo, a private note, an event or conversation Baton does not act on.
        case ignored
        /// It failed (unknown conversation, a store error); Chatwoot may send it again.
        case refused
    }

    /// `baton_chatwoot_webhooks_total{outcome}`: deliveries that passed authentication, by what they did.
    func webhook(_ outcome: WebhookOutcome) {
        registry.makeCounter(name: "baton_chatwoot_webhooks_total", labels: [("outcome", outcome.rawValue)]).increment()
    }

    /// `baton_handovers_opened_in_desk_total`: Chatwoot-channel conversations that Chatwoot gave to humans without
    /// Baton's handover (an agent, or Chatwoot after the agent bot's webhook failed): handovers with status `error`.
    func openedInDesk(endpoint: String) {
        registry.makeCounter(name: "baton_handovers_opened_in_desk_total", labels: [("endpoint", endpoint)]).increment()
    }

    /// `baton_bot_turns_total{bot, outcome}` and `baton_bot_turn_seconds{bot}`: turns asked of outside bots, by how
    /// they went (`answered`, `error`, `retry`), and how long the bot took.
    func botTurn(bot: String, outcome: String, duration: Duration) {
        registry.makeCounter(name: "baton_bot_turns_total", labels: [("bot", bot), ("outcome", outcome)]).increment()
        registry.makeDurationHistogram(
            name: "baton_bot_turn_seconds", labels: [("bot", bot)],
            buckets: [.milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30)]
        ).record(duration)
    }

    /// `baton_bot_tokens_total{bot, kind}`: the tokens a language model reported using (`prompt`, `completion`).
    func botTokens(bot: String, prompt: Int, completion: Int) {
        registry.makeCounter(name: "baton_bot_tokens_total", labels: [("bot", bot), ("kind", "prompt")]).increment(by: Int64(prompt))
        registry.makeCounter(name: "baton_bot_tokens_total", labels: [("bot", bot), ("kind", "completion")]).increment(by: Int64(completion))
    }

    func refused(_ reason: String) {
        registry.makeCounter(name: "baton_requests_refused_total", labels: [("reason", reason)]).increment()
    }

    func reconciled(_ count: Int) {
        registry.makeCounter(name: "baton_reconciled_messages_total").increment(by: Int64(count))
    }

    /// Hub events between instances: `sent`, `send_failed`, `received` (for a session someone here listens to),
    /// `read_failed` (an announced message could not be read from the store).
    func fanOut(_ outcome: String) {
        registry.makeCounter(name: "baton_fanout_events_total", labels: [("outcome", outcome)]).increment()
    }

    /// The listening connection dropped and is subscribed again.
    func fanOutResubscribed() {
        registry.makeCounter(name: "baton_fanout_resubscribes_total").increment()
    }

    /// The text exposition format.
    public func text() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
