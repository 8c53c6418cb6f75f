/// Renders records in Chatwoot's JSON shapes, key order included.
///
/// Each method names the Chatwoot serializer it mirrors (jbuilder partials for REST, `push_event_data` /
/// `webhook_data` for events) so a shape can be checked against the source quickly.
struct Presenter {
    let db: StandInSnapshot
    /// `FRONTEND_URL`, the base of attachment URLs.
    let frontendURL: String

    // MARK: Accounts

    /// `Account#webhook_data`.
    func accountWebhook(_ accountId: Int) -> JSONValue {
        ["id": .int(accountId), "name": .string(db.account(accountId)?.name ?? "")]
    }

    // MARK: Users

    /// `availability_status` (`app/models/concerns/availability_statusable.rb`): with `auto_offline` it is offline
    /// unless the agent has dashboard presence. Stand-in users count as present on the dashboard, so it is their
    /// availability setting in the account.
    func availabilityStatus(_ user: User, accountId: Int) -> JSONValue { .string(user.availability(in: accountId).rawValue) }

    /// `Avatarable#avatar_url`: the attached picture's 250x250 representation, or "" without one (Chatwoot fetches a
    /// Gravatar into the attachment in a background job; the stand-in has none).
    func avatarURL(_ user: User) -> String {
        guard let blob = user.avatarBlobId.flatMap(db.blob) else { return "" }
        return "\(frontendURL)/rails/active_storage/representations/redirect/\(blob.signedId)/\(Self.avatarVariationKey)/\(Self.escapePathSegment(blob.filename))"
    }

    /// The variation key of `representation(resize: '250x250')`.
    static let avatarVariationKey =
        "eyJfcmFpbHMiOnsiZGF0YSI6eyJmb3JtYXQiOiJwbmciLCJyZXNpemUiOiIyNTB4MjUwIn0sInB1ciI6InZhcmlhdGlvbiJ9fQ==--0c4f1e2d3b5a69788796a5b4c3d2e1f0a9b8c7d6"

    /// `User#push_event_data` (`availability_status` of the account the payload belongs to).
    func userPush(_ user: User, accountId: Int) -> JSONValue {
        [
            "id": .int(user.id), "name": .string(user.name), "available_name": .string(user.availableName), "avatar_url": .string(avatarURL(user)),
            "type": "user", "availability_status": availabilityStatus(user, accountId: accountId), "thumbnail": .string(avatarURL(user)),
        ]
    }

    /// `User#webhook_data`.
    func userWebhook(_ user: User) -> JSONValue {
        ["id": .int(user.id), "name": .string(user.name), "email": .string(user.email), "type": "user"]
    }

    /// `views/api/v1/models/_agent.json.jbuilder` (assignee in conversations, assignments response).
    func agent(_ user: User, accountId: Int) -> JSONValue {
        [
            "id": .int(user.id), "account_id": .int(accountId), "availability_status": availabilityStatus(user, accountId: accountId), "auto_offline": true,
            "confirmed": true, "email": .string(user.email), "provider": "email", "available_name": .string(user.availableName),
            "name": .string(user.name), "role": .string(user.roles[accountId]?.rawValue ?? "agent"), "thumbnail": .string(avatarURL(user)),
            "custom_role_id": .null,
        ]
    }

    // MARK: Teams

    /// `views/api/v1/models/_team.json.jbuilder` (teams index/show, conversation `meta.team`).
    func team(_ team: Team) -> JSONValue {
        [
            "id": .int(team.id), "name": .string(team.name), "description": .string(team.description), "allow_auto_assign": .bool(team.allowAutoAssign),
            // `Current.user.teams.include?`: team members are not modelled.
            "account_id": .int(team.accountId), "is_member": false,
        ]
    }

    /// The whole record, as `set_team` renders it.
    func teamRecord(_ team: Team) -> JSONValue {
        [
            "id": .int(team.id), "name": .string(team.name), "description": .string(team.description), "allow_auto_assign": .bool(team.allowAutoAssign),
            "created_at": .string(team.createdAt.iso8601), "updated_at": .string(team.createdAt.iso8601), "account_id": .int(team.accountId),
        ]
    }

    // MARK: Agent bots

    /// `AgentBot#push_event_data`.
    func agentBotPush(_ bot: AgentBot) -> JSONValue {
        ["id": .int(bot.id), "name": .string(bot.name), "avatar_url": "", "type": "agent_bot"]
    }

    /// `AgentBot#webhook_data`.
    func agentBotWebhook(_ bot: AgentBot) -> JSONValue {
        ["id": .int(bot.id), "name": .string(bot.name), "type": "agent_bot"]
    }

    /// `_agent_bot_slim.json.jbuilder`.
    func agentBotSlim(_ bot: AgentBot) -> JSONValue {
        [
            "id": .int(bot.id), "name": .string(bot.name), "description": .string(bot.description), "thumbnail": "",
            "outgoing_url": .string(bot.outgoingURL), "bot_type": "webhook",
        ]
    }

