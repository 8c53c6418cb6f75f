import Logging
import Synchronization

/// What a cap's refusals tell the operator: refusals Baton means to make are not errors, and at a cap they come by
/// the thousand, so one warning when refusing starts, one notice with the count when there is room again, and a
/// counter (`baton_requests_refused_total{reason}`) for each.
final class RefusalReport: Sendable {
    /// The counter's reason: `connection_cap`, `in_flight_cap`.
    let reason: String
    /// What is refused, for the log: "connections", "requests".
    let what: String
    private let metrics: BatonMetrics
    private let logger: Logger
    private let refusing = Atomic<Bool>(false)
    private let refusedSinceStart = Atomic<Int>(0)

    init(reason: String, what: String, metrics: BatonMetrics, logger: Logger) {
        self.reason = reason
        self.what = what
        self.metrics = metrics
        self.logger = logger
    }

    func refused(limit: Int) {
        metrics.refused(reason)
        refusedSinceStart.add(1, ordering: .relaxed)
        guard !refusing.exchange(true, ordering: .relaxed) else { return }
        logger.warning("at the cap: new \(what) get 503 until there is room (counted in baton_requests_refused_total)", metadata: [
            "limit": "\(limit)", "reason": "\(reason)",
        ])
    }

    /// Called on every admission, so it only reads a flag unless refusals happened.
    func admitted() {
        guard refusing.load(ordering: .relaxed), refusing.exchange(false, ordering: .relaxed) else { return }
        let count = refusedSinceStart.exchange(0, ordering: .relaxed)
        logger.notice("below the cap again: \(what) are admitted", metadata: ["refused": "\(count)", "reason": "\(reason)"])
    }
}
