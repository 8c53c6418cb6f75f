@testable import BatonServer
import BatonTestSupport
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

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (-0.001, "1969-12-31T23:59:59.999Z"),
        (0.0006, "1970-01-01T00:00:00.001Z"),
        (0.0004, "1970-01-01T00:00:00.000Z"),
        (1_709_251_199.999, "2024-02-29T23:59:59.999Z"),
        (951_868_800.0, "2000-03-01T00:00:00.000Z"),
        (1_796_290_200.25, "2026-12-03T09:30:00.250Z"),
        (-2_208_988_800.0, "1900-01-01T00:00:00.000Z"),
        (253_402_300_799.999, "9999-12-31T23:59:59.999Z"),
    ])
    func timesAreWrittenInUTCToTheNearestMillisecond(seconds: Double, text: String) {
        #expect(RFC3339.string(Date(timeIntervalSince1970: seconds)) == text)
    }

    /// Against Foundation's formatter over two centuries of random milliseconds, each given to Foundation a quarter of
    /// a millisecond late (it cuts the fraction down from a `Double`), and read back to the same millisecond.
    @Test func writtenTimesAreFoundationsAndReadBack() throws {
        var generator = SeededGenerator(state: 0x5EED)
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for _ in 0..<20_000 {
            let millis = Int64.random(in: -2_208_988_800_000...7_258_118_400_000, using: &generator)
            let text = RFC3339.string(Date(timeIntervalSince1970: Double(millis) / 1000))
            #expect(text == Date(timeIntervalSince1970: (Double(millis) + 0.25) / 1000).formatted(style), "\(millis)")
            let read = try #require(RFC3339.date(text), "\(text)")
            #expect(Int64((read.timeIntervalSince1970 * 1000).rounded()) == millis, "\(text)")
        }
    }
}
