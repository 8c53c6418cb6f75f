public import Foundation

extension ChatwootInbox {
    /// Chatwoot's `Inbox#out_of_office?` (`app/models/concerns/out_of_offisable.rb`, `app/models/working_hour.rb`):
    /// working hours are on and today's row, today being the weekday in the inbox's time zone, is closed at `date`.
    /// A day is open from its opening to its closing minute, both included (seconds are zeroed, so 23:59:30 is
    /// closed even on a day open all day); a day without a row, or an unknown time zone, counts as open, since
    /// Chatwoot would not call it closed either.
    public func isOutOfOffice(at date: Date) -> Bool {
        guard workingHoursEnabled == true, let zone = TimeZone(identifier: timezone ?? "UTC") else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let now = calendar.dateComponents([.weekday, .hour, .minute, .second], from: date)
        guard let weekday = now.weekday, let day = workingHours?.first(where: { $0.dayOfWeek == weekday - 1 }) else { return false }
        return !day.isOpen(atSecondOfDay: (now.hour ?? 0) * 3600 + (now.minute ?? 0) * 60 + (now.second ?? 0))
    }
}

extension ChatwootWorkingHours {
    func isOpen(atSecondOfDay second: Int) -> Bool {
        if closedAllDay { return false }
        // `open_all_day` is stored as 00:00–23:59.
        let opens = openAllDay == true ? 0 : ((openHour ?? 0) * 60 + (openMinutes ?? 0)) * 60
        let closes = openAllDay == true ? (23 * 60 + 59) * 60 : ((closeHour ?? 0) * 60 + (closeMinutes ?? 0)) * 60
        return opens <= second && second <= closes
    }
}
