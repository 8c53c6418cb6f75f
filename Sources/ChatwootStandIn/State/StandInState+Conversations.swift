import Foundation

/// Conversation creation and the `save` semantics every conversation change goes through
/// (`Conversation` callbacks: status determination, `previous_changes`, status/updated events, activity messages).
extension StandInState {
    struct ConversationInput: Sendable {
        var sourceId: String?
        var inboxId: Int?
        var contactId: Int?
        var status: String?
        var assigneeId: Int?
        var teamId: Int?
        var additionalAttributes: JSONValue?
        var customAttributes: JSONValue?
        var hmacVerified: Bool = false
        var message: MessageInput?
    }

    /// `POST /conversations` (`ConversationsController#create` + `ConversationBuilder`), in one transaction.
    func createConversation(accountId: Int, caller: Caller, input: ConversationInput) throws -> Conversation {
        try transaction {
            let link = try resolveContactInbox(accountId: accountId, input: input)
            guard let inbox = db.inbox(link.inboxId), let contact = db.contact(link.contactId) else { throw StandInAPIError.notFound }
            // `lock_to_single_conversation` returns the contact-inbox's last conversation instead of creating one.
            if inbox.lockToSingleConversation, let existing = db.conversations.last(where: { $0.contactInboxId == link.id }) {
                return existing
            }
            var status = ConversationStatus.open
            if let raw = input.status, !raw.isEmpty {
                // An unknown enum value raises ArgumentError, which nothing rescues: Rails' 500.
                guard let parsed = ConversationStatus(rawValue: raw) else { throw StandInAPIError.internalServerError }
                status = parsed
            }
            // `determine_conversation_status`: blocked contact → resolved; inbox with an active bot → pending.
            if contact.blocked {
                status = .resolved
            } else if inbox.agentBotId != nil {
                status = .pending
            }
            let additional = input.additionalAttributes ?? .emptyObject
            let custom = input.customAttributes ?? .emptyObject
            try validateJSONBAttributes(additional: additional, custom: custom)
            guard let accountIndex = accountIndex(accountId) else { throw StandInAPIError.notFound }
            db.accounts[accountIndex].lastDisplayId += 1
            let now = now()
            let assignee = input.assigneeId.flatMap { id in db.user(id).flatMap { $0.roles[accountId] != nil ? id : nil } }
            let conversation = Conversation(
                id: nextId("conversation"), displayId: db.accounts[accountIndex].lastDisplayId, accountId: accountId, inboxId: inbox.id,
                contactId: contact.id, contactInboxId: link.id, uuid: UUID().uuidString.lowercased(), status: status, assigneeId: assignee,
                assigneeAgentBotId: nil, teamId: nil, additionalAttributes: additional, customAttributes: custom, labels: [], priority: nil,
                snoozedUntil: nil, waitingSince: now, firstReplyCreatedAt: nil, agentLastSeenAt: nil, assigneeLastSeenAt: nil,
                contactLastSeenAt: nil, lastActivityAt: now, createdAt: now, updatedAt: now)
            db.conversations.append(conversation)
            emit(WebhookEvent(kind: .conversationCreated(conversationId: conversation.id), inboxId: inbox.id))
            if var message = input.message {
                // `MessageBuilder.new(Current.user, conversation, params[:message])`: `message_type` defaults to outgoing.
                message.messageType = message.messageType ?? "outgoing"
                do {
                    _ = try buildMessage(conversationId: conversation.id, caller: caller, input: message)
                } catch let error as MessageCreationError {
                    // Outside MessagesController nothing rescues StandardError: validation errors render as
                    // RecordInvalid, anything else is a 500.
                    if let errors = error.validationErrors { throw StandInAPIError.recordInvalid(errors) }
                    throw StandInAPIError.internalServerError
                }
            }
            return db.conversation(id: conversation.id) ?? conversation
        }
    }

