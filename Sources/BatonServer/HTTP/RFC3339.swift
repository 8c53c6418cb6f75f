import Foundation

/// Reads RFC 3339 times strictly: Foundation's ISO 8601 parser is lenient (it takes February 31 as March 3, and
/// second 60), and a time the API accepts must be one a JSON Schema `date-time` validator accepts too.
///
/// Read by hand rather than with a shared `Regex`: one `Regex` value used from several threads at once is not safe.
enum RFC3339 {
    /// `2026-12-03T09:30:00Z`, `2026-12-03t10:30:00.250+01:00`: up to nine digits of fractions, offsets up to
    /// ±18:00 (what `TimeZone` can hold); `nil` for anything else, or a day the month does not have.
    static func date(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 35 else { return nil }
        func number(_ start: Int, _ length: Int) -> Int? {
            guard start + length <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + length] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0, 4), bytes[4] == UInt8(ascii: "-"), let month = number(5, 2), bytes[7] == UInt8(ascii: "-"),
            let day = number(8, 2), [UInt8(ascii: "T"), UInt8(ascii: "t")].contains(bytes[10]), let hour = number(11, 2),
            bytes[13] == UInt8(ascii: ":"), let minute = number(14, 2), bytes[16] == UInt8(ascii: ":"), let second = number(17, 2),
            (1...12).contains(month), (1...days(inMonth: month, of: year)).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        if bytes[index] == UInt8(ascii: ".") {
            let start = index + 1
            index = start
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            guard (1...9).contains(index - start) else { return nil }
        }
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, let offsetHours = number(index + 1, 2), bytes[index + 3] == UInt8(ascii: ":"),
                let offsetMinutes = number(index + 4, 2), offsetMinutes < 60, offsetHours * 60 + offsetMinutes <= 18 * 60
            else { return nil }
        default:
            return nil
        }
        let upper = text.uppercased()
        return (try? Date(upper, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) ?? (try? Date(upper, strategy: Date.ISO8601FormatStyle()))
    }

    /// `2026-12-03T09:30:00.250Z`: the time in UTC to the millisecond, rounded to the nearest as the stores keep it,
    /// so a message shows the same time live and read back (the JSON logs write their times with it too). Written by
    /// hand: Foundation's `ISO8601FormatStyle` builds a calendar's components for each date (a sixtieth of the
    /// socket's side of a relayed message) and cuts the fraction down from a `Double`, so a stored time showed one
    /// millisecond early about every other time.
    static func string(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (days, millisOfDay) = millis.quotientAndRemainder(dividingBy: 86_400_000)
        let (day, time) = millisOfDay < 0 ? (days - 1, millisOfDay + 86_400_000) : (days, millisOfDay)
        let (year, month, dayOfMonth) = civil(fromDays: day)
        guard (1...9999).contains(year) else { return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)) }
        return String(unsafeUninitializedCapacity: 24) { buffer in
            func put(_ value: Int64, _ digits: Int, at offset: Int) {
                var value = value
                for index in stride(from: offset + digits - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, 4, at: 0)
            put(month, 2, at: 5)
            put(dayOfMonth, 2, at: 8)
            put(time / 3_600_000, 2, at: 11)
            put(time / 60_000 % 60, 2, at: 14)
            put(time / 1_000 % 60, 2, at: 17)
            put(time % 1_000, 3, at: 20)
            for (offset, byte) in [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (23, "Z")] as [(Int, Unicode.Scalar)] {
                buffer[offset] = UInt8(ascii: byte)
            }
            return 24
        }
    }

    /// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
