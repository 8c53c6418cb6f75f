public import Foundation

/// Exponential backoff: `base` doubling with every attempt up to `cap`. The one backoff of Baton: the outbox's
/// retries and the hub relay's resubscriptions both wait by it.
public struct Backoff: Sendable, Hashable {
    /// The first wait.
    public var base: Duration
    /// The longest wait.
    public var cap: Duration

    public init(base: Duration, cap: Duration) {
        self.base = base
        self.cap = cap
    }

    /// The wait before attempt `attempts + 1`, scaled by `jitter` (a fraction the caller draws, usually at random
    /// from 0.5...1, so many waiters on one outage do not retry in lockstep; 1 for none).
    public func delay(afterAttempts attempts: Int, jitter: Double = 1) -> Duration {
        let exponential = base * (1 << min(max(attempts - 1, 0), 20))
        return min(exponential, cap) * jitter
    }
}

/// How the outbox retries desk work: exponential backoff with jitter from `base` up to `cap`, until a job is
/// `giveUpAfter` old (`openGiveUpAfter` for opening a handover: a user is waiting); then it is dead-lettered.
public struct RetryPolicy: Sendable, Hashable {
    /// The waits between attempts.
    public var backoff: Backoff
    /// How long after it was stored a job that keeps failing is given up.
    public var giveUpAfter: Duration
    /// The same for opening a handover.
    public var openGiveUpAfter: Duration
    /// The range the jitter fraction is drawn from.
    public static let jitterRange: ClosedRange<Double> = 0.5...1.0

    public init(
        base: Duration = .seconds(1), cap: Duration = .seconds(60), giveUpAfter: Duration = .seconds(15 * 60), openGiveUpAfter: Duration = .seconds(120)
    ) {
        self.backoff = Backoff(base: base, cap: cap)
        self.giveUpAfter = giveUpAfter
        self.openGiveUpAfter = openGiveUpAfter
    }

    /// The wait before attempt `attempts + 1`: doubling per attempt, capped, then scaled by `jitter` (drawn from
    /// `jitterRange` by the caller's random source) so many sessions waiting on one outage do not retry in lockstep.
    public func delay(afterAttempts attempts: Int, jitter: Double) -> Duration {
        backoff.delay(afterAttempts: attempts, jitter: jitter)
    }

    /// Whether a job that just failed is out of budget at `now`.
    public func isExhausted(_ item: OutboxItem, now: Date) -> Bool {
        let budget = if case .open = item.job { openGiveUpAfter } else { giveUpAfter }
        return now.timeIntervalSince(item.createdAt) >= budget.inSeconds
    }
}
