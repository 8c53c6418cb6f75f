import BatonCore
import HTTPTypes

/// The contact's side of the agent-bot webhooks: their messages and widget choices, and what a new session knows.
extension AgentBotWebhookController {
    /// The contact's message (or widget choice): its session found or opened (with what Chatwoot shows of the
    /// contact), then given to the bot while the conversation is the bot's, or stored for the transcript while
    /// humans have it (the flow relays it to the handover, which posts nothing: it is in Chatwoot already).
    func contactWrote(
        _ text: String, attachments: [Attachment], choice: String?, clientID: String, in conversation: InboxConversation, channel: Channel
    ) async throws -> (BatonMetrics.WebhookOutcome, String) {
        do {
            return try await contactWroteOnce(text, attachments: attachments, choice: choice, clientID: clientID, in: conversation, channel: channel)
        } catch SessionStoreError.sessionNotFound {
            // The session was deleted between its look-up and the write (the retention's sweep, an erasure): once more
            // opens a new one. Failed, the webhook would make Chatwoot give the conversation to humans.
            return try await contactWroteOnce(text, attachments: attachments, choice: choice, clientID: clientID, in: conversation, channel: channel)
        }
    }

    func contactWroteOnce(
        _ text: String, attachments: [Attachment], choice: String?, clientID: String, in conversation: InboxConversation, channel: Channel
    ) async throws -> (BatonMetrics.WebhookOutcome, String) {
        let endpoint = channel.endpoint
        let botHasIt = conversation.status == "pending" || conversation.assignedBotID != nil
        // No separate start: the contact's first message starts the flow from the top, intents first, as its input.
        let opened = try await conversations.openSession(
            endpoint: endpoint, userID: ChatwootInboxChannel.userID(accountID: conversation.accountID, conversationID: conversation.conversationID),
            channel: .chatwoot, profile: Self.profile(of: conversation), start: false)
        var session = opened.session
        // Status events find the session by this link. A session without messages is new (or its first message
        // failed before it was stored): link it; later messages need no write for it.
        if session.lastMessageID == 0 { try await store.link(endpointID: endpoint.id, conversationKey: key(conversation), to: session.id) }
        // The payload is Chatwoot's view when the message was made, and deliveries overtake each other: a status
        // read from it counts only when it is newer than the last status event applied (`updatedAt`).
        let at = conversation.updatedAt
        if !botHasIt, conversation.status == "open", session.state.handover?.isLive != true {
            // Humans took it while the bot was not looking (or before the bot was connected).
            try await apply(.deskTookOver(conversationID: conversation.conversationID, inboxID: conversation.inboxID, updatedAt: at), sessionID: session.id, channel: channel)
            session = try await store.session(id: session.id) ?? session
        } else if botHasIt, let handover = session.state.handover, handover.phase == .active, let at, let last = handover.statusUpdatedAt, at > last {
            // Given back to the bot (pending again, or assigned to it) and the status event has not come yet. Without
            // a known status time the message may be older than the handover: it goes to the agents.
            try await conversations.handover(
                .returnedToBot(conversationID: conversation.conversationID, updatedAt: at, resolution: conversation.resolution), sessionID: session.id, endpoint: endpoint)
            session = try await store.session(id: session.id) ?? session
        }
        var payload = choice
        if payload == nil { payload = try await chosenOption(text, session: session) }
        let input = UserInput(text: text, payload: payload)
        do {
            let turn = try await conversations.receive(input, attachments: attachments, clientMessageID: clientID, in: session.id, endpoint: endpoint)
            return turn.duplicate ? (.duplicate, "already received") : (.applied, "received")
        } catch let error as MessageLimitError {
            // Chatwoot retries a 429 and then gives the conversation to humans, who can deal with a flood.
            throw APIError(.tooManyRequests, "rate_limited", error.description)
        }
    }

    /// The quick reply the contact's words pick from the bot's latest message, if it offered any.
    func chosenOption(_ text: String, session: Session) async throws -> String? {
        let recent = try await store.messages(sessionID: session.id, after: max(0, session.lastMessageID - 20), limit: 20)
        guard let offer = recent.last(where: { $0.sender == .bot }), !offer.content.quickReplies.isEmpty else { return nil }
        return InboxChannelKind.chosen(text, among: offer.content.quickReplies)?.payload
    }

    /// What a new session's profile says of the contact and of the Chatwoot conversation.
    static func profile(of conversation: InboxConversation) -> JSONValue {
        var profile: [String: JSONValue] = [:]
        if let name = conversation.contact.name, !name.isEmpty { profile["name"] = .string(name) }
        if let email = conversation.contact.email, !email.isEmpty { profile["email"] = .string(email) }
        if let phone = conversation.contact.phoneNumber, !phone.isEmpty { profile["phone"] = .string(phone) }
        var chatwoot: [String: JSONValue] = [
            "conversationId": .number(Double(conversation.conversationID)), "inboxId": .number(Double(conversation.inboxID)),
            "channelType": .string(conversation.channelType), "channel": .string(InboxChannelKind(channelType: conversation.channelType).name),
        ]
        if let contact = conversation.contact.id { chatwoot["contactId"] = .number(Double(contact)) }
        profile["chatwoot"] = .object(chatwoot)
        return .object(profile)
    }
}
