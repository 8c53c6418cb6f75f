import BatonConfig
import BatonCore
import Foundation
import Logging

extension ChatwootDesk {
    func post(_ message: Message, handover: HandoverState, session: Session, attempt: Int) async -> JobOutcome {
        guard let conversationID = handover.conversationID else { return .retry("the conversation is not open yet") }
        let direction: NewMessage.Direction
        var token: String?
        switch message.sender {
        case .user:
            direction = .incoming
        case .bot:
            direction = .outgoing
            token = try? await bot.accessToken()
        case .agent, .system:
            // Agents' words came from Chatwoot, and notices are Baton's own; neither goes back.
            return .done
        }
        let sourceID = ChatwootIdentity.messageSourceID(sessionID: session.id.rawValue, messageID: message.id)
        let content = NewMessage(
            content: Self.text(of: message), direction: direction, sourceID: sourceID, externalCreatedAt: Int(message.createdAt.timeIntervalSince1970))
        // Files the user uploaded go to Chatwoot as files, so agents open them there like any attachment.
        var files: [NewFile] = []
        for attachment in message.content.attachments {
            guard let id = attachment.fileID else { continue }
            do {
                guard let file = try await store.file(id: id) else { continue }
                files.append(NewFile(name: file.name, mimeType: file.mimeType, bytes: file.bytes))
            } catch {
                return .retry("the store could not be read: \(String(reflecting: error))")
            }
        }
        return await create(content, files: files, in: conversationID, token: token, attempt: attempt, session: session)
    }

    func note(_ text: String, handover: HandoverState, session: Session, attempt: Int) async -> JobOutcome {
        guard let conversationID = handover.conversationID else { return .retry("the conversation is not open yet") }
        let note = NewMessage(
            content: text, direction: .outgoing, isPrivate: true,
            sourceID: ChatwootIdentity.messageSourceID(sessionID: session.id.rawValue, messageID: 0) + ":note:\(handover.number):\(handover.syncedThrough)")
        return await create(note, in: conversationID, token: try? await bot.accessToken(), attempt: attempt, session: session)
    }

    /// Creates a message once: a retry first looks for the copy an unanswered attempt may have left (Chatwoot
    /// echoes `source_id`), so a timeout never shows the agent a message twice.
    func create(_ message: NewMessage, files: [NewFile] = [], in conversationID: Int, token: String?, attempt: Int, session: Session) async -> JobOutcome {
        do {
            if attempt > 1, try await client.recentMessages(conversationID: conversationID).contains(where: { $0.sourceID == message.sourceID }) {
                return .done
            }
            try await client.createMessage(conversationID: conversationID, message, files: files, token: token)
            return .done
        } catch let error as ChatwootError {
            return error.postingOutcome(settle: settleTime(after: error), session: session.id, logger: logger)
        } catch {
            return .retry(String(describing: error))
        }
    }

    func close(conversationID: Int, session: Session, attempt: Int) async -> JobOutcome {
        do {
            try await client.setStatus(conversationID: conversationID, status: "resolved")
            return .done
        } catch let error as ChatwootError where error.kind == .notFound {
            return .done
        } catch let error as ChatwootError where error.kind == .unprocessable {
            return .dead(error.description)
        } catch {
            logger.warning("could not resolve the Chatwoot conversation yet", metadata: ["session": "\(session.id)", "conversation": "\(conversationID)", "error": "\(error)"])
            return .retry(String(describing: error))
        }
    }

    /// Shows the agents that the user types, as the contact typing: through the Client API, whose echo names the
    /// contact (ignored), where a token's would name the bot or, worse, a user, and look like an agent typing to the user.
    func userTyping(_ on: Bool, handover: HandoverState, session: Session) async {
        guard settings.forwardUserTyping else { return }
        await asContact(handover, session, doing: "show the user's typing") { client, identifier, sourceID, conversationID in
            try await client.contactTyping(inboxIdentifier: identifier, sourceID: sourceID, conversationID: conversationID, on: on)
        }
    }

