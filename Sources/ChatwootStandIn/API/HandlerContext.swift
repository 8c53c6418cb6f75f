/// What a handler gets: the request, its parameters, the authenticated caller and the state.
struct HandlerContext: Sendable {
    let request: IncomingRequest
    let params: Params
    let pathParams: [String: String]
    let accountId: Int
    let caller: Caller
    let state: StandInState

    /// A path parameter as an integer (`find(params[:id])` casts the same way; non-numbers find nothing → 404).
    func pathInt(_ name: String) throws -> Int {
        guard let text = pathParams[name], let value = Int(text.prefix { $0.isNumber }) else { throw StandInAPIError.notFound }
        return value
    }

    /// The conversation reference of `/conversations/:conversation_id/...` routes.
    func conversationRef(_ name: String = "conversation_id") throws -> ConversationRef {
        ConversationRef(accountId: accountId, displayId: try pathInt(name))
    }

    /// True when the caller is an administrator of the account.
    var isAdmin: Bool {
        if case .user(let user) = caller { return user.roles[accountId] == .administrator }
        return false
    }

    /// Pundit for administrator-only actions (401, as Chatwoot renders Pundit denials).
    func requireAdmin() throws {
        guard isAdmin else { throw StandInAPIError.notPermitted }
    }

    /// A presenter over the current state.
    func presenter() async -> Presenter {
        await state.presenter()
    }
}

extension StandInState {
    func presenter() -> Presenter { Presenter(db: db, frontendURL: frontendURL) }
}