    /// `_agent_bot.json.jbuilder` + `AgentBotPresenter`: `access_token` only for the owning account, `secret` only
    /// for administrators, neither (nor `outgoing_url`) for system bots.
    func agentBot(_ bot: AgentBot, viewerAccountId: Int, viewerIsAdmin: Bool) -> JSONValue {
        let systemBot = bot.accountId == nil
        var members: [(String, JSONValue)] = [
            ("id", .int(bot.id)), ("name", .string(bot.name)), ("description", .string(bot.description)), ("thumbnail", ""),
        ]
        if !systemBot { members.append(("outgoing_url", .string(bot.outgoingURL))) }
        members += [("bot_type", "webhook"), ("bot_config", bot.botConfig), ("account_id", .int(bot.accountId))]
        if !systemBot && bot.accountId == viewerAccountId { members.append(("access_token", .string(bot.accessToken))) }
        if !systemBot && viewerIsAdmin { members.append(("secret", .string(bot.secret))) }
        members.append(("system_bot", .bool(systemBot)))
        return .object(members)
    }

    // MARK: Inboxes

    /// `Inbox#webhook_data`.
    func inboxWebhook(_ inbox: Inbox) -> JSONValue { ["id": .int(inbox.id), "name": .string(inbox.name)] }

    /// The inbox inside `contact_inboxes[]` (`_contact_inbox.json.jbuilder`'s slim inbox).
    func inboxSlim(_ inbox: Inbox) -> JSONValue {
        [
            "id": .int(inbox.id), "avatar_url": "", "channel_id": .int(inbox.channelId), "name": .string(inbox.name),
            "channel_type": .string(inbox.channel.rawValue), "provider": .null,
        ]
    }

    /// `Inbox#as_json` (the whole record), as rendered in `POST /contacts`' `contact_inbox.inbox`.
    func inboxRecord(_ inbox: Inbox) -> JSONValue {
        [
            "id": .int(inbox.id), "channel_id": .int(inbox.channelId), "account_id": .int(inbox.accountId), "name": .string(inbox.name),
            "created_at": .string(inbox.createdAt.iso8601), "updated_at": .string(inbox.updatedAt.iso8601),
            "channel_type": .string(inbox.channel.rawValue), "enable_auto_assignment": true, "greeting_enabled": false, "greeting_message": .null,
            "email_address": .null, "working_hours_enabled": .bool(inbox.workingHoursEnabled),
            "out_of_office_message": .string(inbox.outOfOfficeMessage), "timezone": .string(inbox.timezone),
            "enable_email_collect": true, "csat_survey_enabled": .bool(inbox.csatSurveyEnabled), "allow_messages_after_resolved": true, "auto_assignment_config": .emptyObject,
            "lock_to_single_conversation": .bool(inbox.lockToSingleConversation), "portal_id": .null, "sender_name_type": "friendly",
            "business_name": .null, "csat_config": inbox.csatConfig,
        ]
    }

    /// `_inbox.json.jbuilder`; `hmac_token` and `secret` only for administrators.
    func inbox(_ inbox: Inbox, viewerIsAdmin: Bool) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .int(inbox.id)), ("avatar_url", ""), ("channel_id", .int(inbox.channelId)), ("name", .string(inbox.name)),
            ("channel_type", .string(inbox.channel.rawValue)), ("greeting_enabled", false), ("greeting_message", .null),
            ("working_hours_enabled", .bool(inbox.workingHoursEnabled)), ("enable_email_collect", true),
            ("csat_survey_enabled", .bool(inbox.csatSurveyEnabled)), ("csat_config", inbox.csatConfig), ("enable_auto_assignment", true),
            ("auto_assignment_config", .emptyObject), ("out_of_office_message", .string(inbox.outOfOfficeMessage)),
            ("working_hours", weeklySchedule(inbox)), ("timezone", .string(inbox.timezone)), ("callback_webhook_url", .null),
            ("allow_messages_after_resolved", true), ("lock_to_single_conversation", .bool(inbox.lockToSingleConversation)),
            ("sender_name_type", "friendly"), ("business_name", .null), ("allowed_domains", .null), ("widget_color", .null),
            ("website_url", .null), ("hmac_mandatory", false), ("welcome_title", .null), ("welcome_tagline", .null),
            ("web_widget_script", .null), ("website_token", .null), ("selected_feature_flags", .null), ("reply_time", .null),
            ("messaging_service_sid", .null), ("phone_number", .null),
        ]
        if inbox.channel == .api {
            if viewerIsAdmin {
                members.append(("hmac_token", .string(inbox.hmacToken)))
                members.append(("secret", .string(inbox.secret)))
            }
            members.append(("webhook_url", .string(inbox.webhookURL ?? "")))
            members.append(("inbox_identifier", .string(inbox.inboxIdentifier)))
            members.append(("additional_attributes", .emptyObject))
        }
        members.append(("provider", .null))
        return .object(members)
    }

    /// `Inbox#weekly_schedule` (`app/models/concerns/out_of_offisable.rb`): the rows by day of week.
    func weeklySchedule(_ inbox: Inbox) -> JSONValue {
        .array(
            inbox.workingHours.sorted { $0.dayOfWeek < $1.dayOfWeek }.map { row in
                [
                    "day_of_week": .int(row.dayOfWeek), "closed_all_day": .bool(row.closedAllDay), "open_hour": .int(row.openHour),
                    "open_minutes": .int(row.openMinutes), "close_hour": .int(row.closeHour), "close_minutes": .int(row.closeMinutes),
                    "open_all_day": .bool(row.openAllDay),
                ]
            })
    }
}
