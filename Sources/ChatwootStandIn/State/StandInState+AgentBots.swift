/// Account agent-bot CRUD (`AgentBotsController`).
extension StandInState {
    struct AgentBotInput: Sendable {
        var name: String?
        var description: String?
        var outgoingURL: String?
        var botConfig: JSONValue?
    }

    /// Bots an account can see: its own and system bots (`AgentBot.where(account_id: [nil, account])`).
    func visibleAgentBots(accountId: Int) -> [AgentBot] {
        db.agentBots.filter { $0.accountId == nil || $0.accountId == accountId }
    }

    func validateAgentBot(_ input: AgentBotInput) throws {
        var errors: [(attribute: String, message: String)] = []
        if let name = input.name, name.rubyLength > 255 { errors.append(("name", "Name is too long (maximum is 255 characters)")) }
        if let description = input.description, description.rubyLength > 255 {
            errors.append(("description", "Description is too long (maximum is 255 characters)"))
        }
        if let url = input.outgoingURL, url.rubyLength > 2048 { errors.append(("outgoing_url", "Outgoing url is too long (maximum is 2048 characters)")) }
        if !errors.isEmpty { throw StandInAPIError.recordInvalid(errors) }
    }

    func createAgentBot(accountId: Int, input: AgentBotInput) throws -> AgentBot {
        try transaction {
            try validateAgentBot(input)
            return createAgentBot(
                id: nil, accountId: accountId, name: input.name ?? "", description: input.description, outgoingURL: input.outgoingURL,
                accessToken: nil, botConfig: input.botConfig ?? .emptyObject)
        }
    }

    func updateAgentBot(accountId: Int, botId: Int, input: AgentBotInput) throws -> AgentBot {
        try transaction {
            guard let index = agentBotIndex(botId), db.agentBots[index].accountId == accountId else { throw StandInAPIError.notFound }
            try validateAgentBot(input)
            if let name = input.name { db.agentBots[index].name = name }
            if let description = input.description { db.agentBots[index].description = description }
            if let url = input.outgoingURL { db.agentBots[index].outgoingURL = url }
            if let config = input.botConfig { db.agentBots[index].botConfig = config }
            return db.agentBots[index]
        }
    }

    func deleteAgentBot(accountId: Int, botId: Int) throws {
        try transaction {
            guard let index = agentBotIndex(botId), db.agentBots[index].accountId == accountId else { throw StandInAPIError.notFound }
            db.agentBots.remove(at: index)
            for i in db.inboxes.indices where db.inboxes[i].agentBotId == botId { db.inboxes[i].agentBotId = nil }
        }
    }

    /// `POST /inboxes` for API channels (`{"name", "channel":{"type":"api","webhook_url"}}`).
    func createAPIInbox(accountId: Int, name: String, webhookURL: String?) throws -> Inbox {
        try transaction {
            if name.isEmpty { throw StandInAPIError.recordInvalid([("name", "Name can't be blank")]) }
            return createInbox(
                id: nil, accountId: accountId, name: name, channel: .api, webhookURL: webhookURL, secret: nil, hmacToken: nil, inboxIdentifier: nil,
                lockToSingleConversation: false)
        }
    }
}

extension StandInState {
    func updateInboxTransaction(_ inboxId: Int, _ change: (inout Inbox) -> Void) -> Inbox? {
        let result = updateInbox(inboxId, change)
        commit()
        return result
    }

    /// `set_agent_bot`: the bot must be visible to the account (its own or a system bot).
    func connectAgentBotTransaction(_ botId: Int?, inboxId: Int, accountId: Int) throws {
        try transaction {
            if let botId {
                guard let bot = db.agentBot(botId), bot.accountId == nil || bot.accountId == accountId else { throw StandInAPIError.notFound }
            }
            try connectAgentBot(botId, inboxId: inboxId)
        }
    }
}
