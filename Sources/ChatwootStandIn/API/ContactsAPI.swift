/// `ContactsController`, `Contacts::ContactInboxesController`, `ContactInboxesController`.
enum ContactsAPI {
    static let routes: [Route] = [
        Route("POST", "/api/v1/accounts/:account_id/contacts", "api/v1/accounts/contacts", "create", create),
        Route("GET", "/api/v1/accounts/:account_id/contacts/search", "api/v1/accounts/contacts", "search", search),
        Route("POST", "/api/v1/accounts/:account_id/contacts/filter", "api/v1/accounts/contacts", "filter", filter),
        Route("GET", "/api/v1/accounts/:account_id/contacts/:id", "api/v1/accounts/contacts", "show", show),
        Route("GET", "/api/v1/accounts/:account_id/contacts/:id/conversations", "api/v1/accounts/contacts/conversations", "index", conversations),
        Route("POST", "/api/v1/accounts/:account_id/contacts/:id/contact_inboxes", "api/v1/accounts/contacts/contact_inboxes", "create", createContactInbox),
        Route("POST", "/api/v1/accounts/:account_id/contact_inboxes/filter", "api/v1/accounts/contact_inboxes", "filter", filterContactInboxes),
    ]

    static func create(_ ctx: HandlerContext) async throws -> APIResponse {
        let p = ctx.params
        let input = StandInState.ContactInput(
            name: p.string("name"), email: p.string("email"), phoneNumber: p.string("phone_number"), identifier: p.string("identifier"),
            blocked: p.bool("blocked"), additionalAttributes: p.object("additional_attributes"), customAttributes: p.object("custom_attributes"))
        let inboxId: Int? = p.isPresent("inbox_id") ? (p.int("inbox_id") ?? -1) : nil
        let (contact, link) = try await ctx.state.createContact(
            accountId: ctx.accountId, input: input, inboxId: inboxId, sourceId: p.presentString("source_id"))
        let presenter = await ctx.presenter()
        let inbox = link.flatMap { presenter.db.inbox($0.inboxId) }
        let body: JSONValue = [
            "payload": [
                "contact": presenter.contact(contact, withContactInboxes: true),
                "contact_inbox": ["inbox": inbox.map(presenter.inboxRecord) ?? .null, "source_id": .string(link?.sourceId)],
            ]
        ]
        return .json(body)
    }

    /// `current_page` echoes `params[:page]` (a string when given, 1 when absent).
    static func currentPage(_ p: Params) -> (JSONValue, Int) {
        guard let raw = p.string("page") else { return (1, 1) }
        return (.string(raw), max(Int(raw) ?? 1, 1))
    }

    static func search(_ ctx: HandlerContext) async throws -> APIResponse {
        guard let q = ctx.params.presentString("q") else { throw StandInAPIError.unprocessable("Specify search string with parameter q") }
        let (pageValue, page) = currentPage(ctx.params)
        let matches = await ctx.state.searchContacts(accountId: ctx.accountId, query: q)
        let window = Array(matches.dropFirst((page - 1) * 15).prefix(16))
        let results = Array(window.prefix(15))
        let presenter = await ctx.presenter()
        let withInboxes = ctx.params.string("include_contact_inboxes").map { $0 == "true" } ?? true
        return .json([
            "meta": ["count": .int(results.count), "current_page": pageValue, "has_more": .bool(window.count > 15)],
            "payload": .array(results.map { presenter.contact($0, withContactInboxes: withInboxes) }),
        ])
    }

    static func filter(_ ctx: HandlerContext) async throws -> APIResponse {
        let presenter = await ctx.presenter()
        let contacts = presenter.db.contacts(account: ctx.accountId)
        let customKeys = Set(contacts.flatMap(\.customAttributes.keys))
        let filter = try ContactFilter(payload: ctx.params["payload"], customKeys: customKeys)
        let matches = contacts.filter(filter.matches)
        let (pageValue, page) = currentPage(ctx.params)
        let results = matches.dropFirst((page - 1) * 15).prefix(15)
        return .json([
            "meta": ["count": .int(matches.count), "current_page": pageValue],
            "payload": .array(results.map { presenter.contact($0, withContactInboxes: true) }),
        ])
    }

    static func show(_ ctx: HandlerContext) async throws -> APIResponse {
        let id = try ctx.pathInt("id")
        let presenter = await ctx.presenter()
        guard let contact = presenter.db.contact(id), contact.accountId == ctx.accountId else { throw StandInAPIError.notFound }
        let withInboxes = ctx.params.string("include_contact_inboxes").map { $0 == "true" } ?? true
        return .json(["payload": presenter.contact(contact, withContactInboxes: withInboxes)])
    }

    /// `Contacts::ConversationsController#index`: the contact's latest 20 conversations by activity.
    static func conversations(_ ctx: HandlerContext) async throws -> APIResponse {
        let id = try ctx.pathInt("id")
        let presenter = await ctx.presenter()
        guard let contact = presenter.db.contact(id), contact.accountId == ctx.accountId else { throw StandInAPIError.notFound }
        let conversations = presenter.db.conversations(account: ctx.accountId).filter { $0.contactId == id }
            .sorted { ($0.lastActivityAt, $0.id) > ($1.lastActivityAt, $1.id) }.prefix(20)
        return .json(["payload": .array(conversations.map(presenter.conversationAPI))])
    }

    static func createContactInbox(_ ctx: HandlerContext) async throws -> APIResponse {
        let contactId = try ctx.pathInt("id")
        guard ctx.params.isPresent("inbox_id") else { throw StandInAPIError.parameterMissing("inbox_id") }
        let link = try await ctx.state.createContactInbox(
            accountId: ctx.accountId, contactId: contactId, inboxId: ctx.params.int("inbox_id") ?? -1, sourceId: ctx.params.presentString("source_id"),
            hmacVerified: ctx.params.bool("hmac_verified") ?? false)
        let presenter = await ctx.presenter()
        guard let inbox = presenter.db.inbox(link.inboxId) else { throw StandInAPIError.notFound }
        return .json(["source_id": .string(link.sourceId), "inbox": presenter.inboxSlim(inbox)])
    }

    static func filterContactInboxes(_ ctx: HandlerContext) async throws -> APIResponse {
        let presenter = await ctx.presenter()
        guard let inboxId = ctx.params.int("inbox_id"), let inbox = presenter.db.inbox(inboxId), inbox.accountId == ctx.accountId else {
            throw StandInAPIError.notFound
        }
        let sourceId = ctx.params.string("source_id")
        guard let link = presenter.db.contactInboxes.first(where: { $0.inboxId == inbox.id && $0.sourceId == sourceId }),
            let contact = presenter.db.contact(link.contactId)
        else {
            // `head :not_found`: an empty 404.
            return .head(404)
        }
        return .json(presenter.contact(contact, withContactInboxes: true))
    }
}
