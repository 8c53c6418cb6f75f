extension Presenter {
    /// Messages of a conversation in creation order.
    func messages(of conversation: Conversation) -> [Message] {
        db.messages.filter { $0.conversationId == conversation.id }
    }

    /// `views/api/v1/conversations/partials/_conversation.json.jbuilder` (REST).
    func conversationAPI(_ conversation: Conversation) -> JSONValue {
        let all = messages(of: conversation)
        var meta: [(String, JSONValue)] = []
        if let contact = db.contact(conversation.contactId) { meta.append(("sender", self.contact(contact, withContactInboxes: false))) }
        meta.append(("channel", .string(db.inbox(conversation.inboxId)?.channel.rawValue)))
        if let botId = conversation.assigneeAgentBotId, let bot = db.agentBot(botId) {
            meta.append(("assignee", agentBotSlim(bot)))
            meta.append(("assignee_type", "AgentBot"))
        } else if let userId = conversation.assigneeId, let user = db.user(userId) {
            meta.append(("assignee", agent(user, accountId: conversation.accountId)))
            meta.append(("assignee_type", "User"))
        }
        if let team = conversation.teamId.flatMap({ db.team($0) }) { meta.append(("team", self.team(team))) }
        meta.append(("hmac_verified", .bool(db.contactInbox(conversation.contactInboxId)?.hmacVerified ?? false)))
        let lastNonActivity = all.last { $0.messageType != .activity }
        return [
            "meta": .object(meta),
            "id": .int(conversation.displayId),
            "messages": .array(all.last.map { [messagePush($0)] } ?? []),
            "account_id": .int(conversation.accountId),
            "uuid": .string(conversation.uuid),
            "additional_attributes": conversation.additionalAttributes,
            "agent_last_seen_at": .int(conversation.agentLastSeenAt?.unixSeconds ?? 0),
            "assignee_last_seen_at": .int(conversation.assigneeLastSeenAt?.unixSeconds ?? 0),
            "can_reply": true,
            "contact_last_seen_at": .int(conversation.contactLastSeenAt?.unixSeconds ?? 0),
            "custom_attributes": conversation.customAttributes,
            "inbox_id": .int(conversation.inboxId),
            "labels": .array(conversation.labels.map(JSONValue.string)),
            "muted": false,
            "snoozed_until": .string(conversation.snoozedUntil?.iso8601),
            "status": .string(conversation.status.rawValue),
            "created_at": .int(conversation.createdAt.unixSeconds),
            "updated_at": .double(conversation.updatedAt.floatSeconds),
            "timestamp": .int(conversation.lastActivityAt.unixSeconds),
            "first_reply_created_at": .int(conversation.firstReplyCreatedAt?.unixSeconds ?? 0),
            "unread_count": .int(unreadCount(conversation)),
            "last_non_activity_message": lastNonActivity.map { messagePush($0) } ?? .null,
            "last_activity_at": .int(conversation.lastActivityAt.unixSeconds),
            "priority": .string(conversation.priority),
            "waiting_since": .int(conversation.waitingSince?.unixSeconds ?? 0),
            "sla_policy_id": .null,
        ]
    }

    /// `Conversations::EventDataPresenter#webhook_data` (webhook `conversation` / conversation events).
    func conversationWebhook(_ conversation: Conversation) -> JSONValue {
        // `messages.chat.last`: the last message that is neither private nor an activity.
        // From the end, without copying the conversation's messages: this runs for every webhook.
        let lastChat = db.messages.last { $0.conversationId == conversation.id && !$0.isPrivate && $0.messageType != .activity }
        var assignee: JSONValue = .null
        var assigneeType: JSONValue = .null
        if let botId = conversation.assigneeAgentBotId, let bot = db.agentBot(botId) {
            assignee = agentBotPush(bot)
            assigneeType = "AgentBot"
        } else if let userId = conversation.assigneeId, let user = db.user(userId) {
            assignee = userPush(user, accountId: conversation.accountId)
            assigneeType = "User"
        }
        let link = db.contactInbox(conversation.contactInboxId)
        return [
            "additional_attributes": conversation.additionalAttributes,
            "can_reply": true,
            "channel": .string(db.inbox(conversation.inboxId)?.channel.rawValue),
            "contact_inbox": link.map(contactInboxRecord) ?? .null,
            "id": .int(conversation.displayId),
            "inbox_id": .int(conversation.inboxId),
            "messages": .array(lastChat.map { [messagePush($0, normalizeContent: true)] } ?? []),
            "labels": .array(conversation.labels.map(JSONValue.string)),
            "meta": [
                "sender": db.contact(conversation.contactId).map(contactPush) ?? .null,
                "assignee": assignee,
                "assignee_type": assigneeType,
                // `Team#push_event_data`.
                "team": conversation.teamId.flatMap { db.team($0) }.map { ["id": .int($0.id), "name": .string($0.name)] } ?? .null,
                "hmac_verified": .bool(link?.hmacVerified ?? false),
            ],
            "status": .string(conversation.status.rawValue),
            "custom_attributes": conversation.customAttributes,
            "snoozed_until": .string(conversation.snoozedUntil?.iso8601),
            "unread_count": .int(unreadCount(conversation)),
            "first_reply_created_at": .string(conversation.firstReplyCreatedAt?.iso8601),
            "priority": .string(conversation.priority),
            "waiting_since": .int(conversation.waitingSince?.unixSeconds ?? 0),
            "agent_last_seen_at": .int(conversation.agentLastSeenAt?.unixSeconds ?? 0),
            "contact_last_seen_at": .int(conversation.contactLastSeenAt?.unixSeconds ?? 0),
            "last_activity_at": .int(conversation.lastActivityAt.unixSeconds),
            "timestamp": .int(conversation.lastActivityAt.unixSeconds),
            "created_at": .int(conversation.createdAt.unixSeconds),
            "updated_at": .double(conversation.updatedAt.floatSeconds),
            "account": accountWebhook(conversation.accountId),
        ]
    }

    /// The body of a webhook event, built from the current state (Chatwoot builds it at job time).
    func webhookBody(_ event: WebhookEvent) -> JSONValue? {
        switch event.kind {
        case .conversationCreated(let id):
            return db.conversation(id: id).map { conversationWebhook($0).setting("event", "conversation_created") }
        case .conversationStatusChanged(let id):
            return db.conversation(id: id).map {
                conversationWebhook($0).setting("event", "conversation_status_changed").setting("changed_attributes", .null)
            }
        case .conversationUpdated(let id, let changes):
            return db.conversation(id: id).map {
                conversationWebhook($0).setting("event", "conversation_updated").setting("changed_attributes", changes)
            }
        case .messageCreated(let id):
            return db.message(id).flatMap { messageWebhook($0, event: "message_created") }
        case .messageUpdated(let id):
            return db.message(id).flatMap { messageWebhook($0, event: "message_updated") }
        case .typing(_, let id, let user, let isPrivate):
            guard let conversation = db.conversation(id: id) else { return nil }
            return ["event": .string(event.name), "user": user, "conversation": conversationWebhook(conversation), "is_private": .bool(isPrivate)]
        case .conversationOpened(let id), .conversationResolved(let id):
            return db.conversation(id: id).map { conversationWebhook($0).setting("event", .string(event.name)) }
        case .webwidgetTriggered(let contactInboxId, let eventInfo):
            return db.contactInbox(contactInboxId).flatMap { widgetTrigger($0, eventInfo: eventInfo) }
        }
    }

    /// `ContactInbox#webhook_data` + `event_info` (`app/models/contact_inbox.rb`, `AgentBotListener#webwidget_triggered`).
    func widgetTrigger(_ link: ContactInbox, eventInfo: JSONValue) -> JSONValue? {
        guard let contact = db.contact(link.contactId), let inbox = db.inbox(link.inboxId) else { return nil }
        let current = db.conversations.last { $0.contactInboxId == link.id }
        return [
            "id": .int(link.id), "contact": contactWebhook(contact), "inbox": inboxWebhook(inbox), "account": accountWebhook(inbox.accountId),
            "current_conversation": current.map(conversationWebhook) ?? .null, "source_id": .string(link.sourceId),
            "event": "webwidget_triggered", "event_info": eventInfo,
        ]
    }

    /// Meta of `GET …/messages` (`messages/index.json.jbuilder`).
    func messagesIndexMeta(_ conversation: Conversation) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("labels", .array(conversation.labels.map(JSONValue.string))), ("additional_attributes", conversation.additionalAttributes),
            ("contact", db.contact(conversation.contactId).map(contactPush) ?? .null),
        ]
        if let userId = conversation.assigneeId, let user = db.user(userId) { members.append(("assignee", userPush(user, accountId: conversation.accountId))) }
        members.append(("agent_last_seen_at", .string(conversation.agentLastSeenAt?.iso8601)))
        members.append(("assignee_last_seen_at", .string(conversation.assigneeLastSeenAt?.iso8601)))
        return .object(members)
    }
}
