public import BatonCore
public import Foundation
import PostgresNIO

/// `limits.newConversationsPerMinute` across instances: one row per client, taken from in one statement. The row's
/// key is a keyed hash of the client's (an MD5 of the database's own random `client_buckets_salt` and the key), so the
/// database holds no address, and rows are forgotten once full again.
extension PostgresSessionStore: SharedRateBuckets {
    public func take(from key: String, at now: Date, perSecond: Double, burst: Double) async throws -> Double? {
        // Concurrent takes of one key wait for each other's row lock, so none is counted twice or lost. A take that
        // finds no whole token leaves the bucket refilled and says so (`refused`), rather than taking it below zero.
        let rows = try await rows(
            """
            INSERT INTO client_buckets AS b (key, tokens, taken_at, refused)
            VALUES (md5((SELECT value FROM settings WHERE key = 'client_buckets_salt') || \(key)), \(burst - 1), \(now.millis), false)
            ON CONFLICT (key) DO UPDATE SET (tokens, taken_at, refused) = (
                SELECT CASE WHEN refilled >= 1 THEN refilled - 1 ELSE refilled END, greatest(b.taken_at, \(now.millis)), refilled < 1
                FROM (SELECT least(\(burst), b.tokens + greatest(0, \(now.millis) - b.taken_at) * \(perSecond / 1_000))) AS refill (refilled))
            RETURNING tokens, refused
            """)
        guard let row = rows.first, try row["refused"].decode(Bool.self) else { return nil }
        return (1 - (try row["tokens"].decode(Double.self))) / perSecond
    }

    public func forgetBuckets(takenBefore before: Date) async throws {
        try await executeRepeatable("DELETE FROM client_buckets WHERE taken_at < \(before.millis)")
    }
}
