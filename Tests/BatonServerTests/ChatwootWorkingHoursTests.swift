import BatonServer
import Foundation
import Testing

/// Chatwoot's `Inbox#out_of_office?`, as Baton reads an inbox's working hours.
@Suite struct ChatwootWorkingHoursTests {
    /// Monday to Friday 09:00–17:30, Saturday open all day, Sunday closed, in Berlin.
    static let inbox = ChatwootInbox(
        id: 1, name: "Support", workingHoursEnabled: true, timezone: "Europe/Berlin",
        workingHours: [ChatwootWorkingHours(dayOfWeek: 0, closedAllDay: true), ChatwootWorkingHours(dayOfWeek: 6, openAllDay: true)]
            + (1...5).map { ChatwootWorkingHours(dayOfWeek: $0, openHour: 9, openMinutes: 0, closeHour: 17, closeMinutes: 30) })

    /// A UTC instant given as Berlin wall time in December (UTC+1).
    static func berlin(_ day: Int, _ hour: Int, _ minute: Int, _ second: Int = 0) -> Date {
        var components = DateComponents(timeZone: TimeZone(identifier: "Europe/Berlin"), year: 2026, month: 12, day: day, hour: hour, minute: minute, second: second)
        components.calendar = Calendar(identifier: .gregorian)
        return components.date!
    }

    // 2026-12-07 is a Monday, the 12th a Saturday, the 13th a Sunday.
    @Test(arguments: [
        (7, 8, 59, 59, true), (7, 9, 0, 0, false), (7, 17, 30, 0, false), (7, 17, 30, 1, true), (12, 0, 0, 0, false), (12, 23, 59, 0, false),
        (12, 23, 59, 30, true), (13, 12, 0, 0, true),
    ])
    func theDayIsTheInboxsAndBothEndsAreIncluded(day: Int, hour: Int, minute: Int, second: Int, closed: Bool) {
        #expect(Self.inbox.isOutOfOffice(at: Self.berlin(day, hour, minute, second)) == closed)
    }

    @Test func withoutWorkingHoursOrWithAnUnknownZoneTheInboxIsOpen() {
        var off = Self.inbox
        off.workingHoursEnabled = false
        #expect(!off.isOutOfOffice(at: Self.berlin(13, 12, 0)))
        var unknown = Self.inbox
        unknown.timezone = "Mars/Olympus"
        #expect(!unknown.isOutOfOffice(at: Self.berlin(13, 12, 0)))
        // Monday 08:30 in Berlin is 07:30 UTC: the inbox's zone decides, not the server's.
        var utc = Self.inbox
        utc.timezone = "UTC"
        #expect(utc.isOutOfOffice(at: Self.berlin(7, 9, 30)), "08:30 UTC is before nine")
    }
}
