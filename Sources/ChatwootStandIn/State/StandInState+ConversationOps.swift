/// Conversation actions after creation (`ConversationsController` members, assignments, labels).
extension StandInState {
    /// The outcome of `toggle_status`: `success` is nil on the bot-handoff path (Chatwoot renders `null`).
    struct ToggleResult: Sendable {
        let conversation: Conversation
        let success: Bool?
    }

    /// `POST …/toggle_status`.
    func toggleStatus(ref: ConversationRef, caller: Caller, status: String?, snoozedUntil: JSONValue?) throws -> ToggleResult {
        try transaction {
            let conversation = try requireConversation(ref)
            var success: Bool? = true
            if case .agentBot = caller, conversation.status == .pending, status == "open" {
                // `bot_handoff!`: start waiting (if not already), open, dispatch conversation.bot_handoff.
                if conversation.waitingSince == nil { saveConversation(conversation.id, caller: caller) { $0.waitingSince = self.now() } }
                saveConversation(conversation.id, caller: caller) { $0.status = .open }
                success = nil
            } else if let status, !status.isEmpty {
                guard let target = ConversationStatus(rawValue: status) else { throw StandInAPIError.internalServerError }
                var until: Instant?
                if let snoozedUntil, !snoozedUntil.isNull {
                    // `DateTime.strptime(value.to_s, '%s')`: anything but digits raises → 500.
                    let text: String? =
                        switch snoozedUntil {
                        case .int(let i): String(i)
                        case .string(let s): s
                        case .double(let d): String(Int64(d))
                        default: nil
                        }
                    guard let text, let seconds = Int64(text) else { throw StandInAPIError.internalServerError }
                    until = Instant(microseconds: seconds * 1_000_000)
                }
                saveConversation(conversation.id, caller: caller) {
                    $0.status = target
                    if let until { $0.snoozedUntil = until }
                }
            } else {
                // `Conversation#toggle_status`: open → resolved, anything else → open.
                saveConversation(conversation.id, caller: caller) { $0.status = $0.status == .open ? .resolved : .open }
            }
            // `handle_human_open`: an agent (not an administrator) who opens it gets it.
            if let current = db.conversation(id: conversation.id), current.status == .open, case .user(let user) = caller,
                user.roles[ref.accountId] == .agent
            {
                saveConversation(current.id, caller: caller) { $0.assigneeId = user.id }
            }
            return ToggleResult(conversation: db.conversation(id: conversation.id) ?? conversation, success: success)
        }
    }

    /// `POST …/toggle_typing_status`: no state change, one typing webhook with the caller as `user`.
    func toggleTyping(ref: ConversationRef, caller: Caller, typingStatus: String?, isPrivate: Bool) throws {
        try transaction {
            let conversation = try requireConversation(ref)
            let presenter = Presenter(db: db, frontendURL: frontendURL)
            let user: JSONValue =
                switch caller {
                case .user(let user): presenter.userWebhook(user)
                case .agentBot(let bot): presenter.agentBotWebhook(bot)
                case .none: db.contact(conversation.contactId).map(presenter.contactWebhook) ?? .null
                }
            switch typingStatus {
            case "on":
                if case .none = caller { db.contactsTyping[conversation.id] = now() }
                emit(WebhookEvent(kind: .typing(on: true, conversationId: conversation.id, user: user, isPrivate: isPrivate), inboxId: conversation.inboxId))
            case "off":
                if case .none = caller { db.contactsTyping[conversation.id] = nil }
                emit(WebhookEvent(kind: .typing(on: false, conversationId: conversation.id, user: user, isPrivate: isPrivate), inboxId: conversation.inboxId))
            default: break
            }
        }
    }

    /// The Client API's `toggle_typing` (`Public::Api::V1::Inboxes::ConversationsController`) in the conversation its
    /// path names (``contactsConversation(inboxIdentifier:sourceId:displayId:)``); the typing event has the contact as its
    /// user.
    func contactToggleTyping(inboxIdentifier: String, sourceId: String, displayId: Int, typingStatus: String?) throws {
        let conversation = try contactsConversation(inboxIdentifier: inboxIdentifier, sourceId: sourceId, displayId: displayId)
        try toggleTyping(ref: ConversationRef(accountId: conversation.accountId, displayId: displayId), caller: .none, typingStatus: typingStatus, isPrivate: false)
    }

