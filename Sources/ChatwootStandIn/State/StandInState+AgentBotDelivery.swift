import Foundation

/// One agent-bot webhook to send: `AgentBots::WebhookJob.perform_later(outgoing_url, payload, secret:, delivery_id:)`.
/// URL, secret and body are captured when the event is dispatched (`app/listeners/agent_bot_listener.rb`); every
/// attempt of it carries the same delivery id.
struct AgentBotDelivery: Sendable {
    let eventName: String
    let botId: Int
    let inboxId: Int
    let messageId: Int?
    let conversationDisplayId: Int?
    let url: String
    let secret: String
    let body: [UInt8]
    let deliveryId: String
    /// 1 for the first POST; `AgentBots::WebhookJob` makes at most 3.
    var attempt = 1
}

extension StandInState {
    /// The deliveries of one event: one per recipient bot with an `outgoing_url` (`AgentBotListener#agent_bots_for`:
    /// the conversation's `assignee_agent_bot` and the inbox's active bot, once each), the payload built now.
    func agentBotDeliveries(_ event: WebhookEvent) -> [AgentBotDelivery] {
        // `Message#webhook_sendable?`: activity messages are never sent.
        if let messageId = event.messageId, db.message(messageId)?.messageType == .activity { return [] }
        let conversation: Conversation? =
            if let id = event.conversationId { db.conversation(id: id) } else if let messageId = event.messageId {
                db.message(messageId).flatMap { db.conversation(id: $0.conversationId) }
            } else { nil }
        var botIds: [Int] = []
        if let assigned = conversation?.assigneeAgentBotId { botIds.append(assigned) }
        if let inboxBot = db.inbox(event.inboxId)?.agentBotId, !botIds.contains(inboxBot) { botIds.append(inboxBot) }
        let bots = botIds.compactMap { db.agentBot($0) }.filter { !($0.outgoingURL ?? "").isEmpty }
        guard !bots.isEmpty, let body = Presenter(db: db, frontendURL: frontendURL).webhookBody(event) else { return [] }
        let bytes = JSONWriter.bytes(body)
        return bots.map { bot in
            AgentBotDelivery(
                eventName: event.name, botId: bot.id, inboxId: event.inboxId, messageId: event.messageId, conversationDisplayId: conversation?.displayId,
                url: bot.outgoingURL ?? "", secret: bot.secret, body: bytes, deliveryId: UUID().uuidString.lowercased())
        }
    }

    /// `Webhooks::Trigger#handle_error` for agent bots after the final failed attempt: only for message events
    /// whose message still exists, and only when its conversation is `pending` now: it is opened (`open!`) with an
    /// activity message, unless the account keeps pending conversations on bot failure.
    func agentBotDeliveryFailed(messageId: Int) {
        guard let message = db.message(messageId), let conversation = db.conversation(id: message.conversationId), conversation.status == .pending,
            db.account(conversation.accountId)?.keepPendingOnBotFailure != true
        else { return }
        try? transaction {
            saveConversation(conversation.id, caller: .none) { $0.status = .open }
            createActivityMessage(conversationId: conversation.id, content: "Conversation was marked open by system due to an error with the agent bot.")
        }
    }

    func recordBotDelivery(_ delivery: AgentBotDelivery, outcome: WebhookPoster.Outcome) {
        appendDelivery { id in
            WebhookDelivery(
                id: id, deliveryId: delivery.deliveryId, event: delivery.eventName, inboxId: delivery.inboxId, url: delivery.url, body: delivery.body,
                headers: outcome.headers, messageId: delivery.messageId, conversationDisplayId: delivery.conversationDisplayId,
                statusCode: outcome.statusCode, error: outcome.error, isDuplicate: false, startedAt: outcome.startedAt,
                finishedAt: outcome.finishedAt, agentBotId: delivery.botId, attempt: delivery.attempt)
        }
    }
}
