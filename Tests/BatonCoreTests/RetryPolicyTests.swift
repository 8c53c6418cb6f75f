import BatonCore
import Foundation
import Testing

@Suite("Retry policy and backoff")
struct RetryPolicyTests {
    @Test func theWaitDoublesUpToTheCapAndTheJitterScalesIt() {
        let policy = RetryPolicy(base: .seconds(1), cap: .seconds(60))
        #expect((1...8).map { policy.delay(afterAttempts: $0, jitter: 1) } == [1, 2, 4, 8, 16, 32, 60, 60].map { Duration.seconds($0) })
        #expect(policy.delay(afterAttempts: 3, jitter: 0.5) == .seconds(2))
        #expect(policy.delay(afterAttempts: 10_000, jitter: 1) == .seconds(60), "no overflow however many attempts")
        #expect(policy.delay(afterAttempts: 0, jitter: 1) == .seconds(1))
    }

    @Test func theFanOutsBackoffIsTheSameCurveWithoutJitter() {
        let backoff = Backoff(base: .seconds(1), cap: .seconds(30))
        #expect((1...7).map { backoff.delay(afterAttempts: $0) } == [1, 2, 4, 8, 16, 30, 30].map { Duration.seconds($0) })
    }

    @Test func openingGivesUpSoonerThanPosting() {
        let policy = RetryPolicy(giveUpAfter: .seconds(900), openGiveUpAfter: .seconds(120))
        let created = Date(timeIntervalSince1970: 1_000)
        let open = OutboxItem(
            id: 1, sessionID: SessionID(rawValue: "s_x"), job: .open(HandoverRequest(nodeID: "h", provider: "chatwoot", inbox: 1, acceptedMessage: nil), number: 1),
            createdAt: created, nextAttemptAt: created)
        let post = OutboxItem(id: 2, sessionID: SessionID(rawValue: "s_x"), job: .post(messageID: 3, handover: 1), createdAt: created, nextAttemptAt: created)
        #expect(!policy.isExhausted(open, now: created.addingTimeInterval(119)))
        #expect(policy.isExhausted(open, now: created.addingTimeInterval(120)))
        #expect(!policy.isExhausted(post, now: created.addingTimeInterval(120)))
        #expect(policy.isExhausted(post, now: created.addingTimeInterval(900)))
    }

    @Test func durationsConvertToSeconds() {
        #expect(Duration.milliseconds(1_500).inSeconds == 1.5)
        #expect(Duration.seconds(90).inSeconds == 90)
    }
}
