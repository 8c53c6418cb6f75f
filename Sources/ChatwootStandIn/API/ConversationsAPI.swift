/// `ConversationsController` and its nested assignments/labels controllers.
enum ConversationsAPI {
    static let controller = "api/v1/accounts/conversations"
    static let base = "/api/v1/accounts/:account_id/conversations"

    static let routes: [Route] = [
        Route("GET", base, controller, "index", index),
        Route("POST", base, controller, "create", create),
        Route("GET", "\(base)/:conversation_id", controller, "show", show),
        Route("PATCH", "\(base)/:conversation_id", controller, "update", update),
        Route("POST", "\(base)/:conversation_id/toggle_status", controller, "toggle_status", toggleStatus),
        Route("POST", "\(base)/:conversation_id/toggle_typing_status", controller, "toggle_typing_status", toggleTyping),
        Route("POST", "\(base)/:conversation_id/toggle_priority", controller, "toggle_priority", togglePriority),
        Route("POST", "\(base)/:conversation_id/custom_attributes", controller, "custom_attributes", customAttributes),
        Route("POST", "\(base)/:conversation_id/assignments", "\(controller)/assignments", "create", assign),
        Route("GET", "\(base)/:conversation_id/labels", "\(controller)/labels", "index", labels),
        Route("POST", "\(base)/:conversation_id/labels", "\(controller)/labels", "create", setLabels),
    ]

    static func create(_ ctx: HandlerContext) async throws -> APIResponse {
        let p = ctx.params
        var input = StandInState.ConversationInput()
        input.sourceId = p.presentString("source_id")
        input.inboxId = p.isPresent("inbox_id") ? (p.int("inbox_id") ?? -1) : nil
        input.contactId = p.isPresent("contact_id") ? (p.int("contact_id") ?? -1) : nil
        input.status = p.presentString("status")
        input.assigneeId = p.int("assignee_id")
        input.teamId = p.int("team_id")
        input.additionalAttributes = p.object("additional_attributes")
        input.customAttributes = p.object("custom_attributes")
        input.hmacVerified = p.bool("hmac_verified") ?? false
        if p.isPresent("message"), let message = p.nested("message") { input.message = MessagesAPI.messageInput(message) }
        let conversation = try await ctx.state.createConversation(accountId: ctx.accountId, caller: ctx.caller, input: input)
        return .json(await ctx.presenter().conversationAPI(conversation))
    }

    static func index(_ ctx: HandlerContext) async throws -> APIResponse {
        let p = ctx.params
        var query = StandInState.ConversationQuery()
        query.status = p.string("status")
        query.assigneeType = p.string("assignee_type")
        query.inboxId = p.int("inbox_id")
        query.sourceId = p.string("source_id")
        query.labels = p["labels"]?.arrayValue?.compactMap(\.stringValue) ?? []
        query.q = p.string("q")
        query.page = p.int("page") ?? 1
        let result = await ctx.state.listConversations(accountId: ctx.accountId, userId: ctx.caller.userId, query: query)
        let presenter = await ctx.presenter()
        return .json([
            "data": [
                "meta": [
                    "mine_count": .int(result.mineCount), "assigned_count": .int(result.assignedCount),
                    "unassigned_count": .int(result.unassignedCount), "all_count": .int(result.allCount),
                ],
                "payload": .array(result.conversations.map(presenter.conversationAPI)),
            ]
        ])
    }

    static func show(_ ctx: HandlerContext) async throws -> APIResponse {
        let ref = try ctx.conversationRef()
        let presenter = await ctx.presenter()
        guard let conversation = presenter.db.conversation(ref) else { throw StandInAPIError.notFound }
        return .json(presenter.conversationAPI(conversation))
    }

    static func update(_ ctx: HandlerContext) async throws -> APIResponse {
        let ref = try ctx.conversationRef()
        let conversation: Conversation
        if ctx.params["priority"] != nil {
            conversation = try await ctx.state.setPriority(ref: ref, caller: ctx.caller, priority: ctx.params.string("priority"))
        } else {
            guard let existing = await ctx.state.db.conversation(ref) else { throw StandInAPIError.notFound }
            conversation = existing
        }
        return .json(await ctx.presenter().conversationAPI(conversation))
    }

    static func toggleStatus(_ ctx: HandlerContext) async throws -> APIResponse {
        let result = try await ctx.state.toggleStatus(
            ref: try ctx.conversationRef(), caller: ctx.caller, status: ctx.params.presentString("status"), snoozedUntil: ctx.params["snoozed_until"])
        return .json([
            "meta": .emptyObject,
            "payload": [
                "success": result.success.map(JSONValue.bool) ?? .null, "conversation_id": .int(result.conversation.displayId),
                "current_status": .string(result.conversation.status.rawValue), "snoozed_until": .string(result.conversation.snoozedUntil?.iso8601),
            ],
        ])
    }

    static func toggleTyping(_ ctx: HandlerContext) async throws -> APIResponse {
        try await ctx.state.toggleTyping(
            ref: try ctx.conversationRef(), caller: ctx.caller, typingStatus: ctx.params.string("typing_status"),
            isPrivate: ctx.params.bool("is_private") ?? false)
        return .head()
    }

    static func togglePriority(_ ctx: HandlerContext) async throws -> APIResponse {
        _ = try await ctx.state.setPriority(ref: try ctx.conversationRef(), caller: ctx.caller, priority: ctx.params.string("priority"))
        return .head()
    }

    static func customAttributes(_ ctx: HandlerContext) async throws -> APIResponse {
        guard let attributes = ctx.params.object("custom_attributes") else { throw StandInAPIError.parameterMissing("custom_attributes") }
        let conversation = try await ctx.state.setCustomAttributes(ref: try ctx.conversationRef(), caller: ctx.caller, attributes: attributes)
        return .json(["custom_attributes": conversation.customAttributes])
    }

    static func assign(_ ctx: HandlerContext) async throws -> APIResponse {
        let p = ctx.params
        let (conversation, result) = try await ctx.state.assign(
            ref: try ctx.conversationRef(), caller: ctx.caller, assigneeId: p.int("assignee_id"), hasAssigneeKey: p["assignee_id"] != nil,
            assigneeType: p.string("assignee_type"), teamId: p.int("team_id"))
        let presenter = await ctx.presenter()
        switch result {
        case .user(let user): return .json(presenter.agent(user, accountId: conversation.accountId))
        case .agentBot(let bot): return .json(presenter.agentBotSlim(bot))
        case .team(let team): return .json(presenter.teamRecord(team))
        case .none: return .json(.null)
        }
    }

    static func labels(_ ctx: HandlerContext) async throws -> APIResponse {
        let ref = try ctx.conversationRef()
        guard let conversation = await ctx.state.db.conversation(ref) else { throw StandInAPIError.notFound }
        return .json(["payload": .array(conversation.labels.map(JSONValue.string))])
    }

    static func setLabels(_ ctx: HandlerContext) async throws -> APIResponse {
        let labels = ctx.params["labels"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let result = try await ctx.state.setLabels(ref: try ctx.conversationRef(), caller: ctx.caller, labels: labels)
        return .json(["payload": .array(result.map(JSONValue.string))])
    }
}
