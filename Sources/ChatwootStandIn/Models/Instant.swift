public import Foundation

/// A point in time with Postgres' precision (microseconds), rendered the ways Chatwoot renders times.
///
/// Chatwoot shows one timestamp as an integer (`created_at.to_i`), an ISO string with milliseconds
/// (`as_json`) or a float (`updated_at.to_f`) depending on the payload; keeping microseconds makes all three exact.
public struct Instant: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public let microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    /// Truncates a `Date` to microseconds, as storing it in Postgres would.
    public init(_ date: Date) {
        self.microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
    }

    /// Whole seconds since the epoch (Ruby `to_i`).
    public var unixSeconds: Int64 { microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000 }

    /// Seconds as a float (Ruby `to_f`), e.g. `1781691303.512345`.
    public var floatSeconds: Double { Double(microseconds) / 1_000_000 }

    /// The Foundation date.
    public var date: Date { Date(timeIntervalSince1970: floatSeconds) }

    /// Rails' `as_json`: `2026-06-17T10:15:03.482Z` (milliseconds truncated, UTC).
    public var iso8601: String {
        let seconds = unixSeconds
        let millis = (microseconds - seconds * 1_000_000) / 1000
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        let (y, m, d) = Self.civil(fromDays: days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))Z"
    }

    /// Chatwoot's `description`.
    public var description: String { iso8601 }

    /// This instant moved by `seconds`.
    public func adding(seconds: Double) -> Instant { Instant(microseconds: microseconds + Int64(seconds * 1_000_000)) }

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.microseconds < rhs.microseconds }

    /// Howard Hinnant's days→civil algorithm (proleptic Gregorian), free of Calendar and locale state.
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
