// Like StandInHarness.swift, this imports the stand-in but not BatonCore, and talks in plain values.
import ChatwootStandIn
import Foundation

/// Channel inboxes (WhatsApp, Instagram, the website widget) answered by Baton's agent bot.
extension StandInHarness {
    /// A bot message as the contact's conversation holds it.
    struct BotMessage: Sendable, Hashable {
        var id: Int
        var content: String?
        var contentType: String
        var options: [String]
        var isPrivate: Bool
        var status: String
    }

    /// Creates an inbox of `kind` (`whatsapp`, `instagram`, `webwidget`); returns its id.
    func channelInbox(_ kind: String, name: String) async -> Int {
        let channel: InboxChannel =
            switch kind {
            case "whatsapp": .whatsapp
            case "instagram": .instagram
            case "webwidget": .webWidget
            default: .sms
            }
        return await standIn.createInbox(account: accountID, name: name, channel: channel).id
    }

    /// The contact writes in their channel; returns the conversation it landed in and the message id.
    @discardableResult
    func contactWrites(inbox: Int, from source: String, name: String, _ text: String) async throws -> (conversation: Int, message: Int) {
        let message = try await standIn.contactWrites(inbox: inbox, as: ChannelContact(sourceId: source, name: name, phoneNumber: source.allSatisfy(\.isNumber) ? "+\(source)" : nil), content: text)
        return (message.conversationDisplayId, message.id)
    }

    /// The bot's messages (public and private) in the conversation, in order.
    func botMessages(_ conversation: Int) async -> [BotMessage] {
        await standIn.messages(ref(conversation)).filter { $0.sender?.typeName == "AgentBot" }.map(Self.botMessage)
    }

    /// Waits until the conversation holds `count` public bot messages; returns them.
    @discardableResult
    func waitForBotMessages(_ conversation: Int, count: Int, timeout: Duration = .seconds(10)) async throws -> [BotMessage] {
        try await standIn.waitForMessages(ref(conversation), count: count, timeout: timeout) { message in
            message.sender?.typeName == "AgentBot" && !message.isPrivate
        }.map(Self.botMessage)
    }

    static func botMessage(_ message: Message) -> BotMessage {
        let items = message.contentAttributes["items"]?.arrayValue ?? []
        return BotMessage(
            id: message.id, content: message.content, contentType: message.contentType, options: items.compactMap { $0["title"]?.stringValue },
            isPrivate: message.isPrivate, status: message.status.rawValue)
    }

    /// The agent bot Baton set up, with its `outgoing_url`, once it is connected to `inbox` (and, when given, posts
    /// to `outgoingURL`).
    func waitForConnectedBot(inbox: Int, outgoingURL wanted: String? = nil) async throws -> (id: Int, outgoingURL: String?) {
        try await standIn.waitUntil(timeout: .seconds(20), "a bot connected to inbox \(inbox)") { snapshot in
            guard let botID = snapshot.inbox(inbox)?.agentBotId, let bot = snapshot.agentBots.first(where: { $0.id == botID }),
                let url = bot.outgoingURL, !url.isEmpty, wanted == nil || url == wanted
            else { return nil }
            return (bot.id, url)
        }
    }

    /// A widget visitor taps an option of the bot's message.
    func widgetChooses(_ title: String, value: String, message: Int) async throws {
        _ = try await standIn.widgetChooses(title, value: value, message: message)
    }

    /// Agent-bot webhooks: retries come after `retryWait`; `copies` deliveries of each, shuffled within `window`.
    func agentBotWebhooks(retryWait: Duration = .milliseconds(50), copies: Int = 1, shuffleWindow: Duration? = nil) {
        standIn.updateWebhookOptions {
            $0.agentBotRetryWait = retryWait
            $0.deliveryCopies = copies
            if let shuffleWindow { $0.order = .shuffled(window: shuffleWindow) }
        }
    }

    /// Fails the next `count` agent-bot webhook attempts with `status`.
    func failAgentBotWebhooks(_ count: Int, status: Int) { standIn.failNextAgentBotWebhooks(count, with: .status(status)) }

    /// Whether the conversation has Chatwoot's "marked open … error with the agent bot" activity.
    func hasBotFailureActivity(_ conversation: Int) async -> Bool {
        await standIn.messages(ref(conversation)).contains { $0.messageType == .activity && $0.content?.contains("error with the agent bot") == true }
    }

