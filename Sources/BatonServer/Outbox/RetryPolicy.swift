public import BatonCore
public import Foundation

/// How the outbox retries provider work: exponential backoff with jitter from `base` up to `cap`, until a job is
/// `giveUpAfter` old (`openGiveUpAfter` for opening a handover: a user is waiting); then it is dead-lettered.
public struct RetryPolicy: Sendable, Hashable {
    /// The first wait.
    public var base: Duration
    /// The longest wait.
    public var cap: Duration
    /// How long after it was stored a job that keeps failing is given up.
    public var giveUpAfter: Duration
    /// The same for opening a handover.
    public var openGiveUpAfter: Duration

    public init(
        base: Duration = .seconds(1), cap: Duration = .seconds(60), giveUpAfter: Duration = .seconds(15 * 60), openGiveUpAfter: Duration = .seconds(120)
    ) {
        self.base = base
        self.cap = cap
        self.giveUpAfter = giveUpAfter
        self.openGiveUpAfter = openGiveUpAfter
    }

    /// The wait before attempt `attempts + 1`: doubling per attempt, capped, then scaled by a random 50–100 %
    /// so many sessions waiting on one outage do not retry in lockstep.
    public func delay(afterAttempts attempts: Int) -> Duration {
        let exponential = base * (1 << min(max(attempts - 1, 0), 20))
        return min(exponential, cap) * Double.random(in: 0.5...1.0)
    }

    /// Whether a job that just failed is out of budget at `now`.
    public func isExhausted(_ item: OutboxItem, now: Date) -> Bool {
        let budget = if case .open = item.job { openGiveUpAfter } else { giveUpAfter }
        return now.timeIntervalSince(item.createdAt) >= budget.seconds
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
