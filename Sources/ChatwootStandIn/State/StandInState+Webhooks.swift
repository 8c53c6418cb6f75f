/// The state side of webhook delivery: building payloads at delivery time and recording outcomes.
extension StandInState {
    /// The URL, secret and body for an event, or nil when there is nothing to send (no webhook URL, or an
    /// activity message, which `Message#webhook_sendable?` excludes).
    func prepareWebhook(_ event: WebhookEvent) -> PreparedWebhook? {
        guard let inbox = db.inbox(event.inboxId), inbox.channel == .api, let url = inbox.webhookURL, !url.isEmpty else { return nil }
        if let messageId = event.messageId, db.message(messageId)?.messageType == .activity { return nil }
        let presenter = Presenter(db: db, frontendURL: frontendURL)
        guard let body = presenter.webhookBody(event) else { return nil }
        let displayId = event.conversationId.flatMap { db.conversation(id: $0)?.displayId } ?? event.messageId.flatMap { db.message($0)?.conversationDisplayId }
        return PreparedWebhook(eventName: event.name, inboxId: event.inboxId, messageId: event.messageId, url: url, secret: inbox.secret, body: JSONWriter.bytes(body), conversationDisplayId: displayId)
    }

    func recordDelivery(prepared: PreparedWebhook, deliveryId: String, outcome: WebhookPoster.Outcome, isDuplicate: Bool) {
        appendDelivery { id in
            WebhookDelivery(
                id: id, deliveryId: deliveryId, event: prepared.eventName, inboxId: prepared.inboxId, url: prepared.url, body: prepared.body,
                headers: outcome.headers, messageId: prepared.messageId, conversationDisplayId: prepared.conversationDisplayId,
                statusCode: outcome.statusCode, error: outcome.error, isDuplicate: isDuplicate, startedAt: outcome.startedAt,
                finishedAt: outcome.finishedAt)
        }
    }

    func webhookFinished() {
        db.pendingWebhooks = max(0, db.pendingWebhooks - 1)
        didChange()
    }
}
