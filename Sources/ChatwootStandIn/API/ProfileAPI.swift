/// `ProfilesController#show` (`app/views/api/v1/models/_user.json.jbuilder`): the token's user, with `role` in the
/// active account and every account with its role, which is how a setup tool tells an administrator's token from an
/// agent's. Agent bots are refused as on any route not open to them.
enum ProfileAPI {
    static let routes: [Route] = [
        Route("GET", "/api/v1/profile", "api/v1/profiles", "show", isAccountless: true, show)
    ]

    static func show(_ ctx: HandlerContext) async throws -> APIResponse {
        guard case .user(let user) = ctx.caller else { throw StandInAPIError.unauthorized("Invalid Access Token") }
        let db = await ctx.state.db
        let presenter = await ctx.presenter()
        let memberships = user.roles.sorted { $0.key < $1.key }
        // The active account user: the stand-in takes the first account (Chatwoot, the one used last).
        let active = memberships.first
        let accounts: [JSONValue] = memberships.compactMap { accountId, role in
            guard let account = db.account(accountId) else { return nil }
            return [
                "id": .int(account.id), "name": .string(account.name), "status": account.suspended ? "suspended" : "active", "active_at": .null,
                "role": .string(role.rawValue), "permissions": .array([.string(role.rawValue)]),
                "availability": .string(user.availability(in: accountId).rawValue), "availability_status": .string(user.availability(in: accountId).rawValue),
                "auto_offline": true, "custom_role_id": .null, "custom_role": .null,
            ]
        }
        return .json([
            "id": .int(user.id), "access_token": .string(user.accessToken), "account_id": active.map { .int($0.key) } ?? .null,
            "available_name": .string(user.availableName), "avatar_url": .string(presenter.avatarURL(user)), "confirmed": true,
            "display_name": user.displayName.map(JSONValue.string) ?? .null, "message_signature": .null, "email": .string(user.email),
            "hmac_identifier": "", "inviter_id": .null, "name": .string(user.name), "provider": "email", "pubsub_token": .string("pubsub-\(user.id)"),
            "role": active.map { .string($0.value.rawValue) } ?? .null, "ui_settings": .emptyObject, "uid": .string(user.email), "type": "User",
            "custom_attributes": .emptyObject, "accounts": .array(accounts),
        ])
    }
}
