/// The Client API's conversations, `Public::Api::V1::Inboxes::ConversationsController` (`config/routes.rb`, under
/// `public/api/v1/inboxes/:inbox_id/contacts/:contact_id`): no token; the API inbox's `inbox_identifier` and the
/// contact inbox's `source_id` name the contact. Only `toggle_typing` and `update_last_seen`, what Baton calls.
enum PublicConversationsAPI {
    static let controller = "public/api/v1/inboxes/conversations"
    static let base = "/public/api/v1/inboxes/:inbox_identifier/contacts/:contact_identifier/conversations"

    static let routes: [Route] = [
        Route("POST", "\(base)/:conversation_id/toggle_typing", controller, "toggle_typing", isPublic: true, toggleTyping),
        Route("POST", "\(base)/:conversation_id/update_last_seen", controller, "update_last_seen", isPublic: true, updateLastSeen),
    ]

    /// `toggle_typing`: `typing_status` `on` or `off` (anything else does nothing), answered 200 with no body.
    static func toggleTyping(_ ctx: HandlerContext) async throws -> APIResponse {
        try await ctx.state.contactToggleTyping(
            inboxIdentifier: ctx.pathParams["inbox_identifier"] ?? "", sourceId: ctx.pathParams["contact_identifier"] ?? "",
            displayId: try ctx.pathInt("conversation_id"), typingStatus: ctx.params.string("typing_status"))
        return .head()
    }

    /// `update_last_seen`: answered 200 with no body.
    static func updateLastSeen(_ ctx: HandlerContext) async throws -> APIResponse {
        try await ctx.state.contactSawConversation(
            inboxIdentifier: ctx.pathParams["inbox_identifier"] ?? "", sourceId: ctx.pathParams["contact_identifier"] ?? "",
            displayId: try ctx.pathInt("conversation_id"))
        return .head()
    }
}
