public import Foundation

/// Acts as one agent (a ``User``) in the dashboard: the same rules and webhooks as the real thing, without HTTP.
/// Errors are the ones Chatwoot would answer with (``StandInAPIError``).
public struct StandInAgent: Sendable {
    let standIn: ChatwootStandIn
    /// The user acting.
    public let userId: Int

    private func caller(for ref: ConversationRef) async throws -> Caller {
        guard let user = await standIn.state.db.user(userId) else { throw StandInAPIError.unauthorized("Invalid Access Token") }
        guard user.roles[ref.accountId] != nil else { throw StandInAPIError.unauthorized("You are not authorized to access this account") }
        return .user(user)
    }

    /// Sends a reply (outgoing, public). `content` may be nil for an attachment-only message; Markdown is kept
    /// as typed (webhooks carry it raw).
    @discardableResult
    public func reply(_ ref: ConversationRef, _ content: String?, attachments: [StandInFile] = []) async throws -> Message {
        try await post(ref, content, attachments: attachments, isPrivate: false)
    }

    /// Writes a private note (outgoing, `private: true`; still sent as a webhook).
    @discardableResult
    public func privateNote(_ ref: ConversationRef, _ content: String?, attachments: [StandInFile] = []) async throws -> Message {
        try await post(ref, content, attachments: attachments, isPrivate: true)
    }

    private func post(_ ref: ConversationRef, _ content: String?, attachments: [StandInFile], isPrivate: Bool) async throws -> Message {
        var input = MessageInput()
        input.content = content
        input.messageType = "outgoing"
        input.isPrivate = isPrivate
        input.files = attachments.map(\.uploaded)
        do {
            return try await standIn.state.createMessage(ref: ref, caller: try await caller(for: ref), input: input)
        } catch let error as MessageCreationError {
            throw StandInAPIError.unprocessable(error.message)
        }
    }

    /// Marks the conversation resolved (the handover ends).
    public func resolve(_ ref: ConversationRef) async throws { try await setStatus(ref, "resolved") }

    /// Reopens the conversation (an agent reopening it also gets it assigned, as in Chatwoot).
    public func reopen(_ ref: ConversationRef) async throws { try await setStatus(ref, "open") }

    /// Marks the conversation pending.
    public func markPending(_ ref: ConversationRef) async throws { try await setStatus(ref, "pending") }

    /// Snoozes the conversation, optionally until a time (it reopens on the next incoming message anyway).
    public func snooze(_ ref: ConversationRef, until: Date? = nil) async throws {
        let until: JSONValue? = until.map { .int(Int64($0.timeIntervalSince1970)) }
        _ = try await standIn.state.toggleStatus(ref: ref, caller: try await caller(for: ref), status: "snoozed", snoozedUntil: until)
    }

    private func setStatus(_ ref: ConversationRef, _ status: String) async throws {
        _ = try await standIn.state.toggleStatus(ref: ref, caller: try await caller(for: ref), status: status, snoozedUntil: nil)
    }

    /// Typing indicator on or off (`is_private`: typing a private note).
    public func typing(_ ref: ConversationRef, on: Bool, isPrivate: Bool = false) async throws {
        try await standIn.state.toggleTyping(ref: ref, caller: try await caller(for: ref), typingStatus: on ? "on" : "off", isPrivate: isPrivate)
    }

    /// Deletes a message ("This message was deleted", attachments removed, `message_updated` webhook).
    @discardableResult
    public func deleteMessage(_ messageId: Int, in ref: ConversationRef) async throws -> Message {
        _ = try await caller(for: ref)
        return try await standIn.state.deleteMessage(ref: ref, messageId: messageId)
    }

    /// Assigns the conversation to a user of the account (nil unassigns).
    public func assign(_ ref: ConversationRef, to assigneeId: Int?) async throws {
        _ = try await standIn.state.assign(
            ref: ref, caller: try await caller(for: ref), assigneeId: assigneeId ?? -1, hasAssigneeKey: true, assigneeType: nil, teamId: nil)
    }

    /// Assigns the conversation to an agent bot (`assignee_type: AgentBot`): the human assignee is cleared, the status
    /// stays, and the bot gets `conversation_updated` with `assignee_agent_bot_id`.
    public func assignToBot(_ ref: ConversationRef, bot botId: Int) async throws {
        _ = try await standIn.state.assign(
            ref: ref, caller: try await caller(for: ref), assigneeId: botId, hasAssigneeKey: true, assigneeType: "AgentBot", teamId: nil)
    }

    /// Replaces the conversation's labels.
    public func setLabels(_ ref: ConversationRef, _ labels: [String]) async throws {
        _ = try await standIn.state.setLabels(ref: ref, caller: try await caller(for: ref), labels: labels)
    }

    /// Replaces the conversation's custom attributes.
    public func setCustomAttributes(_ ref: ConversationRef, _ attributes: JSONValue) async throws {
        _ = try await standIn.state.setCustomAttributes(ref: ref, caller: try await caller(for: ref), attributes: attributes)
    }
}
