/// `Api::BaseController` + `AccessTokenAuthHelper` + `EnsureCurrentAccountHelper`, in Chatwoot's order:
/// token present → token known → bot endpoint allowed → account exists → caller belongs to the account.
enum Authenticator {
    /// The token from the `api_access_token` header. Rack maps `api_access_token` and `api-access-token` to the
    /// same `HTTP_API_ACCESS_TOKEN` variable Rails reads, so both spellings work (as does that variable's name).
    static let headerNames = ["api_access_token", "api-access-token", "http_api_access_token"]

    static func token(in request: IncomingRequest) -> String? {
        let value = headerNames.lazy.compactMap { request.header($0) }.first
        guard let value, !value.trimmingPrefixWhitespace().isEmpty else { return nil }
        return value
    }

    /// Resolves and checks the caller for an Application-API route.
    static func authenticate(_ request: IncomingRequest, route: Route, accountIdText: String?, db: StandInSnapshot) throws -> (Caller, Int) {
        guard let token = token(in: request) else {
            // devise_token_auth's answer when no token header is sent (gem text; `app/controllers/api/base_controller.rb`).
            throw StandInAPIError(status: 401, json: ["errors": ["You need to sign in or sign up before continuing."]])
        }
        let caller: Caller
        if let user = db.users.first(where: { $0.accessToken == token }) {
            caller = .user(user)
        } else if let bot = db.agentBots.first(where: { $0.accessToken == token }) {
            caller = .agentBot(bot)
        } else {
            throw StandInAPIError.unauthorized("Invalid Access Token")
        }
        if case .agentBot = caller, !route.isBotAccessible {
            throw StandInAPIError.unauthorized("Access to this endpoint is not authorized for bots")
        }
        // The user's own routes (`ProfilesController`) need no account.
        if route.isAccountless { return (caller, 0) }
        guard let text = accountIdText, let accountId = Int(text.prefix { $0.isNumber }), let account = db.account(accountId) else {
            throw StandInAPIError.notFound
        }
        if account.suspended { throw StandInAPIError.unauthorized("Account is suspended") }
        switch caller {
        case .user(let user):
            guard user.roles[accountId] != nil else { throw StandInAPIError.unauthorized("You are not authorized to access this account") }
        case .agentBot(let bot):
            let connected = db.inboxes.contains { $0.accountId == accountId && $0.agentBotId == bot.id }
            guard bot.accountId == accountId || connected else { throw StandInAPIError.unauthorized("Bot is not authorized to access this account") }
        case .none:
            break
        }
        return (caller, accountId)
    }
}
