import BatonCore
import Foundation
import PostgresNIO
import Testing

@testable import BatonStorePostgres

/// The rate buckets every instance on one PostgreSQL database shares (`limits.newConversationsPerMinute`): the
/// same arithmetic as `RateBucket`, one count however many instances take at once, and no address kept.
@Suite("PostgreSQL shared rate buckets", .enabled(if: !PostgresTestServer.isSkipped, "BATON_TEST_SKIP_POSTGRES=1"))
struct PostgresRateBucketTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aKeyTakesItsBurstThenWaitsAsRateBucketSays() async throws {
        let store = try await PostgresTestServer.store(schema: try await PostgresTestServer.freshSchema())
        let (perSecond, burst) = (3.0 / 60, 3.0)
        var local: RateBucket?
        // Taken at these seconds: the burst, a refusal, one refilled, a refusal just before the next, and another.
        for seconds in [0.0, 0, 0, 0, 20, 20, 39.5, 40] {
            let now = Self.start.addingTimeInterval(seconds)
            let shared = try await store.take(from: "198.51.100.7", at: now, perSecond: perSecond, burst: burst)
            let expected: Double?
            (local, expected) = RateBucket.take(from: local, at: now, perSecond: perSecond, burst: burst)
            #expect(shared.map { ($0 * 1_000).rounded() } == expected.map { ($0 * 1_000).rounded() }, "at \(seconds) s")
        }
        #expect(try await store.take(from: "198.51.100.8", at: Self.start, perSecond: perSecond, burst: burst) == nil, "another key, its own bucket")
    }

    @Test func takesAtOnceFromSeveralConnectionsAreCountedOnce() async throws {
        let store = try await PostgresTestServer.store(schema: try await PostgresTestServer.freshSchema())
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask { try await store.take(from: "2001:db8:1:2::", at: Self.start, perSecond: 10.0 / 60, burst: 10) == nil }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 10)
    }

    @Test func theDatabaseKeepsNoAddressAndForgetsFullBuckets() async throws {
        let store = try await PostgresTestServer.store(schema: try await PostgresTestServer.freshSchema())
        _ = try await store.take(from: "198.51.100.7", at: Self.start, perSecond: 1, burst: 60)
        _ = try await store.take(from: "198.51.100.9", at: Self.start.addingTimeInterval(61), perSecond: 1, burst: 60)
        var keys: [String] = []
        for try await key in try await store.client.query("SELECT key FROM client_buckets ORDER BY taken_at", logger: PostgresTestServer.logger).decode(String.self) {
            keys.append(key)
        }
        #expect(keys.count == 2 && !keys.contains { $0.contains("198.51") } && Set(keys).count == 2, "\(keys)")

        try await store.forgetBuckets(takenBefore: Self.start.addingTimeInterval(1))
        var left: [String] = []
        for try await key in try await store.client.query("SELECT key FROM client_buckets", logger: PostgresTestServer.logger).decode(String.self) {
            left.append(key)
        }
        #expect(left == [keys[1]])
    }
}
