public import Foundation

/// Rate buckets that every instance on one store shares, by key: a limit that holds across instances
/// (`limits.newConversationsPerMinute`). A store that serves one process (SQLite) has none; the count is then kept
/// in the process's memory.
public protocol SharedRateBuckets: Sendable {
    /// Takes a token from `key`'s bucket at `now` (a key without one has a full bucket of `burst`, refilled at
    /// `perSecond`, as ``RateBucket``), or, when there is not a whole token, returns the seconds until there is.
    func take(from key: String, at now: Date, perSecond: Double, burst: Double) async throws -> Double?

    /// Forgets the buckets last taken from before `before`: full again by now, they are where a new bucket starts.
    func forgetBuckets(takenBefore before: Date) async throws
}
