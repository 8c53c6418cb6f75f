import Foundation

/// Inbox members, agent availability, working hours and CSAT: the setup a test would otherwise do through
/// `POST /inbox_members`, `PATCH /agents/{id}` and `PATCH /inboxes/{id}`, with the same rules.
extension ChatwootStandIn {
    /// Makes users of the inbox's account members of the inbox (those already members stay as they are). Throws 422
    /// `Invalid User IDs` when one is not a user of the account, 404 for an unknown inbox.
    @discardableResult
    public func addInboxMembers(inbox: Int, users: [Int]) async throws -> Inbox {
        try await state.changeMembers(inboxId: inbox, userIds: users, .add)
    }

    /// Removes users from the inbox's members (ids that are not members are ignored).
    @discardableResult
    public func removeInboxMembers(inbox: Int, users: [Int]) async throws -> Inbox {
        try await state.changeMembers(inboxId: inbox, userIds: users, .remove)
    }

    /// Sets a user's availability in an account (`online`, `busy`, `offline`), which agent views show as
    /// `availability_status`. Throws 404 when the user is not in the account.
    public func setAvailability(user: Int, account: Int, _ availability: AgentAvailability) async throws {
        _ = try await state.setAvailability(userId: user, accountId: account, availability)
    }

    /// Gives a user a profile picture (JPEG, PNG or GIF), as they would in their profile settings: agent payloads
    /// then carry its URL as `avatar_url` and `thumbnail`, and the stand-in serves it.
    public func setAvatar(user: Int, filename: String, contentType: String, data: [UInt8]) async throws {
        _ = try await state.setAvatar(userId: user, filename: filename, contentType: contentType, data: data)
    }

    /// Sets an inbox's business hours as `PATCH /inboxes/{id}` would: `rows` update the rows of their days (an invalid
    /// row — closing before opening, hours out of range, open and closed all day — is silently kept as it was, as in
    /// Chatwoot; read the returned inbox to check). Throws 422 for a time zone that is not a TZInfo identifier.
    @discardableResult
    public func setWorkingHours(
        inbox: Int, enabled: Bool, timezone: String = "UTC", rows: [WorkingHour]? = nil, outOfOfficeMessage: String? = nil
    ) async throws -> Inbox {
        try await state.setWorkingHours(inboxId: inbox, enabled: enabled, timezone: timezone, rows: rows, outOfOfficeMessage: outOfOfficeMessage)
    }

    /// `Inbox#out_of_office?` now, by the stand-in's clock.
    public func isOutOfOffice(inbox: Int) async -> Bool {
        await state.db.inbox(inbox)?.outOfOffice(at: configuration.clock.now()) ?? false
    }

    /// Turns the CSAT survey on resolve on or off. `message` replaces "Please rate the conversation" (and prefixes the
    /// survey link in webhooks); `displayType` is `emoji` or `star`.
    @discardableResult
    public func setCsatSurvey(inbox: Int, enabled: Bool, message: String? = nil, displayType: String = "emoji") async throws -> Inbox {
        var update = StandInState.InboxUpdate()
        update.csatSurveyEnabled = enabled
        update.csatConfig = ["display_type": .string(displayType), "message": .string(message)]
        return try await state.updateInboxSettings(inbox, update)
    }

    /// The CSAT responses recorded in an account, oldest first.
    public func csatSurveyResponses(account: Int) async -> [CsatSurveyResponse] {
        await state.db.csatSurveyResponses.filter { $0.accountId == account }
    }
}
