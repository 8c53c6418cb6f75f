/// `Conversations::MessagesController`.
enum MessagesAPI {
    static let controller = "api/v1/accounts/conversations/messages"
    static let base = "/api/v1/accounts/:account_id/conversations/:conversation_id/messages"

    static let routes: [Route] = [
        Route("GET", base, controller, "index", index),
        Route("POST", base, controller, "create", create),
        Route("PATCH", "\(base)/:message_id", controller, "update", update),
        Route("DELETE", "\(base)/:message_id", controller, "destroy", destroy),
    ]

    /// The builder's view of message params (shared with conversation create's `message`).
    static func messageInput(_ p: Params) -> MessageInput {
        var input = MessageInput()
        input.content = p.string("content")
        input.messageType = p.presentString("message_type")
        input.isPrivate = p.bool("private") ?? false
        input.contentType = p.presentString("content_type")
        input.contentAttributes = p.object("content_attributes")
        input.sourceId = p.presentString("source_id")
        input.echoId = p.presentString("echo_id")
        input.externalCreatedAt = p.isPresent("external_created_at") ? p["external_created_at"] : nil
        input.senderType = p.string("sender_type")
        input.senderId = p.int("sender_id")
        input.campaignId = p.isPresent("campaign_id") ? p["campaign_id"] : nil
        input.templateParams = p.object("template_params")
        input.files = p.files.filter { $0.fieldName == "attachments[]" || $0.fieldName == "attachments" || $0.fieldName.hasPrefix("attachments[") }
        return input
    }

    static func create(_ ctx: HandlerContext) async throws -> APIResponse {
        let input = messageInput(ctx.params)
        do {
            let message = try await ctx.state.createMessage(ref: try ctx.conversationRef(), caller: ctx.caller, input: input)
            return .json(await ctx.presenter().messageAPI(message, echoId: input.echoId))
        } catch let error as MessageCreationError {
            // MessagesController#create rescues StandardError and renders the exception message.
            throw StandInAPIError.unprocessable(error.message)
        }
    }

    static func index(_ ctx: HandlerContext) async throws -> APIResponse {
        let (conversation, messages) = try await ctx.state.listMessages(
            ref: try ctx.conversationRef(), before: ctx.params.int("before"), after: ctx.params.int("after"))
        let presenter = await ctx.presenter()
        return .json(["meta": presenter.messagesIndexMeta(conversation), "payload": .array(messages.map { presenter.messageAPI($0) })])
    }

    static func update(_ ctx: HandlerContext) async throws -> APIResponse {
        let message = try await ctx.state.updateMessageStatus(
            ref: try ctx.conversationRef(), messageId: try ctx.pathInt("message_id"), status: ctx.params.string("status"),
            externalError: ctx.params.string("external_error"))
        return .json(await ctx.presenter().messageAPI(message))
    }

    static func destroy(_ ctx: HandlerContext) async throws -> APIResponse {
        let message = try await ctx.state.deleteMessage(ref: try ctx.conversationRef(), messageId: try ctx.pathInt("message_id"))
        return .json(await ctx.presenter().messageAPI(message))
    }
}
