import Foundation

/// `InboxMembersController` (`app/controllers/api/v1/accounts/inbox_members_controller.rb`, views
/// `views/api/v1/accounts/inbox_members/*.jbuilder`): show for those who may see the inbox, writes administrator-only
/// (`app/policies/inbox_policy.rb`).
enum InboxMembersAPI {
    static let controller = "api/v1/accounts/inbox_members"
    static let base = "/api/v1/accounts/:account_id/inbox_members"

    static let routes: [Route] = [
        Route("GET", "\(base)/:inbox_id", controller, "show", show),
        Route("POST", base, controller, "create", create),
        Route("PATCH", base, controller, "update", update),
        Route("DELETE", base, controller, "destroy", destroy),
    ]

    /// `fetch_inbox`: `Current.account.inboxes.find(params[:inbox_id])`.
    static func inbox(_ ctx: HandlerContext, id: Int?) async throws -> Inbox {
        guard let id, let inbox = await ctx.state.db.inbox(id), inbox.accountId == ctx.accountId else { throw StandInAPIError.notFound }
        return inbox
    }

    /// `{"payload":[agent…]}`: the inbox's members.
    static func payload(_ ctx: HandlerContext, _ inbox: Inbox) async -> APIResponse {
        let members = await ctx.state.members(of: inbox)
        let presenter = await ctx.presenter()
        return .json(["payload": .array(members.map { presenter.agent($0, accountId: ctx.accountId) })])
    }

    static func show(_ ctx: HandlerContext) async throws -> APIResponse {
        // The stand-in lets every account user see every inbox (as its `GET /inboxes/{id}` does).
        let inbox = try await inbox(ctx, id: try ctx.pathInt("inbox_id"))
        return await payload(ctx, inbox)
    }

    static func create(_ ctx: HandlerContext) async throws -> APIResponse {
        let inbox = try await inbox(ctx, id: ctx.params.int("inbox_id"))
        let ids = try await userIds(ctx)
        try ctx.requireAdmin()
        return await payload(ctx, try await ctx.state.changeMembers(inboxId: inbox.id, userIds: ids, .add))
    }

    static func update(_ ctx: HandlerContext) async throws -> APIResponse {
        let inbox = try await inbox(ctx, id: ctx.params.int("inbox_id"))
        let ids = try await userIds(ctx)
        try ctx.requireAdmin()
        return await payload(ctx, try await ctx.state.changeMembers(inboxId: inbox.id, userIds: ids, .replace))
    }

    static func destroy(_ ctx: HandlerContext) async throws -> APIResponse {
        let inbox = try await inbox(ctx, id: ctx.params.int("inbox_id"))
        try ctx.requireAdmin()
        // `@inbox.remove_members(params[:user_ids])`: no check of the ids.
        let ids = (ctx.params["user_ids"]?.arrayValue ?? []).compactMap(\.railsInteger)
        _ = try await ctx.state.changeMembers(inboxId: inbox.id, userIds: ids, .remove)
        return .head()
    }

    /// `validate_member_id_params` (a before_action, so it answers before Pundit): `user_ids` must be an array
    /// (else `ParameterMissing`) of integers of the account's users (else 422 `Invalid User IDs`).
    static func userIds(_ ctx: HandlerContext) async throws -> [Int] {
        guard let raw = ctx.params["user_ids"]?.arrayValue else { throw StandInAPIError.parameterMissing("user_ids") }
        var ids: [Int] = []
        for value in raw {
            let id: Int? =
                switch value {
                case .int(let i): Int(exactly: i)
                case .string(let s): Int(s.trimmingCharacters(in: .whitespaces))
                default: nil
                }
            guard let id else { throw StandInAPIError.unprocessable("Invalid User IDs") }
            if !ids.contains(id) { ids.append(id) }
        }
        let db = await ctx.state.db
        if ids.contains(where: { db.user($0)?.roles[ctx.accountId] == nil }) { throw StandInAPIError.unprocessable("Invalid User IDs") }
        return ids
    }
}
