import BatonCore

extension JobOutcome {
    /// The `baton.outbox.outcome` of an attempt's span: `done`, `reported`, `retry`, `dead`.
    var traceName: String {
        switch self {
        case .done: "done"
        case .reported: "reported"
        case .retry, .unsettled, .retryAfter: "retry"
        case .dead: "dead"
        }
    }
}
