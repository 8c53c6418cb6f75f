import BatonCore
import Foundation
import Testing

@Suite("Message rate bucket")
struct RateBucketTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// Takes `count` tokens at `time`; returns the bucket and the waits of the refused takes.
    func take(_ count: Int, from bucket: RateBucket?, at time: Date) -> (RateBucket?, [Double]) {
        var bucket = bucket
        var waits: [Double] = []
        for _ in 0..<count {
            let (taken, wait) = RateBucket.take(from: bucket, at: time, perSecond: 1, burst: 5)
            bucket = taken
            if let wait { waits.append(wait) }
        }
        return (bucket, waits)
    }

    @Test func aNewSessionHasAFullBurstThenWaitsForTheRefill() {
        let (bucket, waits) = take(7, from: nil, at: start)
        #expect(waits.count == 2, "5 of 7 taken at once")
        #expect(waits.allSatisfy { abs($0 - 1) < 1e-9 }, "one token a second: the next in 1 s")
        let (_, later) = take(1, from: bucket, at: start.addingTimeInterval(1))
        #expect(later.isEmpty)
    }

    @Test func theRefillStopsAtTheBurst() {
        let (empty, _) = take(5, from: nil, at: start)
        let (_, waits) = take(6, from: empty, at: start.addingTimeInterval(3_600))
        #expect(waits.count == 1, "an hour's rest refills 5, not 3,600")
    }

    @Test func aClockSetBackRefillsNothingAndTakesNothingAway() {
        let (bucket, _) = take(3, from: nil, at: start)
        let (after, waits) = take(2, from: bucket, at: start.addingTimeInterval(-60))
        #expect(waits.isEmpty, "the 2 tokens left are still there")
        #expect(after?.at == start, "time does not run backwards in the bucket")
    }
}
