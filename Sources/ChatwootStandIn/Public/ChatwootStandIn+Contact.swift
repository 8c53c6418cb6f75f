/// Acting from the contact's side and as agents.
extension ChatwootStandIn {
    /// Acts as the user `userId` (an agent or administrator of the conversation's account).
    public func agent(_ userId: Int) -> StandInAgent { StandInAgent(standIn: self, userId: userId) }

    /// A message from the contact, as if written in their channel (incoming; reopens resolved conversations).
    @discardableResult
    public func receiveIncoming(_ ref: ConversationRef, content: String?, attachments: [StandInFile] = [], sourceId: String? = nil) async throws
        -> Message
    {
        var input = MessageInput()
        input.content = content
        input.messageType = "incoming"
        input.sourceId = sourceId
        input.files = attachments.map(\.uploaded)
        do {
            return try await state.createMessage(ref: ref, caller: .none, input: input)
        } catch let error as MessageCreationError {
            throw StandInAPIError.unprocessable(error.message)
        }
    }

    /// Starts a conversation from the contact's side (contact + contact inbox + conversation, optional first
    /// incoming message) — what a widget or the Client API would do; handy for the console and agent-side tests.
    @discardableResult
    public func startConversation(
        inbox inboxId: Int, contactName: String, identifier: String? = nil, email: String? = nil, sourceId: String? = nil,
        customAttributes: JSONValue = .emptyObject, firstMessage: String? = nil
    ) async throws -> Conversation {
        guard let inbox = await state.db.inbox(inboxId) else { throw StandInAPIError.notFound }
        var contactInput = StandInState.ContactInput()
        contactInput.name = contactName
        contactInput.identifier = identifier
        contactInput.email = email
        let (contact, _) = try await state.createContact(accountId: inbox.accountId, input: contactInput, inboxId: inbox.id, sourceId: sourceId)
        var input = StandInState.ConversationInput()
        input.inboxId = inbox.id
        input.contactId = contact.id
        input.sourceId = sourceId
        input.customAttributes = customAttributes
        if let firstMessage {
            var message = MessageInput()
            message.content = firstMessage
            message.messageType = "incoming"
            input.message = message
        }
        return try await state.createConversation(accountId: inbox.accountId, caller: .none, input: input)
    }
}
