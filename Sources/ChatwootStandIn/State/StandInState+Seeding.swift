/// Setup operations (what an installation's admin or the Platform API would do). Not checked against swagger.
extension StandInState {
    func createAccount(id: Int?, name: String) -> Account {
        let accountId = id ?? nextId("account")
        bumpSequence("account", past: accountId)
        let account = Account(id: accountId, name: name, suspended: false, lastDisplayId: 0)
        db.accounts.append(account)
        didChange()
        return account
    }

    func createTeam(accountId: Int, name: String, description: String?, allowAutoAssign: Bool) -> Team {
        let team = Team(id: nextId("team"), accountId: accountId, name: name.lowercased(), description: description, allowAutoAssign: allowAutoAssign,
            createdAt: now())
        db.teams.append(team)
        didChange()
        return team
    }

    func setKeepPendingOnBotFailure(_ keep: Bool, accountId: Int) {
        guard let index = accountIndex(accountId) else { return }
        db.accounts[index].keepPendingOnBotFailure = keep
        didChange()
    }

    func setOutgoingURL(_ url: String?, botId: Int) {
        guard let index = agentBotIndex(botId) else { return }
        db.agentBots[index].outgoingURL = url
        didChange()
    }

    func setAccountSuspended(_ accountId: Int, _ suspended: Bool) {
        guard let index = accountIndex(accountId) else { return }
        db.accounts[index].suspended = suspended
        didChange()
    }

    func createUser(id: Int?, name: String, displayName: String?, email: String, accessToken: String?, roles: [Int: UserRole]) -> User {
        let userId = id ?? nextId("user")
        bumpSequence("user", past: userId)
        let user = User(
            id: userId, name: name, displayName: displayName, email: email, accessToken: accessToken ?? Tokens.secure(), roles: roles)
        db.users.append(user)
        didChange()
        return user
    }

    func setRole(userId: Int, accountId: Int, role: UserRole?) {
        guard let index = db.users.firstIndex(where: { $0.id == userId }) else { return }
        db.users[index].roles[accountId] = role
        didChange()
    }

    func createInbox(
        id: Int?, accountId: Int, name: String, channel: InboxChannel, webhookURL: String?, secret: String?, hmacToken: String?,
        inboxIdentifier: String?, lockToSingleConversation: Bool
    ) -> Inbox {
        let inboxId = id ?? nextId("inbox")
        bumpSequence("inbox", past: inboxId)
        let now = now()
        let inbox = Inbox(
            id: inboxId, accountId: accountId, name: name, channel: channel, channelId: nextId("channel:\(channel.rawValue)"),
            webhookURL: webhookURL, secret: secret ?? Tokens.secure(), hmacToken: hmacToken ?? Tokens.secure(),
            inboxIdentifier: inboxIdentifier ?? Tokens.secure(), agentBotId: nil, lockToSingleConversation: lockToSingleConversation,
            createdAt: now, updatedAt: now)
        db.inboxes.append(inbox)
        didChange()
        return inbox
    }

    func updateInbox(_ inboxId: Int, _ change: (inout Inbox) -> Void) -> Inbox? {
        guard let index = inboxIndex(inboxId) else { return nil }
        change(&db.inboxes[index])
        db.inboxes[index].updatedAt = now()
        didChange()
        return db.inboxes[index]
    }

    func createAgentBot(id: Int?, accountId: Int?, name: String, description: String?, outgoingURL: String?, accessToken: String?, botConfig: JSONValue)
        -> AgentBot
    {
        let botId = id ?? nextId("agent_bot")
        bumpSequence("agent_bot", past: botId)
        let bot = AgentBot(
            id: botId, accountId: accountId, name: name, description: description, outgoingURL: outgoingURL,
            accessToken: accessToken ?? Tokens.secure(), secret: Tokens.secure(), botConfig: botConfig, createdAt: now())
        db.agentBots.append(bot)
        didChange()
        return bot
    }

    /// `POST /inboxes/{id}/set_agent_bot` / the dashboard's bot setting; nil disconnects.
    func connectAgentBot(_ botId: Int?, inboxId: Int) throws {
        guard let index = inboxIndex(inboxId) else { throw StandInAPIError.notFound }
        if let botId, db.agentBot(botId) == nil { throw StandInAPIError.notFound }
        db.inboxes[index].agentBotId = botId
        didChange()
    }
}

extension StandInState {
    /// `AgentBuilder`: the user with `email` joins the account with `role`, created when there is none.
    func addAgent(accountId: Int, email: String, name: String?, role: UserRole) throws -> User {
        if let existing = db.users.first(where: { $0.email.lowercased() == email }) {
            guard existing.roles[accountId] == nil else { throw StandInAPIError.unprocessable("Email has already been taken") }
            setRole(userId: existing.id, accountId: accountId, role: role)
            return db.users.first { $0.id == existing.id } ?? existing
        }
        let fallback = String(email.prefix { $0 != "@" })
        return createUser(id: nil, name: name ?? fallback, displayName: nil, email: email, accessToken: nil, roles: [accountId: role])
    }
}