    func waitForWebhooksIdle() async throws { try await standIn.waitForWebhooksIdle(timeout: .seconds(20)) }

    /// The files of message `id`: name, content type and size.
    func attachments(of id: Int, in conversation: Int) async -> [(name: String, contentType: String, size: Int)] {
        await standIn.messages(ref(conversation)).first { $0.id == id }?.attachments.map { ($0.filename, $0.contentType, $0.byteSize) } ?? []
    }

    /// Creates a team; returns its id.
    func createTeam(_ name: String) async -> Int { await standIn.createTeam(account: accountID, name: name).id }

    /// Where the conversation is routed: team, assignee, priority, labels and its custom attributes as text.
    func routing(of conversation: Int) async -> (team: Int?, assignee: Int?, priority: String?, labels: [String], attributes: [String: String]) {
        guard let found = await standIn.conversation(ref(conversation)) else { return (nil, nil, nil, [], [:]) }
        var attributes: [String: String] = [:]
        if case .object(let members) = found.customAttributes {
            for (key, value) in members { attributes[key] = value.stringValue ?? value.intValue.map(String.init) ?? "\(value)" }
        }
        return (found.teamId, found.assigneeId, found.priority, found.labels, attributes)
    }

    /// Waits until the conversation has labels (routing is applied after it is created); returns its routing.
    func waitForLabels(_ conversation: Int) async throws -> (team: Int?, assignee: Int?, priority: String?, labels: [String], attributes: [String: String]) {
        let target = ref(conversation)
        _ = try await standIn.waitUntil(timeout: .seconds(10), "labels on \(conversation)") { snapshot in
            snapshot.conversation(target).flatMap { $0.labels.isEmpty ? nil : true }
        }
        return await routing(of: conversation)
    }

    /// A widget visitor has a conversation without a message yet (the widget's pre-chat form made it) and opens
    /// the widget; returns the conversation.
    func widgetVisitorOpens(inbox: Int, source: String, name: String) async throws -> Int {
        let conversation = try await standIn.startConversation(inbox: inbox, contactName: name, sourceId: source)
        try await standIn.widgetOpened(inbox: inbox, by: ChannelContact(sourceId: source, name: name))
        return conversation.displayId
    }

    /// The visitor opens the widget again.
    func widgetOpenedAgain(inbox: Int, source: String, name: String) async throws {
        try await standIn.widgetOpened(inbox: inbox, by: ChannelContact(sourceId: source, name: name))
    }

    /// The contact's platform could not deliver `message` (WhatsApp's status `failed`).
    func platformFails(_ message: Int, error: String) async {
        await standIn.platformFails(message: message, error: error)
    }

    /// The body of the agent bot's `message_created` for message `id`, as if it were message `newID` (a message
    /// made at that moment whose webhook comes late): Chatwoot's view of the conversation in it is as old as it is.
    func lateCopy(ofMessage id: Int, as newID: Int) async throws -> Data {
        let delivery = try await standIn.waitUntil(timeout: .seconds(10), "the bot's copy of message \(id)") { snapshot in
            snapshot.deliveries.first { $0.agentBotId != nil && $0.event == "message_created" && $0.messageId == id }
        }
        guard let json = delivery.json else { throw StandInAPIError.internalServerError }
        return Data(JSONWriter.bytes(json.setting("id", .int(newID))))
    }

    /// The agent takes the conversation (assigns it to themself).
    func take(_ conversation: Int) async throws { try await standIn.agent(agentID).assign(ref(conversation), to: agentID) }

    /// Removes every injected fault.
    func clearFaults() { standIn.clearFaults() }

    /// The agent gives the conversation back to the bot without resolving it.
    func markPending(_ conversation: Int) async throws { try await standIn.agent(agentID).markPending(ref(conversation)) }

    /// The agent assigns the conversation to the agent bot `bot`.
    func assignToBot(_ conversation: Int, bot: Int) async throws { try await standIn.agent(agentID).assignToBot(ref(conversation), bot: bot) }

    /// The agent bot's webhook secret.
    func botSecret(_ bot: Int) async -> String? { await standIn.snapshot().agentBots.first { $0.id == bot }?.secret }

    /// How many messages with this exact content the conversation holds.
    func count(_ content: String, in conversation: Int) async -> Int {
        await standIn.messages(ref(conversation)).filter { $0.content == content }.count
    }
}
