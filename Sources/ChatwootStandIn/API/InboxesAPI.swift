/// `InboxesController` (list, show, API-channel create/update, agent-bot connection).
enum InboxesAPI {
    static let controller = "api/v1/accounts/inboxes"
    static let base = "/api/v1/accounts/:account_id/inboxes"

    static let routes: [Route] = [
        Route("GET", base, controller, "index", index),
        Route("POST", base, controller, "create", create),
        Route("GET", "\(base)/:id", controller, "show", show),
        Route("PATCH", "\(base)/:id", controller, "update", update),
        Route("GET", "\(base)/:id/agent_bot", controller, "agent_bot", agentBot),
        Route("POST", "\(base)/:id/set_agent_bot", controller, "set_agent_bot", setAgentBot),
    ]

    static func inbox(_ ctx: HandlerContext) async throws -> Inbox {
        let id = try ctx.pathInt("id")
        guard let inbox = await ctx.state.db.inbox(id), inbox.accountId == ctx.accountId else { throw StandInAPIError.notFound }
        return inbox
    }

    static func index(_ ctx: HandlerContext) async throws -> APIResponse {
        let presenter = await ctx.presenter()
        let inboxes = presenter.db.inboxes.filter { $0.accountId == ctx.accountId }
        return .json(["payload": .array(inboxes.map { presenter.inbox($0, viewerIsAdmin: ctx.isAdmin) })])
    }

    static func show(_ ctx: HandlerContext) async throws -> APIResponse {
        let inbox = try await inbox(ctx)
        return .json(await ctx.presenter().inbox(inbox, viewerIsAdmin: ctx.isAdmin))
    }

    static func create(_ ctx: HandlerContext) async throws -> APIResponse {
        try ctx.requireAdmin()
        let channel = ctx.params.nested("channel")
        guard channel?.string("type") == "api" else {
            // Only API channels are modelled; other channel types are outside the stand-in.
            throw StandInAPIError.unprocessable("chatwoot-standin only creates API channel inboxes")
        }
        let inbox = try await ctx.state.createAPIInbox(
            accountId: ctx.accountId, name: ctx.params.string("name") ?? "", webhookURL: channel?.presentString("webhook_url"))
        return .json(await ctx.presenter().inbox(inbox, viewerIsAdmin: true))
    }

    /// `InboxesController#update` with the attributes the stand-in models (see `StandInState.InboxUpdate`).
    static func update(_ ctx: HandlerContext) async throws -> APIResponse {
        try ctx.requireAdmin()
        let existing = try await inbox(ctx)
        let params = ctx.params
        var update = StandInState.InboxUpdate()
        update.name = params.presentString("name")
        update.lockToSingleConversation = params.bool("lock_to_single_conversation")
        update.workingHoursEnabled = params.bool("working_hours_enabled")
        update.timezone = params["timezone"]
        update.outOfOfficeMessage = params["out_of_office_message"]
        update.csatSurveyEnabled = params.bool("csat_survey_enabled")
        update.csatConfig = params.object("csat_config")
        // `if params[:working_hours]`: sent and not null.
        update.workingHours = params["working_hours"].flatMap { $0.isNull ? nil : $0 }
        update.webhookURL = params.nested("channel")?["webhook_url"]
        let updated = try await ctx.state.updateInboxSettings(existing.id, update)
        return .json(await ctx.presenter().inbox(updated, viewerIsAdmin: true))
    }

    static func agentBot(_ ctx: HandlerContext) async throws -> APIResponse {
        let inbox = try await inbox(ctx)
        let presenter = await ctx.presenter()
        // jbuilder renders an empty block when no bot is connected.
        let bot = inbox.agentBotId.flatMap { presenter.db.agentBot($0) }
        return .json(["agent_bot": bot.map { presenter.agentBot($0, viewerAccountId: ctx.accountId, viewerIsAdmin: ctx.isAdmin) } ?? .emptyObject])
    }

    static func setAgentBot(_ ctx: HandlerContext) async throws -> APIResponse {
        try ctx.requireAdmin()
        let inbox = try await inbox(ctx)
        let botId: Int? = ctx.params.isPresent("agent_bot") ? (ctx.params.int("agent_bot") ?? -1) : nil
        try await ctx.state.connectAgentBotTransaction(botId, inboxId: inbox.id, accountId: ctx.accountId)
        return .head()
    }
}
