public import Foundation

/// A session's token bucket for its user's messages (`limits.messagesPerMinute`). It is kept with the session in
/// the store and taken from inside the message's own write, so every instance takes from the same bucket: a client
/// whose requests a load balancer spreads over several instances gets the rate once, not once per instance.
public struct RateBucket: Sendable, Hashable {
    /// Tokens left at `at`; they refill continuously, up to the burst.
    public var tokens: Double
    public var at: Date

    public init(tokens: Double, at: Date) {
        self.tokens = tokens
        self.at = at
    }

    /// The bucket after taking one token at `now` (a session without a bucket yet has a full one), or, when there
    /// is not a whole token, the bucket refilled so far and the seconds until there is one.
    public static func take(
        from bucket: RateBucket?, at now: Date, perSecond: Double, burst: Double
    ) -> (bucket: RateBucket, waitSeconds: Double?) {
        var bucket = bucket ?? RateBucket(tokens: burst, at: now)
        // A clock set back refills nothing rather than taking tokens away.
        let elapsed = max(0, now.timeIntervalSince(bucket.at))
        bucket.tokens = min(burst, bucket.tokens + elapsed * perSecond)
        bucket.at = max(bucket.at, now)
        guard bucket.tokens >= 1 else { return (bucket, (1 - bucket.tokens) / perSecond) }
        bucket.tokens -= 1
        return (bucket, nil)
    }
}