    /// The Client API's `update_last_seen`: the conversation's `contact_last_seen_at` is now (no conversation webhook:
    /// not an attribute `Conversation` announces), and `Conversations::UpdateMessageStatusJob` marks every message
    /// that is not incoming, `sent` or `delivered`, created until then, `read` (each a `message_updated`). Chatwoot
    /// runs the job on a queue; here it runs at once.
    func contactSawConversation(inboxIdentifier: String, sourceId: String, displayId: Int) throws {
        try transaction {
            let conversation = try contactsConversation(inboxIdentifier: inboxIdentifier, sourceId: sourceId, displayId: displayId)
            guard let index = conversationIndex(id: conversation.id) else { throw StandInAPIError.notFound }
            let seenAt = now()
            db.conversations[index].contactLastSeenAt = seenAt
            let unread = db.messages.filter {
                $0.conversationId == conversation.id && $0.messageType != .incoming && ($0.status == .sent || $0.status == .delivered) && $0.createdAt <= seenAt
            }
            for message in unread { applyStatusUpdate(messageId: message.id, status: MessageStatus.read.rawValue, externalError: nil) }
        }
    }

    /// The conversation a Client API path names (`Public::Api::V1::InboxesController`): the API channel with that
    /// identifier, its contact inbox with that `source_id`, then the contact's conversation with that display id, each
    /// 404 when missing (Rails' own, which `PublicController` does not rescue).
    func contactsConversation(inboxIdentifier: String, sourceId: String, displayId: Int) throws -> Conversation {
        guard let inbox = db.inboxes.first(where: { $0.channel == .api && $0.inboxIdentifier == inboxIdentifier }),
            let contactInbox = db.contactInboxes.first(where: { $0.inboxId == inbox.id && $0.sourceId == sourceId }),
            let conversation = db.conversations.first(where: {
                $0.accountId == inbox.accountId && $0.contactId == contactInbox.contactId && $0.displayId == displayId
            })
        else { throw StandInAPIError.notFound }
        return conversation
    }

    /// `POST …/custom_attributes`: replaces the hash (validated like on create).
    func setCustomAttributes(ref: ConversationRef, caller: Caller, attributes: JSONValue) throws -> Conversation {
        try transaction {
            let conversation = try requireConversation(ref)
            try validateJSONBAttributes(additional: nil, custom: attributes)
            saveConversation(conversation.id, caller: caller) { $0.customAttributes = attributes }
            return db.conversation(id: conversation.id) ?? conversation
        }
    }

    /// What `POST …/assignments` rendered.
    enum AssignmentResult: Sendable {
        case user(User)
        case agentBot(AgentBot)
        case team(Team)
        case none
    }

    /// `Conversations::AssignmentsController#create`.
    func assign(ref: ConversationRef, caller: Caller, assigneeId: Int?, hasAssigneeKey: Bool, assigneeType: String?, teamId: Int?) throws
        -> (Conversation, AssignmentResult)
    {
        try transaction {
            let conversation = try requireConversation(ref)
            var result = AssignmentResult.none
            if assigneeType == "AgentBot" {
                let bot = assigneeId.flatMap { db.agentBot($0) }.flatMap { $0.accountId == nil || $0.accountId == ref.accountId ? $0 : nil }
                saveConversation(conversation.id, caller: caller) {
                    $0.assigneeAgentBotId = bot?.id
                    if bot != nil { $0.assigneeId = nil }
                }
                if let bot { result = .agentBot(bot) }
            } else if hasAssigneeKey {
                // `Current.account.users.find_by(id:)`: an unknown id unassigns and renders null.
                let user = assigneeId.flatMap { db.user($0) }.flatMap { $0.roles[ref.accountId] != nil ? $0 : nil }
                saveConversation(conversation.id, caller: caller) {
                    $0.assigneeId = user?.id
                    // `reset_agent_bot_when_assignee_present`
                    if user != nil { $0.assigneeAgentBotId = nil }
                }
                if let user { result = .user(user) }
            }
            if let teamId, !hasAssigneeKey, assigneeType != "AgentBot" {
                // `set_team`: `Current.account.teams.find_by(id:)`; an unknown id clears the team and renders null.
                let team = db.team(teamId).flatMap { $0.accountId == ref.accountId ? $0 : nil }
                saveConversation(conversation.id, caller: caller) { $0.teamId = team?.id }
                if let team { result = .team(team) }
            }
            return (db.conversation(id: conversation.id) ?? conversation, result)
        }
    }