    /// The contact_inbox for a create: found-or-created from inbox+contact, else looked up by `source_id` alone.
    private func resolveContactInbox(accountId: Int, input: ConversationInput) throws -> ContactInbox {
        var inbox: Inbox?
        if let inboxId = input.inboxId {
            guard let found = db.inbox(inboxId), found.accountId == accountId else { throw StandInAPIError.notFound }
            inbox = found
        }
        var contact: Contact?
        if let contactId = input.contactId {
            guard let found = db.contact(contactId), found.accountId == accountId else { throw StandInAPIError.notFound }
            contact = found
        }
        if let inbox, let contact {
            do {
                return try findOrCreateContactInbox(contactId: contact.id, inbox: inbox, sourceId: input.sourceId, hmacVerified: input.hmacVerified)
            } catch is RecordNotUnique {
                throw StandInAPIError.unprocessable("source_id should be unique")
            }
        }
        // Legacy path: `ContactInbox.find_by!(source_id:)`, then Pundit on its inbox.
        guard let sourceId = input.sourceId, let link = db.contactInboxes.first(where: { $0.sourceId == sourceId }) else {
            throw StandInAPIError.notFound
        }
        guard db.inbox(link.inboxId)?.accountId == accountId else { throw StandInAPIError.notPermitted }
        return link
    }

    /// `JsonbAttributesLengthValidator`: strings ≤ 1500 characters, integers ≤ 9 999 999 999.
    func validateJSONBAttributes(additional: JSONValue?, custom: JSONValue?) throws {
        var errors: [(attribute: String, message: String)] = []
        for (attribute, label, value) in [("additional_attributes", "Additional attributes", additional), ("custom_attributes", "Custom attributes", custom)] {
            for (key, item) in value?.members ?? [] {
                if case .string(let s) = item, s.rubyLength > 1500 { errors.append((attribute, "\(label) \(key) length should be < 1500")) }
                if case .int(let i) = item, i > 9_999_999_999 { errors.append((attribute, "\(label) \(key) value should be < 9999999999")) }
            }
        }
        if !errors.isEmpty { throw StandInAPIError.recordInvalid(errors) }
    }

    // MARK: Saving

    /// One `conversation.save`: applies `change`, computes Rails' `previous_changes` and runs the
    /// `after_update_commit` callbacks (status events, activity messages, `conversation_updated`).
    @discardableResult
    func saveConversation(_ id: Int, caller: Caller, contactReopened: Bool = false, _ change: (inout Conversation) -> Void) -> [(String, JSONValue, JSONValue)] {
        guard let index = conversationIndex(id: id) else { return [] }
        let before = db.conversations[index]
        var after = before
        change(&after)
        // `ensure_snooze_until_reset`
        if after.status != .snoozed { after.snoozedUntil = nil }
        var changes = Self.diff(before, after)
        guard !changes.isEmpty else { return [] }
        after.updatedAt = now()
        changes.append(("updated_at", .string(before.updatedAt.iso8601), .string(after.updatedAt.iso8601)))
        db.conversations[index] = after

        let statusChanged = before.status != after.status
        // `handle_resolved_status_change` clears waiting_since with update_column (no callbacks, no event).
        if statusChanged && after.status == .resolved { db.conversations[index].waitingSince = nil }
        if statusChanged {
            // Dispatch order: the legacy opened/resolved event (bots only), then status_changed, then updated.
            if after.status == .open { emit(WebhookEvent(kind: .conversationOpened(conversationId: id), inboxId: after.inboxId)) }
            if after.status == .resolved { emit(WebhookEvent(kind: .conversationResolved(conversationId: id), inboxId: after.inboxId)) }
            emit(WebhookEvent(kind: .conversationStatusChanged(conversationId: id), inboxId: after.inboxId))
        }
        createChangeActivities(before: before, after: after, caller: caller, contactReopened: contactReopened)
        let interesting: Set<String> = [
            "team_id", "assignee_id", "assignee_agent_bot_id", "status", "snoozed_until", "custom_attributes", "label_list", "waiting_since",
            "first_reply_created_at", "priority",
        ]
        let languageChanged = before.additionalAttributes["conversation_language"] != after.additionalAttributes["conversation_language"]
        if changes.contains(where: { interesting.contains($0.0) }) || languageChanged {
            let payload = JSONValue.array(
                changes.map { change in JSONValue.object([(change.0, JSONValue.object([("previous_value", change.1), ("current_value", change.2)]))]) })
            emit(WebhookEvent(kind: .conversationUpdated(conversationId: id, changedAttributes: payload), inboxId: after.inboxId))
        }
        return changes
    }

