@testable import BatonServer
import Foundation
import Testing

/// The handovers API's times: what a JSON Schema `date-time` validator accepts, and nothing Foundation's lenient
/// parser would turn into another time.
@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("2026-12-03T09:30:00Z", 1_796_290_200.0),
        ("2026-12-03t09:30:00z", 1_796_290_200.0),
        ("2026-12-03T10:30:00+01:00", 1_796_290_200.0),
        ("2026-12-03T09:30:00.250Z", 1_796_290_200.25),
        ("2026-12-03T09:30:00.123456789Z", 1_796_290_200.123_456_789),
        ("2024-02-29T00:00:00-18:00", 1_709_229_600.0),
        ("2026-12-03T03:30:00-06:00", 1_796_290_200.0),
    ])
    func validTimesAreRead(text: String, seconds: Double) throws {
        let date = try #require(RFC3339.date(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.001)
    }

    @Test(arguments: [
        "", "yesterday", "2026-12-03", "2026-12-03 09:30:00Z", "2026-12-03T09:30Z", "2026-12-03T09:30:00",
        "2026-02-31T00:00:00Z", "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-12-00T00:00:00Z",
        "2026-12-03T24:00:00Z", "2026-12-03T09:60:00Z", "2026-12-03T09:30:60Z", "2026-12-03T09:30:00.Z",
        "2026-12-03T09:30:00.1234567890Z", "2026-12-03T09:30:00+18:01", "2026-12-03T09:30:00+1:00", "2026-12-03T09:30:00Zjunk",
        "２０２６-12-03T09:30:00Z",
    ])
    func anythingElseIsRefused(text: String) {
        #expect(RFC3339.date(text) == nil)
    }
}
