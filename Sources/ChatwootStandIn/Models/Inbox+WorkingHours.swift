import Foundation

extension Inbox {
    /// `Inbox#out_of_office?` (`app/models/concerns/out_of_offisable.rb`, `app/models/working_hour.rb`): working hours
    /// are enabled and today's row — today being the weekday in the inbox's time zone (Ruby `wday`) — is closed at
    /// `date`. `open_at?` compares with today's opening and closing times, whose seconds `change(hour:, min:)` zeroes,
    /// inclusively (`between?`): 17:00:00 is still open on a 09:00–17:00 day, 17:00:30 is not, and 23:59:30 is closed
    /// even on an `open_all_day` day (00:00–23:59).
    func outOfOffice(at date: Date) -> Bool {
        guard workingHoursEnabled else { return false }
        // The time zone is checked when it is saved; "UTC" is the column default.
        let zone = TimeZone(identifier: timezone) ?? TimeZone(secondsFromGMT: 0)!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let weekday = calendar.component(.weekday, from: date) - 1  // Foundation: 1 = Sunday; Ruby's wday: 0 = Sunday.
        guard let today = workingHours.first(where: { $0.dayOfWeek == weekday }) else { return true }
        return !today.isOpen(at: date, calendar: calendar)
    }
}

extension WorkingHour {
    /// `WorkingHour#open_at?`.
    func isOpen(at date: Date, calendar: Calendar) -> Bool {
        guard !closedAllDay, let openHour, let openMinutes, let closeHour, let closeMinutes,
            let open = calendar.date(bySettingHour: openHour, minute: openMinutes, second: 0, of: date),
            let close = calendar.date(bySettingHour: closeHour, minute: closeMinutes, second: 0, of: date)
        else { return false }
        return open <= date && date <= close
    }
}
