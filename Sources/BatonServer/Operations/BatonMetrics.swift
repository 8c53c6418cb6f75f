public import Prometheus
import Metrics
import BatonCore
import Foundation

/// Baton's Prometheus metrics, served at `/metrics`. One registry per server, so tests running several servers
/// in one process each count their own.
public struct BatonMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// `baton_chatwoot_webhooks_total`'s counters, made once: one is counted for every relayed agent reply, and each
    /// shows from the start, at 0, as Prometheus would have a counter's label sets.
    private let webhooks: [WebhookOutcome: Prometheus.Counter]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let webhooks = Self.metric("baton_chatwoot_webhooks_total", "Chatwoot webhook deliveries that passed authentication, by what they did.")
        self.webhooks = Dictionary(uniqueKeysWithValues: WebhookOutcome.allCases.map { outcome in
            (outcome, registry.makeCounter(descriptor: webhooks, labels: [("outcome", outcome.rawValue)]))
        })
    }

    func outboxDone(kind: String, retried: Bool) {
        registry.makeCounter(
            descriptor: Self.metric("baton_outbox_done_total", "Outbox jobs done, by kind and whether they were retried first."),
            labels: [("kind", kind), ("retried", retried ? "true" : "false")]
        ).increment()
    }

    func outboxRetried(kind: String) {
        registry.makeCounter(
            descriptor: Self.metric("baton_outbox_retries_total", "Outbox jobs put back to run again after a failed attempt, by kind."),
            labels: [("kind", kind)]
        ).increment()
    }

    func outboxDead(kind: String) {
        registry.makeCounter(
            descriptor: Self.metric("baton_outbox_dead_letters_total", "Outbox jobs given up (listed as dead), by kind."),
            labels: [("kind", kind)]
        ).increment()
    }

    /// `baton_outbox_pending`, `baton_outbox_dead`, and `baton_outbox_oldest_pending_seconds` (0 when none waits):
    /// the outbox's depth and how far behind it is, read at each scrape.
    func outboxCounts(_ counts: OutboxCounts, now: Date) {
        registry.makeGauge(descriptor: Self.metric("baton_outbox_pending", "Outbox jobs waiting to run.")).set(Double(counts.pending))
        registry.makeGauge(descriptor: Self.metric("baton_outbox_dead", "Outbox jobs given up and kept for an operator.")).set(Double(counts.dead))
        let age = counts.oldestPendingAt.map { max(0, now.timeIntervalSince($0)) } ?? 0
        registry.makeGauge(
            descriptor: Self.metric("baton_outbox_oldest_pending_seconds", "How long the oldest waiting outbox job has waited (0 when none waits).")
        ).set(age)
    }

    /// What became of one Chatwoot webhook delivery.
    enum WebhookOutcome: String, CaseIterable {
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
        webhooks[outcome]?.increment()
    }

    /// `baton_handovers_opened_in_desk_total`: Chatwoot-channel conversations that Chatwoot gave to humans without
    /// Baton's handover (an agent, or Chatwoot after the agent bot's webhook failed): handovers with status `error`.
    func openedInDesk(endpoint: String) {
        registry.makeCounter(
            descriptor: Self.metric("baton_handovers_opened_in_desk_total", "Conversations Chatwoot gave to humans without Baton's handover."),
            labels: [("endpoint", endpoint)]
        ).increment()
    }

    /// `baton_chatwoot_channel_replies_failed_total`: bot replies in a Chatwoot inbox that the contact's platform
    /// refused (WhatsApp's 24-hour window had closed, the contact blocked the business…), as Chatwoot reported them.
    func channelReplyFailed(endpoint: String) {
        registry.makeCounter(
            descriptor: Self.metric("baton_chatwoot_channel_replies_failed_total", "Bot replies the contact's platform refused, as Chatwoot reported them."),
            labels: [("endpoint", endpoint)]
        ).increment()
    }

    /// `baton_bot_turns_total{bot, provider, outcome}` and `baton_bot_turn_seconds{bot}`: turns asked of outside bots
    /// (`provider` `openai` or `webhook`), by how they went (`answered`, `error`, `retry`), and how long the bot took.
    func botTurn(bot: String, provider: String, outcome: String, duration: Duration) {
        registry.makeCounter(
            descriptor: Self.metric("baton_bot_turns_total", "Turns asked of outside bots, by bot, provider and outcome."),
            labels: [("bot", bot), ("provider", provider), ("outcome", outcome)]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.metric("baton_bot_turn_seconds", "How long outside bots took to answer a turn."), labels: [("bot", bot)],
            buckets: [.milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30)]
        ).record(duration)
    }

    /// `baton_bot_tokens_total{bot, kind}`: the tokens a language model reported using (`prompt`, `completion`).
    func botTokens(bot: String, prompt: Int, completion: Int) {
        registry.makeCounter(descriptor: Self.botTokens, labels: [("bot", bot), ("kind", "prompt")]).increment(by: Int64(prompt))
        registry.makeCounter(descriptor: Self.botTokens, labels: [("bot", bot), ("kind", "completion")]).increment(by: Int64(completion))
    }

    /// `baton_handovers_total{endpoint, inbox, event}`: handovers `opened`, `reopened`, and ended `completed`,
    /// `cancelled`, `failed` or `inactive`; `baton_handover_duration_seconds{endpoint}` from the opening to each end;
    /// `baton_handover_first_reply_seconds{endpoint}` from the opening to the agents' first reply.
    func handover(_ measures: HandoverMeasures, endpoint: String) {
        guard !measures.isEmpty else { return }
        let inbox = measures.inboxID.map(String.init) ?? "none"
        func count(_ event: String) {
            registry.makeCounter(
                descriptor: Self.metric("baton_handovers_total", "Handovers opened, reopened and ended, by endpoint, inbox and event."),
                labels: [("endpoint", endpoint), ("inbox", inbox), ("event", event)]
            ).increment()
        }
        if measures.opened { count("opened") }
        if measures.reopened { count("reopened") }
        if let ending = measures.ending { count(ending.rawValue) }
        if let duration = measures.duration {
            registry.makeDurationHistogram(
                descriptor: Self.metric("baton_handover_duration_seconds", "From a handover's opening to each of its ends."),
                labels: [("endpoint", endpoint)], buckets: Self.handoverDurationBuckets)
                .record(.milliseconds(Int64(duration * 1000)))
        }
        if let wait = measures.firstReplyWait {
            registry.makeDurationHistogram(
                descriptor: Self.metric("baton_handover_first_reply_seconds", "From a handover's opening to the agents' first reply."),
                labels: [("endpoint", endpoint)], buckets: Self.firstReplyBuckets)
                .record(.milliseconds(Int64(wait * 1000)))
        }
    }

    static var botTokens: MetricNameDescriptor {
        metric("baton_bot_tokens_total", "Tokens language models reported using, by bot and kind (prompt, completion).")
    }

    static let firstReplyBuckets: [Duration] = [5, 15, 30, 60, 120, 300, 600, 1800, 3600].map { .seconds($0) }
    static let handoverDurationBuckets: [Duration] = [30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 86400].map { .seconds($0) }

    func refused(_ reason: String) {
        registry.makeCounter(
            descriptor: Self.metric("baton_requests_refused_total", "Requests and connections Baton refused on purpose, by reason."),
            labels: [("reason", reason)]
        ).increment()
    }

    func reconciled(_ count: Int) {
        registry.makeCounter(
            descriptor: Self.metric("baton_reconciled_messages_total", "Agent messages found in Chatwoot that no webhook had brought.")
        ).increment(by: Int64(count))
    }

    /// Sessions deleted, with their messages and files: `retention` (idle past `retention.idleSessionDays`) or
    /// `erasure` (an operator's, a REST app's, an outside bot's, or a webchat user's "Delete conversation").
    func sessionsDeleted(_ count: Int, reason: String) {
        registry.makeCounter(
            descriptor: Self.metric("baton_sessions_deleted_total", "Sessions deleted with their messages and files, by reason."),
            labels: [("reason", reason)]
        ).increment(by: Int64(count))
    }

    /// Messages and uploaded files deleted from sessions still in use, older than `retention.messageDays`.
    func oldMessagesDeleted(_ deletion: OldMessagesDeletion) {
        registry.makeCounter(descriptor: Self.metric("baton_messages_deleted_total", "Messages deleted from sessions still in use, past their retention."))
            .increment(by: Int64(deletion.messages))
        registry.makeCounter(descriptor: Self.metric("baton_files_deleted_total", "Uploaded files deleted from sessions still in use, past their retention."))
            .increment(by: Int64(deletion.files))
    }

    /// Hub events between instances: `sent`, `send_failed`, `received` (for a session someone here listens to),
    /// `read` (an announced message too long to travel whole, read from the store), `read_failed` (that read failed).
    /// A scheduled copy of the SQLite database, written or failed; the time of the last one written, for an alert
    /// when it grows old.
    func backup(written: Bool, at time: Date) {
        registry.makeCounter(
            descriptor: Self.metric("baton_backups_total", "Scheduled copies of the SQLite database, by outcome (written, failed)."),
            labels: [("outcome", written ? "written" : "failed")]
        ).increment()
        guard written else { return }
        registry.makeGauge(
            descriptor: Self.metric("baton_backup_last_written_timestamp_seconds", "When the last scheduled copy of the SQLite database was written (Unix time).")
        ).set(time.timeIntervalSince1970)
    }

    /// A reload of the config (SIGHUP, the admin page): applied, or refused for the file's errors.
    func configurationReload(applied: Bool) {
        registry.makeCounter(
            descriptor: Self.metric("baton_config_reloads_total", "Reloads of the config's flows and notices, by outcome (applied, invalid)."),
            labels: [("outcome", applied ? "applied" : "invalid")]
        ).increment()
    }

    func fanOut(_ outcome: String, count: Int = 1) {
        registry.makeCounter(
            descriptor: Self.metric("baton_fanout_events_total", "Hub events between instances, by outcome."),
            labels: [("outcome", outcome)]
        ).increment(by: Int64(count))
    }

    /// The listening connection dropped and is subscribed again.
    func fanOutResubscribed() {
        registry.makeCounter(
            descriptor: Self.metric("baton_fanout_resubscribes_total", "Times the hub's listening connection dropped and subscribed again.")
        ).increment()
    }

    /// `name` as Prometheus shows it (ending in its unit: `_total`, `_seconds`…), with the help line above it. The
    /// name is written whole where it is counted, so that it reads (and greps) as exported.
    static func metric(_ name: String, _ help: String) -> MetricNameDescriptor {
        let unit = name.split(separator: "_").last.map(String.init) ?? ""
        return MetricNameDescriptor(metricName: String(name.dropLast(unit.count + 1)), unitName: unit, helpText: help)
    }

    /// The text exposition format.
    public func text() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

extension BatonMetrics {
    /// Points swift-metrics (once per process) at this registry, so what reports through it shows at `/metrics`:
    /// Hummingbird's request metrics under Baton's names (`baton_http_requests_total{route, method, status}`,
    /// `baton_http_request_duration_seconds`, `baton_http_request_errors_total`, `baton_http_active_requests`), and
    /// any library's own. `serve` calls it; tests that build several servers in one process leave it unset.
    public func bootstrapSwiftMetrics() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (Self.swiftMetricsNames[name] ?? name, labels.map { (Self.swiftMetricsLabels[$0.0] ?? $0.0, $0.1) })
        }
        MetricsSystem.bootstrap(factory)
    }

    static let swiftMetricsNames = [
        "hb.requests": "baton_http_requests_total",
        "http.server.request.duration": "baton_http_request_duration_seconds",
        "hb.request.errors": "baton_http_request_errors_total",
        "http.server.active_requests": "baton_http_active_requests",
    ]

    static let swiftMetricsLabels = [
        "http.route": "route", "http.request.method": "method", "http.response.status_code": "status", "error.type": "status",
    ]
}
