import ChatwootStandIn
import Foundation
import NIOHTTP1
import Testing

/// §2.7: working hours, time zone and the out-of-office message.
@Suite struct WorkingHoursTests {
    /// 2026-06-15 is a Monday; `hour:minute:second` in UTC.
    static func monday(_ hour: Int, _ minute: Int, _ second: Int = 0, plusDays: Int = 0) -> Date {
        let seconds: Int = plusDays * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: TimeInterval(1_781_481_600 + seconds))
    }

    @Test func theMondayHelperIsAMonday() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        #expect(calendar.component(.weekday, from: Self.monday(0, 0)) == 2)
        #expect(calendar.component(.hour, from: Self.monday(0, 0)) == 0)
    }

    @Test func inboxesStartWithTheDefaultWeek() async throws {
        try await Harness.with { h in
            let inbox = try await h.call(.GET, "/inboxes/\(h.seed.inbox.id)", token: h.adminToken)
            #expect(inbox.json["working_hours_enabled"] == false)
            #expect(inbox.json["timezone"] == "UTC")
            #expect(inbox.json["out_of_office_message"] == .null)
            let rows = try #require(inbox.json["working_hours"]?.arrayValue)
            #expect(rows.count == 7)
            let sunday: JSONValue = [
                "day_of_week": 0, "closed_all_day": true, "open_hour": nil, "open_minutes": nil, "close_hour": nil, "close_minutes": nil,
                "open_all_day": false,
            ]
            let monday: JSONValue = [
                "day_of_week": 1, "closed_all_day": false, "open_hour": 9, "open_minutes": 0, "close_hour": 17, "close_minutes": 0,
                "open_all_day": false,
            ]
            #expect(rows[0] == sunday)
            #expect(rows[1] == monday)
            #expect(rows[6]["closed_all_day"] == true)
            #expect(rows[0].keys == ["day_of_week", "closed_all_day", "open_hour", "open_minutes", "close_hour", "close_minutes", "open_all_day"])
        }
    }

    @Test func patchUpdatesValidRowsAndSilentlyKeepsInvalidOnes() async throws {
        try await Harness.with { h in
            let path = "/inboxes/\(h.seed.inbox.id)"
            let patched = try await h.call(
                .PATCH, path, token: h.adminToken,
                json: [
                    "working_hours_enabled": true, "timezone": "Europe/Berlin", "out_of_office_message": "We are closed.",
                    "working_hours": [
                        ["day_of_week": 1, "open_hour": 10, "open_minutes": 30, "close_hour": 18, "close_minutes": 0],
                        // Closing before opening: kept as it was.
                        ["day_of_week": 2, "open_hour": 18, "open_minutes": 0, "close_hour": 9, "close_minutes": 0],
                        // open_all_day forces 00:00–23:59.
                        ["day_of_week": 3, "open_all_day": true],
                        // Open and closed all day: kept.
                        ["day_of_week": 4, "open_all_day": true, "closed_all_day": true],
                        // Hours out of range: kept.
                        ["day_of_week": 5, "open_hour": 9, "open_minutes": 0, "close_hour": 24, "close_minutes": 0],
                        ["day_of_week": 6, "closed_all_day": false, "open_hour": 10, "open_minutes": 0, "close_hour": 14, "close_minutes": 0],
                    ],
                ])
            #expect(patched.status == 200)
            #expect(patched.json["working_hours_enabled"] == true)
            #expect(patched.json["timezone"] == "Europe/Berlin")
            #expect(patched.json["out_of_office_message"] == "We are closed.")
            let rows = try #require(patched.json["working_hours"]?.arrayValue)
            func hours(_ day: Int) -> [JSONValue] {
                ["open_hour", "open_minutes", "close_hour", "close_minutes"].map { rows[day][$0] ?? .null }
            }
            #expect(hours(1) == [10, 30, 18, 0])
            #expect(hours(2) == [9, 0, 17, 0])
            #expect(hours(3) == [0, 0, 23, 59])
            #expect(rows[3]["open_all_day"] == true)
            #expect(rows[4]["open_all_day"] == false)
            #expect(rows[4]["closed_all_day"] == false)
            #expect(hours(4) == [9, 0, 17, 0])
            #expect(hours(5) == [9, 0, 17, 0])
            #expect(rows[6]["closed_all_day"] == false)
            #expect(hours(6) == [10, 0, 14, 0])
            // The index shows the same.
            let index = try await h.call(.GET, "/inboxes", token: h.adminToken)
            #expect(index.json["payload"]?[0]?["working_hours"] == patched.json["working_hours"])
            let violations = await h.standIn.specViolations()
            #expect(violations.isEmpty, "\(violations)")
        }
    }

    @Test func anUnknownTimezoneIsRefusedAndNothingIsSaved() async throws {
        try await Harness.with { h in
            let path = "/inboxes/\(h.seed.inbox.id)"
            let refused = try await h.call(.PATCH, path, token: h.adminToken, json: ["timezone": "Mars/Olympus", "working_hours_enabled": true])
            #expect(refused.status == 422)
            #expect(refused.json == ["message": "Timezone is not included in the list", "attributes": ["timezone"]])
            let inbox = try #require(await h.standIn.snapshot().inbox(h.seed.inbox.id))
            #expect(inbox.timezone == "UTC")
            #expect(inbox.workingHoursEnabled == false)
            let byAgent = try await h.call(.PATCH, path, token: h.agentToken, json: ["timezone": "Europe/Berlin"])
            #expect(byAgent.status == 401)
            await #expect(throws: StandInAPIError.self) { try await h.standIn.setWorkingHours(inbox: h.seed.inbox.id, enabled: true, timezone: "Nowhere") }
        }
    }

    @Test func outOfOfficeFollowsTheInboxTimeZoneInclusivelyToTheMinute() async throws {
        let clock = ManualClock(start: Self.monday(12, 0))
        try await Harness.with(configuration: .init(clock: .manual(clock))) { h in
            let inbox = h.seed.inbox.id
            // Disabled: never out of office (Sunday 03:00).
            clock.set(Self.monday(3, 0, plusDays: -1))
            #expect(await h.standIn.isOutOfOffice(inbox: inbox) == false)

            try await h.standIn.setWorkingHours(
                inbox: inbox, enabled: true, timezone: "Europe/Berlin", rows: [WorkingHour(dayOfWeek: 2, openAllDay: true)])
            #expect(await h.standIn.isOutOfOffice(inbox: inbox) == true, "Sunday is closed")
            // Berlin is UTC+2 in June: Monday 09:00–17:00 there is 07:00–15:00 UTC, both ends included.
            clock.set(Self.monday(6, 59, 59))
            #expect(await h.standIn.isOutOfOffice(inbox: inbox) == true)
            clock.set(Self.monday(7, 0))
            #expect(await h.standIn.isOutOfOffice(inbox: inbox) == false)
            clock.set(Self.monday(15, 0, 0))
            #expect(await h.standIn.isOutOfOffice(inbox: inbox) == false)
            clock.set(Self.monday(15, 0, 30))
            #expect(await h.standIn.isOutOfOffice(inbox: inbox) == true, "seconds are zeroed on the closing time")
            // Monday 22:30 UTC is Tuesday 00:30 in Berlin: Tuesday's row (open all day) applies.
            clock.set(Self.monday(22, 30))
            #expect(await h.standIn.isOutOfOffice(inbox: inbox) == false)
            // Tuesday 23:59:00 Berlin is open, 23:59:30 closed even on an open-all-day day.
            clock.set(Self.monday(21, 59, 0, plusDays: 1))
            #expect(await h.standIn.isOutOfOffice(inbox: inbox) == false)
            clock.set(Self.monday(21, 59, 30, plusDays: 1))
            #expect(await h.standIn.isOutOfOffice(inbox: inbox) == true)
        }
    }

    @Test func anIncomingMessageOutOfOfficeGetsTheTemplateOncePerDay() async throws {
        let clock = ManualClock(start: Self.monday(20, 0))
        try await Harness.with(configuration: .init(clock: .manual(clock))) { h in
            try await h.standIn.setWorkingHours(inbox: h.seed.inbox.id, enabled: true, outOfOfficeMessage: "We are closed, back at 9.")
            let conversation = try await h.createConversation()
            let path = "/conversations/\(conversation.displayId)/messages"
            _ = try await h.call(.POST, path, token: h.adminToken, json: ["content": "Anyone there?", "message_type": "incoming"])
            let template = try await h.receiver.waitFor(event: "message_created") { $0.json["message_type"] == "template" }
            #expect(template.json["content"] == "We are closed, back at 9.")
            #expect(template.json["sender"] == .null)
            #expect(template.json["content_type"] == "text")

            // Not again today.
            clock.advance(by: 600)
            _ = try await h.call(.POST, path, token: h.adminToken, json: ["content": "Hello?", "message_type": "incoming"])
            try await h.standIn.waitForWebhooksIdle()
            let templates = await h.standIn.messages(h.ref(conversation.displayId)).filter { $0.messageType == .template }
            #expect(templates.count == 1)
            #expect(templates.first?.sender == nil)

            // Within working hours nothing is sent.
            let open = try await h.createConversation()
            clock.set(Self.monday(10, 0, plusDays: 1))
            _ = try await h.call(.POST, "/conversations/\(open.displayId)/messages", token: h.adminToken, json: ["content": "Hi", "message_type": "incoming"])
            #expect(await h.standIn.messages(h.ref(open.displayId)).filter { $0.messageType == .template }.isEmpty)
        }
    }

    @Test func noOutOfOfficeTemplateRightAfterAnAgentReplied() async throws {
        let clock = ManualClock(start: Self.monday(20, 0))
        try await Harness.with(configuration: .init(clock: .manual(clock))) { h in
            try await h.standIn.setWorkingHours(inbox: h.seed.inbox.id, enabled: true, outOfOfficeMessage: "Closed.")
            let conversation = try await h.createConversation()
            try await h.standIn.agent(h.seed.agent.id).reply(h.ref(conversation.displayId), "Still here for a minute")
            clock.advance(by: 60)
            _ = try await h.call(
                .POST, "/conversations/\(conversation.displayId)/messages", token: h.adminToken, json: ["content": "Thanks", "message_type": "incoming"])
            #expect(await h.standIn.messages(h.ref(conversation.displayId)).filter { $0.messageType == .template }.isEmpty)
        }
    }
}