    /// Marks the agents' messages read, as Chatwoot's own widget does when the contact views the conversation.
    func userSaw(handover: HandoverState, session: Session) async {
        guard settings.reportSeenMessages else { return }
        await asContact(handover, session, doing: "mark the agents' messages read") { client, identifier, sourceID, conversationID in
            try await client.contactSawConversation(inboxIdentifier: identifier, sourceID: sourceID, conversationID: conversationID)
        }
    }

    /// Calls the Client API as the handover's contact: the inbox's identifier (from the inbox as last read, which
    /// never changes: no call of its own most of the time), the contact inbox's `source_id` Baton gave it, and the
    /// conversation. Best effort: a failure is logged at debug and dropped.
    private func asContact(
        _ handover: HandoverState, _ session: Session, doing what: String,
        _ call: (ChatwootClient, _ inboxIdentifier: String, _ sourceID: String, _ conversationID: Int) async throws -> Void
    ) async {
        guard let conversationID = handover.conversationID, let inboxID = handover.inboxID else { return }
        do {
            guard let identifier = try await availability.inbox(inboxID, known: nil).inboxIdentifier else { return }
            try await call(client, identifier, ChatwootIdentity.conversationSourceID(sessionID: session.id.rawValue), conversationID)
        } catch {
            logger.debug("could not \(what)", metadata: ["session": "\(session.id)", "error": "\(error)"])
        }
    }

    func history(of handover: HandoverState, session: Session) async -> DeskHistory? {
        guard let conversationID = handover.conversationID else { return nil }
        let after = handover.reconciledThrough ?? 0
        do {
            let page = try await client.messagePage(conversationID: conversationID, after: Int(after))
            var messages: [DeskMessage] = []
            var through = after
            var statusMayHaveChanged = false
            for raw in page {
                if let id = WebhookClassifier.id(ofAPIMessage: raw) { through = max(through, Int64(id)) }
                if WebhookClassifier.isActivity(apiMessage: raw) { statusMayHaveChanged = true }
                switch ChatwootWebhookController.classifier.classify(apiMessage: raw, conversationID: conversationID) {
                case .deliver(let message):
                    messages.append(
                        DeskMessage(
                            externalID: "chatwoot:\(message.chatwootMessageID)", order: Int64(message.chatwootMessageID),
                            content: MessageContent(text: message.text, attachments: message.attachments),
                            agentName: settings.showAgentNames ? message.agentName : nil, deleted: false, sentAt: message.sentAt))
                case .retract(let id, _):
                    messages.append(DeskMessage(externalID: "chatwoot:\(id)", order: Int64(id), content: MessageContent(), agentName: nil, deleted: true))
                default:
                    continue
                }
            }
            // Chatwoot never sends a webhook again: a resolve while Baton restarted is read here, once per activity
            // line read (a read that fails reads them again).
            let status = statusMayHaveChanged ? try await statusEvent(of: conversationID) : nil
            return DeskHistory(messages: messages, through: through, status: status)
        } catch {
            logger.warning("could not read the Chatwoot conversation", metadata: ["session": "\(session.id)", "conversation": "\(conversationID)", "error": "\(error)"])
            return nil
        }
    }

    /// The conversation's status as its status event would report it.
    func statusEvent(of conversationID: Int) async throws -> HandoverEvent? {
        let action = ChatwootWebhookController.classifier.classify(apiConversation: try await client.conversationJSON(id: conversationID))
        guard case .status(let conversation, _, _, _, _) = action, conversation.conversationID == conversationID else { return nil }
        return action.statusEvent
    }

    /// A message as text for Chatwoot: the text and its cards, then attachment links and quick-reply options, which
    /// an agent needs to understand what the user saw.
    static func text(of message: Message) -> String {
        var parts: [String] = []
        let text = message.content.textWithCards
        if !text.isEmpty { parts.append(text) }
        // Uploaded files travel as files; links to other media are spelled out.
        parts += message.content.attachments.filter { $0.fileID == nil }.map { "[\($0.kind.rawValue)] \($0.name.map { "\($0): " } ?? "")\($0.url)" }
        if !message.content.quickReplies.isEmpty {
            parts.append("Options: " + message.content.quickReplies.map(\.title).joined(separator: " · "))
        }
        if parts.isEmpty { return message.content.attachments.isEmpty ? "(empty message)" : "" }
        return parts.joined(separator: "\n")
    }
}
