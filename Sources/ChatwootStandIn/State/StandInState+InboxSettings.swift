import Foundation

/// `PATCH /inboxes/{id}` (`InboxesController#update`): the inbox's own attributes (`@inbox.update!`, validated as a
/// whole), then its working hours (`update_inbox_working_hours`), then the channel — three saves, not one transaction.
extension StandInState {
    /// The permitted attributes that were sent; nil means "not sent". A `JSONValue` keeps an explicit `null`.
    struct InboxUpdate: Sendable {
        var name: String?
        var lockToSingleConversation: Bool?
        var workingHoursEnabled: Bool?
        var timezone: JSONValue?
        var outOfOfficeMessage: JSONValue?
        var csatSurveyEnabled: Bool?
        var csatConfig: JSONValue?
        /// `params[:working_hours]`, when sent.
        var workingHours: JSONValue?
        /// `channel.webhook_url`, when sent.
        var webhookURL: JSONValue?
    }

    /// The identifiers `Inbox` accepts as `timezone` (`validates :timezone, inclusion: { in: TZInfo::Timezone.all_identifiers }`).
    /// Foundation's list comes from the same tz database; "UTC" and "Etc/UTC" are named in case a platform leaves them out.
    static let timezoneIdentifiers: Set<String> = Set(TimeZone.knownTimeZoneIdentifiers).union(["UTC", "Etc/UTC"])

    func updateInboxSettings(_ inboxId: Int, _ update: InboxUpdate) throws -> Inbox {
        var inbox = try transaction { try updateInboxAttributes(inboxId, update) }
        if let rows = update.workingHours { inbox = try transaction { try updateWorkingHours(inboxId, rows) } }
        if let url = update.webhookURL, inbox.channel == .api {
            inbox = try transaction {
                guard let index = inboxIndex(inboxId) else { throw StandInAPIError.notFound }
                db.inboxes[index].webhookURL = url.stringValue
                return db.inboxes[index]
            }
        }
        return inbox
    }

    /// `@inbox.update!(permitted_params.except(:channel, :csat_config))` with a sent `csat_config` formatted
    /// (`format_csat_config`); an invalid time zone or a too long out-of-office text fails the whole save (422).
    private func updateInboxAttributes(_ inboxId: Int, _ update: InboxUpdate) throws -> Inbox {
        guard let index = inboxIndex(inboxId) else { throw StandInAPIError.notFound }
        var inbox = db.inboxes[index]
        if let name = update.name { inbox.name = name }
        if let lock = update.lockToSingleConversation { inbox.lockToSingleConversation = lock }
        if let enabled = update.workingHoursEnabled { inbox.workingHoursEnabled = enabled }
        if let timezone = update.timezone { inbox.timezone = timezone.railsString ?? "" }
        if let message = update.outOfOfficeMessage { inbox.outOfOfficeMessage = message.railsString }
        if let enabled = update.csatSurveyEnabled { inbox.csatSurveyEnabled = enabled }
        if let config = update.csatConfig, config.isObject, !config.isBlank { inbox.csatConfig = Self.formatCsatConfig(config) }
        var errors: [(attribute: String, message: String)] = []
        if !Self.timezoneIdentifiers.contains(inbox.timezone) { errors.append(("timezone", "Timezone is not included in the list")) }
        if let text = inbox.outOfOfficeMessage, text.rubyLength > 10_000 {
            errors.append(("out_of_office_message", "Out of office message is too long (maximum is 10000 characters)"))
        }
        if !errors.isEmpty { throw StandInAPIError.recordInvalid(errors) }
        inbox.updatedAt = now()
        db.inboxes[index] = inbox
        return inbox
    }

    /// `InboxesController#format_csat_config`: the permitted keys with their defaults.
    static func formatCsatConfig(_ config: JSONValue) -> JSONValue {
        func value(_ v: JSONValue?, _ fallback: JSONValue) -> JSONValue { v.flatMap { $0.isNull ? nil : $0 } ?? fallback }
        let rules = config["survey_rules"]
        let values = (rules?["values"]?.arrayValue ?? []).filter { $0.railsString != nil }
        return [
            "display_type": value(config["display_type"], "emoji"), "message": value(config["message"], ""),
            "survey_rules": ["operator": value(rules?["operator"], "contains"), "values": .array(values)],
            "button_text": value(config["button_text"], "Please rate us"), "language": value(config["language"], "en"),
        ]
    }

    /// `OutOfOffisable#update_working_hours`: each item updates the row of its `day_of_week` with `update`, so an
    /// invalid row is silently kept as it was; an item whose day has no row raises (`nil.update`), which rolls the
    /// rows back and answers 500 — after the inbox's own attributes were saved.
    private func updateWorkingHours(_ inboxId: Int, _ raw: JSONValue) throws -> Inbox {
        guard let index = inboxIndex(inboxId), let items = raw.arrayValue else { throw StandInAPIError.internalServerError }
        for item in items where item.isObject {
            let day = item["day_of_week"]?.railsInteger
            guard let rowIndex = db.inboxes[index].workingHours.firstIndex(where: { $0.dayOfWeek == day }) else {
                throw StandInAPIError.internalServerError
            }
            if let saved = Self.applying(item, to: db.inboxes[index].workingHours[rowIndex]).validated() {
                db.inboxes[index].workingHours[rowIndex] = saved
            }
        }
        return db.inboxes[index]
    }

    /// A row with the sent `OFFISABLE_ATTRS` cast and assigned (those not sent keep their values).
    static func applying(_ item: JSONValue, to row: WorkingHour) -> WorkingHour {
        var row = row
        for (key, value) in item.members {
            switch key {
            case "closed_all_day": row.closedAllDay = value.railsBool ?? false
            case "open_all_day": row.openAllDay = value.railsBool ?? false
            case "open_hour": row.openHour = value.railsInteger
            case "open_minutes": row.openMinutes = value.railsInteger
            case "close_hour": row.closeHour = value.railsInteger
            case "close_minutes": row.closeMinutes = value.railsInteger
            default: break
            }
        }
        return row
    }

    /// The Swift API's working-hours setup: the same rules as `PATCH /inboxes/{id}`.
    func setWorkingHours(inboxId: Int, enabled: Bool, timezone: String, rows: [WorkingHour]?, outOfOfficeMessage: String?) throws -> Inbox {
        var update = InboxUpdate()
        update.workingHoursEnabled = enabled
        update.timezone = .string(timezone)
        if let outOfOfficeMessage { update.outOfOfficeMessage = .string(outOfOfficeMessage) }
        update.workingHours = rows.map { rows in
            .array(
                rows.map { row in
                    [
                        "day_of_week": .int(row.dayOfWeek), "closed_all_day": .bool(row.closedAllDay), "open_hour": .int(row.openHour),
                        "open_minutes": .int(row.openMinutes), "close_hour": .int(row.closeHour), "close_minutes": .int(row.closeMinutes),
                        "open_all_day": .bool(row.openAllDay),
                    ]
                })
        }
        return try updateInboxSettings(inboxId, update)
    }
}

extension JSONValue {
    /// ActiveModel's boolean cast: nil for null and "", false for `false`, 0, "0", "f", "false", "off"…, else true.
    var railsBool: Bool? {
        switch self {
        case .null: return nil
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s):
            if s.isEmpty { return nil }
            return !["0", "f", "F", "false", "FALSE", "False", "off", "OFF", "Off"].contains(s)
        default: return true
        }
    }
}