    /// `POST …/labels`: replaces the label list.
    func setLabels(ref: ConversationRef, caller: Caller, labels: [String]) throws -> [String] {
        try transaction {
            let conversation = try requireConversation(ref)
            var unique: [String] = []
            for label in labels.map({ $0.lowercased() }) where !label.isEmpty && !unique.contains(label) { unique.append(label) }
            saveConversation(conversation.id, caller: caller) { $0.labels = unique }
            return unique
        }
    }

    /// `POST …/toggle_priority` and `PATCH /conversations/{id}`.
    func setPriority(ref: ConversationRef, caller: Caller, priority: String?) throws -> Conversation {
        try transaction {
            let conversation = try requireConversation(ref)
            let value = priority.flatMap { $0.isEmpty ? nil : $0 }
            if let value, !["low", "medium", "high", "urgent"].contains(value) { throw StandInAPIError.internalServerError }
            saveConversation(conversation.id, caller: caller) { $0.priority = value }
            return db.conversation(id: conversation.id) ?? conversation
        }
    }

    /// `ConversationFinder#perform` for the filters a bridge uses; 25 per page, most recent activity first.
    struct ConversationQuery: Sendable {
        var status: String?
        var assigneeType: String?
        var inboxId: Int?
        var sourceId: String?
        var labels: [String] = []
        var q: String?
        var page: Int = 1
    }

    struct ConversationPage: Sendable {
        let conversations: [Conversation]
        let mineCount: Int
        let assignedCount: Int
        let unassignedCount: Int
        let allCount: Int
    }

    func listConversations(accountId: Int, userId: Int?, query: ConversationQuery) -> ConversationPage {
        var base = db.conversations(account: accountId)
        let status = query.status.flatMap { $0.isEmpty ? nil : $0 } ?? "open"
        if status != "all" { base = base.filter { $0.status.rawValue == status } }
        if let inboxId = query.inboxId { base = base.filter { $0.inboxId == inboxId } }
        if let sourceId = query.sourceId, !sourceId.isEmpty {
            base = base.filter { db.contactInbox($0.contactInboxId)?.sourceId == sourceId }
        }
        if !query.labels.isEmpty { base = base.filter { conversation in query.labels.contains { conversation.labels.contains($0) } } }
        if let q = query.q, !q.isEmpty {
            base = base.filter { conversation in
                db.messages.contains { $0.conversationId == conversation.id && SQLLike.contains($0.content, q, caseInsensitive: true) }
            }
        }
        let mine = base.filter { $0.assigneeId != nil && $0.assigneeId == userId }
        let assigned = base.filter { $0.assigneeId != nil }
        let unassigned = base.filter { $0.assigneeId == nil }
        let selected: [Conversation] =
            switch query.assigneeType {
            case "me": mine
            case "assigned": assigned
            case "unassigned": unassigned
            default: base
            }
        let sorted = selected.sorted { ($0.lastActivityAt, $0.id) > ($1.lastActivityAt, $1.id) }
        let page = max(query.page, 1)
        let slice = Array(sorted.dropFirst((page - 1) * 25).prefix(25))
        return ConversationPage(
            conversations: slice, mineCount: mine.count, assignedCount: assigned.count, unassignedCount: unassigned.count, allCount: base.count)
    }
}