    /// The tracked attributes that differ, in the order Chatwoot's code assigns them.
    static func diff(_ a: Conversation, _ b: Conversation) -> [(String, JSONValue, JSONValue)] {
        var changes: [(String, JSONValue, JSONValue)] = []
        func add(_ name: String, _ x: JSONValue, _ y: JSONValue) { if x != y { changes.append((name, x, y)) } }
        func time(_ i: Instant?) -> JSONValue { .string(i?.iso8601) }
        add("status", .string(a.status.rawValue), .string(b.status.rawValue))
        add("snoozed_until", time(a.snoozedUntil), time(b.snoozedUntil))
        add("assignee_id", .int(a.assigneeId), .int(b.assigneeId))
        add("assignee_agent_bot_id", .int(a.assigneeAgentBotId), .int(b.assigneeAgentBotId))
        add("team_id", .int(a.teamId), .int(b.teamId))
        add("custom_attributes", a.customAttributes, b.customAttributes)
        add("additional_attributes", a.additionalAttributes, b.additionalAttributes)
        add("label_list", .array(a.labels.map(JSONValue.string)), .array(b.labels.map(JSONValue.string)))
        add("priority", .string(a.priority), .string(b.priority))
        add("first_reply_created_at", time(a.firstReplyCreatedAt), time(b.firstReplyCreatedAt))
        add("waiting_since", time(a.waitingSince), time(b.waitingSince))
        return changes
    }

    /// `ActivityMessageHandler` + `AssignmentHandler`: the activity notes Chatwoot writes for status, assignee,
    /// label and priority changes (created by a job, i.e. after the change).
    private func createChangeActivities(before: Conversation, after: Conversation, caller: Caller, contactReopened: Bool) {
        let userName = caller.name
        if before.status != after.status {
            if contactReopened {
                createActivityMessage(conversationId: after.id, content: "System reopened the conversation due to a new incoming message.")
            } else if let userName {
                let text =
                    switch after.status {
                    case .resolved: "Conversation was marked resolved by \(userName)"
                    case .open: "Conversation was reopened by \(userName)"
                    case .pending: "Conversation was marked as pending by \(userName)"
                    case .snoozed: "Conversation was snoozed by \(userName)"
                    }
                createActivityMessage(conversationId: after.id, content: text)
            }
        }
        if let userName, before.assigneeId != after.assigneeId {
            let text: String
            if let assigneeId = after.assigneeId {
                text =
                    assigneeId == caller.userId
                    ? "\(userName) self-assigned this conversation" : "Assigned to \(db.user(assigneeId)?.name ?? "") by \(userName)"
            } else {
                text = "Conversation unassigned by \(userName)"
            }
            createActivityMessage(conversationId: after.id, content: text)
        }
        if let userName, before.labels != after.labels {
            let added = after.labels.filter { !before.labels.contains($0) }
            let removed = before.labels.filter { !after.labels.contains($0) }
            if !added.isEmpty { createActivityMessage(conversationId: after.id, content: "\(userName) added \(added.joined(separator: ", "))") }
            if !removed.isEmpty { createActivityMessage(conversationId: after.id, content: "\(userName) removed \(removed.joined(separator: ", "))") }
        }
        if let userName, before.priority != after.priority {
            let text =
                switch (before.priority, after.priority) {
                case (nil, let new?): "\(userName) set the priority to \(new)"
                case (_?, nil): "\(userName) removed the priority"
                case (let old?, let new?): "\(userName) changed the priority from \(old) to \(new)"
                case (nil, nil): ""
                }
            if !text.isEmpty { createActivityMessage(conversationId: after.id, content: text) }
        }
    }

    /// An `activity` message (never sent as a webhook); it still moves `last_activity_at`.
    func createActivityMessage(conversationId: Int, content: String) {
        guard let conversation = db.conversation(id: conversationId) else { return }
        let now = now()
        let message = Message(
            id: nextId("message"), accountId: conversation.accountId, inboxId: conversation.inboxId, conversationId: conversation.id,
            conversationDisplayId: conversation.displayId, messageType: .activity, content: content, contentType: "text",
            contentAttributes: .emptyObject, additionalAttributes: .emptyObject, isPrivate: false, status: .sent, sourceId: nil, sender: nil,
            attachments: [], createdAt: now, updatedAt: now)
        db.messages.append(message)
        setConversationActivity(conversationId, at: now)
    }

    /// `Message#set_conversation_activity` (`update_columns`: no callbacks, no events).
    func setConversationActivity(_ conversationId: Int, at time: Instant) {
        guard let index = conversationIndex(id: conversationId) else { return }
        db.conversations[index].lastActivityAt = time
        db.conversations[index].updatedAt = now()
    }
}
