/// The data a fresh stand-in is usually given (see ``ChatwootStandIn/seedDefaults(webhookURL:secret:)``).
public struct DefaultSeed: Sendable {
    public let account: Account
    /// An API inbox whose webhooks go to the given URL.
    public let inbox: Inbox
    /// An administrator (can create agent bots, sees inbox secrets).
    public let administrator: User
    /// An agent (role `agent`), a member of ``inbox``.
    public let agent: User
}

extension ChatwootStandIn {
    /// Account 1 "Acme Support", API inbox "Bot Handover" and two users (administrator Alex, agent Maria, who is a
    /// member of the inbox; administrators are not members unless added).
    @discardableResult
    public func seedDefaults(webhookURL: String? = nil, secret: String? = nil) async -> DefaultSeed {
        let account = await createAccount(name: "Acme Support")
        let inbox = await createInbox(account: account.id, name: "Bot Handover", webhookURL: webhookURL, secret: secret)
        let administrator = await createUser(name: "Alex Admin", email: "alex@acme.example", roles: [account.id: .administrator])
        let agent = await createUser(name: "Maria Schmidt", displayName: "Maria", email: "maria@acme.example", roles: [account.id: .agent])
        let member = (try? await addInboxMembers(inbox: inbox.id, users: [agent.id])) ?? inbox
        return DefaultSeed(account: account, inbox: member, administrator: administrator, agent: agent)
    }

    /// Creates an account (ids count up from 1 unless given).
    @discardableResult
    public func createAccount(id: Int? = nil, name: String) async -> Account {
        await state.createAccount(id: id, name: name)
    }

    /// Suspends or reactivates an account (suspended accounts answer 401 `Account is suspended`).
    public func setAccountSuspended(_ accountId: Int, _ suspended: Bool) async {
        await state.setAccountSuspended(accountId, suspended)
    }

    /// Creates an inbox. API inboxes send webhooks to `webhookURL`, signed with `secret` (random when nil).
    @discardableResult
    public func createInbox(
        account: Int, id: Int? = nil, name: String, channel: InboxChannel = .api, webhookURL: String? = nil, secret: String? = nil,
        hmacToken: String? = nil, inboxIdentifier: String? = nil, lockToSingleConversation: Bool = false
    ) async -> Inbox {
        await state.createInbox(
            id: id, accountId: account, name: name, channel: channel, webhookURL: webhookURL, secret: secret, hmacToken: hmacToken,
            inboxIdentifier: inboxIdentifier, lockToSingleConversation: lockToSingleConversation)
    }

    /// Changes an inbox's webhook URL (nil or empty: no webhooks).
    public func setWebhookURL(_ url: String?, inbox: Int) async {
        _ = await state.updateInboxTransaction(inbox) { $0.webhookURL = url }
    }

    /// Creates a user with a role per account id and an access token (random when nil).
    @discardableResult
    public func createUser(
        id: Int? = nil, name: String, displayName: String? = nil, email: String, accessToken: String? = nil, roles: [Int: UserRole]
    ) async -> User {
        await state.createUser(id: id, name: name, displayName: displayName, email: email, accessToken: accessToken, roles: roles)
    }

    /// Adds, changes or (with nil) removes a user's membership of an account.
    public func setRole(user: Int, account: Int, role: UserRole?) async {
        await state.setRole(userId: user, accountId: account, role: role)
    }

    /// Creates an agent bot owned by `account` (nil: a system bot) with an access token (random when nil).
    @discardableResult
    public func createAgentBot(
        id: Int? = nil, account: Int?, name: String, description: String? = nil, outgoingURL: String? = nil, accessToken: String? = nil
    ) async -> AgentBot {
        await state.createAgentBot(
            id: id, accountId: account, name: name, description: description, outgoingURL: outgoingURL, accessToken: accessToken,
            botConfig: .emptyObject)
    }

    /// Connects a bot to an inbox (new conversations there start `pending`); nil disconnects.
    public func connectAgentBot(_ botId: Int?, toInbox inboxId: Int) async throws {
        try await state.connectAgentBotTransaction(botId, inboxId: inboxId, accountId: await state.db.inbox(inboxId)?.accountId ?? -1)
    }

    /// Creates a team in the account (its name is downcased, as Chatwoot saves it).
    @discardableResult
    public func createTeam(account: Int, name: String, description: String? = nil, allowAutoAssign: Bool = true) async -> Team {
        await state.createTeam(accountId: account, name: name, description: description, allowAutoAssign: allowAutoAssign)
    }

    /// Sets the account's `keep_pending_on_bot_failure` (a failed agent-bot webhook then leaves conversations pending).
    public func setKeepPendingOnBotFailure(_ keep: Bool, account: Int) async {
        await state.setKeepPendingOnBotFailure(keep, accountId: account)
    }

    /// Changes an agent bot's `outgoing_url` (nil or empty: it gets no webhooks).
    public func setOutgoingURL(_ url: String?, agentBot botId: Int) async {
        await state.setOutgoingURL(url, botId: botId)
    }

    /// Lowers or raises the messages-per-minute flood guard at runtime.
    public func setMessagesPerMinuteLimit(_ limit: Int) async {
        await state.setMessagesPerMinuteLimit(limit)
    }
}
