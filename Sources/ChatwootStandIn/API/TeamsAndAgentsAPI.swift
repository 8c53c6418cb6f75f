/// `TeamsController` and `AgentsController` reads: index and show for everyone in the account
/// (`app/policies/team_policy.rb`, `user_policy.rb`); of the writes the agent create and update (administrators).
enum TeamsAndAgentsAPI {
    static let routes: [Route] = [
        Route("GET", "/api/v1/accounts/:account_id/teams", "api/v1/accounts/teams", "index", teams),
        Route("GET", "/api/v1/accounts/:account_id/teams/:id", "api/v1/accounts/teams", "show", team),
        Route("GET", "/api/v1/accounts/:account_id/agents", "api/v1/accounts/agents", "index", agents),
        Route("POST", "/api/v1/accounts/:account_id/agents", "api/v1/accounts/agents", "create", createAgent),
        Route("PATCH", "/api/v1/accounts/:account_id/agents/:id", "api/v1/accounts/agents", "update", updateAgent),
    ]

    static func teams(_ ctx: HandlerContext) async throws -> APIResponse {
        let teams = await ctx.state.db.teams.filter { $0.accountId == ctx.accountId }
        let presenter = await ctx.presenter()
        return .json(.array(teams.map { presenter.team($0) }))
    }

    static func team(_ ctx: HandlerContext) async throws -> APIResponse {
        let id = try ctx.pathInt("id")
        // `Current.account.teams.find(params[:id])`: another account's team is not found either.
        guard let team = await ctx.state.db.team(id), team.accountId == ctx.accountId else { throw StandInAPIError.notFound }
        return .json(await ctx.presenter().team(team))
    }

    /// `GET /agents`: the account's users, ordered by name (`agents_controller.rb#index`).
    static func agents(_ ctx: HandlerContext) async throws -> APIResponse {
        let users = await ctx.state.db.users.filter { $0.roles[ctx.accountId] != nil }.sorted { $0.name < $1.name }
        let presenter = await ctx.presenter()
        return .json(.array(users.map { presenter.agent($0, accountId: ctx.accountId) }))
    }

    /// `POST /agents` (`AgentBuilder`): the user with that e-mail joins the account with `role` (default agent),
    /// created when Chatwoot has no such user (Chatwoot then e-mails them an invitation); one already in the account
    /// is 422.
    static func createAgent(_ ctx: HandlerContext) async throws -> APIResponse {
        try ctx.requireAdmin()
        let agent = ctx.params.nested("agent") ?? ctx.params
        guard let email = agent.presentString("email")?.lowercased(), email.contains("@") else {
            throw StandInAPIError.unprocessable("Email is invalid")
        }
        let role = agent.string("role").flatMap(UserRole.init(rawValue:)) ?? .agent
        let user = try await ctx.state.addAgent(accountId: ctx.accountId, email: email, name: agent.presentString("name"), role: role)
        return .json(await ctx.presenter().agent(user, accountId: ctx.accountId))
    }

    /// `PATCH /agents/{id}`: `params.require(:agent)`; Rails' `wrap_parameters` puts a JSON body's top-level keys under
    /// `agent` too, so both shapes work. Renders the agent (`update.json.jbuilder`).
    static func updateAgent(_ ctx: HandlerContext) async throws -> APIResponse {
        let id = try ctx.pathInt("id")
        // `fetch_agent` runs before `check_authorization`: an unknown id is 404 even for an agent.
        guard await ctx.state.db.user(id)?.roles[ctx.accountId] != nil else { throw StandInAPIError.notFound }
        try ctx.requireAdmin()
        let agent = ctx.params.nested("agent") ?? ctx.params
        let update = StandInState.AgentUpdate(name: agent.string("name"), role: agent.string("role"), availability: agent.string("availability"))
        let user = try await ctx.state.updateAgent(accountId: ctx.accountId, userId: id, update)
        return .json(await ctx.presenter().agent(user, accountId: ctx.accountId))
    }
}
