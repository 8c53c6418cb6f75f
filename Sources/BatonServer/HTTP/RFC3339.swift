import Foundation

/// Reads RFC 3339 times strictly: Foundation's ISO 8601 parser is lenient (it takes February 31 as March 3, and
/// second 60), and a time the API accepts must be one a JSON Schema `date-time` validator accepts too.
enum RFC3339 {
    /// `2026-12-03T09:30:00Z`, `2026-12-03t10:30:00.250+01:00`: up to nine digits of fractions, offsets up to
    /// ±18:00 (what `TimeZone` can hold); `nil` for anything else, or a day the month does not have.
    static func date(_ text: String) -> Date? {
        guard let match = text.wholeMatch(of: pattern) else { return nil }
        let (year, month, day) = (Int(match.1)!, Int(match.2)!, Int(match.3)!)
        guard day <= days(inMonth: month, of: year) else { return nil }
        let upper = text.uppercased()
        return (try? Date(upper, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) ?? (try? Date(upper, strategy: Date.ISO8601FormatStyle()))
    }

    nonisolated(unsafe) static let pattern =
        /(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:[Zz]|[+-](?:0\d|1[0-7]):[0-5]\d|[+-]18:00)/

    static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
