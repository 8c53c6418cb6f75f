/// `AgentBotsController` (index/show for everyone in the account, the rest for administrators).
enum AgentBotsAPI {
    static let controller = "api/v1/accounts/agent_bots"
    static let base = "/api/v1/accounts/:account_id/agent_bots"

    static let routes: [Route] = [
        Route("GET", base, controller, "index", index),
        Route("POST", base, controller, "create", create),
        Route("GET", "\(base)/:id", controller, "show", show),
        Route("PATCH", "\(base)/:id", controller, "update", update),
        Route("DELETE", "\(base)/:id", controller, "destroy", destroy),
    ]

    static func input(_ p: Params) -> StandInState.AgentBotInput {
        StandInState.AgentBotInput(
            name: p.string("name"), description: p.string("description"), outgoingURL: p.string("outgoing_url"), botConfig: p.object("bot_config"))
    }

    static func render(_ ctx: HandlerContext, _ bot: AgentBot) async -> JSONValue {
        await ctx.presenter().agentBot(bot, viewerAccountId: ctx.accountId, viewerIsAdmin: ctx.isAdmin)
    }

    static func index(_ ctx: HandlerContext) async throws -> APIResponse {
        let bots = await ctx.state.visibleAgentBots(accountId: ctx.accountId)
        let presenter = await ctx.presenter()
        return .json(.array(bots.map { presenter.agentBot($0, viewerAccountId: ctx.accountId, viewerIsAdmin: ctx.isAdmin) }))
    }

    static func show(_ ctx: HandlerContext) async throws -> APIResponse {
        let id = try ctx.pathInt("id")
        guard let bot = await ctx.state.visibleAgentBots(accountId: ctx.accountId).first(where: { $0.id == id }) else { throw StandInAPIError.notFound }
        return .json(await render(ctx, bot))
    }

    static func create(_ ctx: HandlerContext) async throws -> APIResponse {
        try ctx.requireAdmin()
        let bot = try await ctx.state.createAgentBot(accountId: ctx.accountId, input: input(ctx.params))
        return .json(await render(ctx, bot))
    }

    static func update(_ ctx: HandlerContext) async throws -> APIResponse {
        try ctx.requireAdmin()
        let bot = try await ctx.state.updateAgentBot(accountId: ctx.accountId, botId: try ctx.pathInt("id"), input: input(ctx.params))
        return .json(await render(ctx, bot))
    }

    static func destroy(_ ctx: HandlerContext) async throws -> APIResponse {
        try ctx.requireAdmin()
        try await ctx.state.deleteAgentBot(accountId: ctx.accountId, botId: try ctx.pathInt("id"))
        return .head()
    }
}
