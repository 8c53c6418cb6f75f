/// One day of an inbox's business hours (`app/models/working_hour.rb`). `dayOfWeek` is Ruby's `wday`:
/// 0 Sunday … 6 Saturday.
public struct WorkingHour: Sendable, Hashable {
    public var dayOfWeek: Int
    public var closedAllDay: Bool
    public var openHour: Int?
    public var openMinutes: Int?
    public var closeHour: Int?
    public var closeMinutes: Int?
    /// Open around the clock; saving forces 00:00–23:59 (`ensure_open_all_day_hours`).
    public var openAllDay: Bool

    public init(
        dayOfWeek: Int, closedAllDay: Bool = false, openHour: Int? = nil, openMinutes: Int? = nil, closeHour: Int? = nil,
        closeMinutes: Int? = nil, openAllDay: Bool = false
    ) {
        self.dayOfWeek = dayOfWeek
        self.closedAllDay = closedAllDay
        self.openHour = openHour
        self.openMinutes = openMinutes
        self.closeHour = closeHour
        self.closeMinutes = closeMinutes
        self.openAllDay = openAllDay
    }

    /// An open day from `open` to `close` (hour, minute).
    public static func open(_ dayOfWeek: Int, from open: (Int, Int), to close: (Int, Int)) -> WorkingHour {
        WorkingHour(dayOfWeek: dayOfWeek, openHour: open.0, openMinutes: open.1, closeHour: close.0, closeMinutes: close.1)
    }

    /// A closed day.
    public static func closed(_ dayOfWeek: Int) -> WorkingHour { WorkingHour(dayOfWeek: dayOfWeek, closedAllDay: true) }

    /// The seven rows every inbox is created with: Sunday and Saturday closed, Monday–Friday 09:00–17:00
    /// (`OutOfOffisable#create_default_working_hours`, `app/models/concerns/out_of_offisable.rb`).
    public static let defaultWeek: [WorkingHour] = (0...6).map { day in
        day == 0 || day == 6 ? .closed(day) : .open(day, from: (9, 0), to: (17, 0))
    }

    /// The row as it would be saved: `before_validation :ensure_open_all_day_hours`, then nil when a validation
    /// fails (hours present and in range unless closed all day, closing after opening, not open and closed all day).
    func validated() -> WorkingHour? {
        var row = self
        if row.openAllDay {
            row.openHour = 0
            row.openMinutes = 0
            row.closeHour = 23
            row.closeMinutes = 59
        }
        if row.openAllDay && row.closedAllDay { return nil }
        if row.closedAllDay { return row }
        guard let openHour = row.openHour, let openMinutes = row.openMinutes, let closeHour = row.closeHour, let closeMinutes = row.closeMinutes,
            (0...23).contains(openHour), (0...23).contains(closeHour), (0...59).contains(openMinutes), (0...59).contains(closeMinutes)
        else { return nil }
        // `close_after_open`: equal times are refused too.
        guard openHour * 60 + openMinutes < closeHour * 60 + closeMinutes else { return nil }
        return row
    }
}
