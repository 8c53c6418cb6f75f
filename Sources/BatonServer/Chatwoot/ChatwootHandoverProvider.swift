import BatonChatwoot
import BatonConfig
import BatonCore
import Foundation
import Logging
import NIOCore

/// Handovers to a Chatwoot API-channel inbox: opens a contact and conversation, posts the transcript (user turns
/// as `incoming`, bot turns as `outgoing` from the agent bot), and resolves the conversation when the user leaves.
struct ChatwootHandoverProvider: HandoverProvider {
    let settings: ChatwootSettings
    let client: ChatwootClient
    let bot: AgentBotKeeper
    let store: any SessionStore
    let logger: Logger

    /// The key under which a conversation is linked to its session.
    static func conversationKey(accountID: Int, conversationID: Int) -> String {
        "chatwoot:\(accountID):\(conversationID)"
    }

    func open(_ request: HandoverRequest, number: Int, session: Session, endpoint: Endpoint, attempt: Int) async -> OpenResult {
        guard let inboxID = Self.inboxID(request.inbox) else {
            return .failed(HandoverOutcome(status: .error, reason: .invalidInbox, detail: "the inbox expression gave '\(request.inbox?.displayText ?? "nothing")', not an inbox id"))
        }
        do {
            let inbox = try await client.inbox(id: inboxID)
            guard inbox.channelType == "Channel::Api" else {
                return .failed(HandoverOutcome(status: .error, reason: .invalidInbox, detail: "inbox \(inboxID) is a \(inbox.channelType ?? "non-API") inbox; Baton needs an API-channel inbox"))
            }
            do {
                _ = try await bot.accessToken()
            } catch {
                // Bot turns then go out under the user token; the handover itself can still work.
                logger.warning("the Chatwoot agent bot is not available", metadata: ["endpoint": "\(endpoint.id)", "error": "\(error)"])
            }
            let sourceID = ChatwootIdentity.conversationSourceID(sessionID: session.id.rawValue)
            let contactID = try await contact(for: session, endpoint: endpoint, inboxID: inboxID, sourceID: sourceID)
            // An earlier attempt may have created the conversation and lost the answer: use that one.
            let existing = attempt > 1 ? try await client.conversations(contactID: contactID).first { Self.isConversation($0, of: session, number: number) } : nil
            let conversation: ChatwootConversation
            if let existing {
                conversation = existing
            } else {
                conversation = try await client.createConversation(
                    NewConversation(sourceID: sourceID, inboxID: inboxID, contactID: contactID, customAttributes: customAttributes(session, endpoint: endpoint, number: number)))
            }
            try await store.link(
                endpointID: endpoint.id, conversationKey: Self.conversationKey(accountID: settings.accountID, conversationID: conversation.id), to: session.id)
            logger.info("handover opened", metadata: ["session": "\(session.id)", "conversation": "\(conversation.id)", "inbox": "\(inboxID)"])
            return .opened(OpenedConversation(contactID: contactID, conversationID: conversation.id, inboxID: inboxID))
        } catch let error as ChatwootError where error.mayHaveArrived {
            logger.warning("Chatwoot did not answer in time while opening", metadata: ["session": "\(session.id)", "error": "\(error)"])
            return .unsettled(error.description, settle: .nanoseconds(client.timeout.nanoseconds * 2))
        } catch let error as ChatwootError {
            if error.isTransient || error.kind == .invalidResponse {
                logger.warning("Chatwoot cannot open the handover now", metadata: ["session": "\(session.id)", "error": "\(error)"])
                return .retry(error.description)
            }
            logger.error("Chatwoot refused the handover", metadata: ["session": "\(session.id)", "error": "\(error)"])
            return .failed(Self.outcome(for: error))
        } catch {
            return .retry(String(describing: error))
        }
    }

    /// Whether a conversation is the one Baton opened for handover `number` of the session.
    static func isConversation(_ conversation: ChatwootConversation, of session: Session, number: Int) -> Bool {
        guard case .object(let attributes)? = conversation.customAttributes else { return false }
        return attributes["baton_session"] == .string(session.id.rawValue) && attributes["baton_handover"]?.displayText == String(number)
    }

    /// The user's contact: found by its stable identifier, else created with its contact inbox.
    func contact(for session: Session, endpoint: Endpoint, inboxID: Int, sourceID: String) async throws -> Int {
        let identifier = ChatwootIdentity.contactIdentifier(endpointID: endpoint.id, userID: session.userID)
        if let found = try await client.searchContacts(identifier).first(where: { $0.identifier == identifier }) {
            try await client.createContactInbox(contactID: found.id, inboxID: inboxID, sourceID: sourceID)
            return found.id
        }
        let profile = session.state.profile
        let name = profile["name"].map(\.displayText).flatMap { $0.isEmpty ? nil : $0 } ?? "\(endpoint.configuration.name) visitor"
        let email = profile["email"].map(\.displayText).flatMap { $0.contains("@") ? $0 : nil }
        let contact = NewContact(name: name, identifier: identifier, email: email, inboxID: inboxID, sourceID: sourceID)
        return try await client.createContact(contact).id
    }

    func customAttributes(_ session: Session, endpoint: Endpoint, number: Int) -> [String: JSONValue] {
        var attributes: [String: JSONValue] = [
            "baton_session": .string(session.id.rawValue), "baton_endpoint": .string(endpoint.id), "baton_handover": .number(Double(number)),
        ]
        for field in settings.profileAttributes {
            guard let value = session.state.profile[field], value != .null else { continue }
            // Chatwoot keeps attribute strings up to 1,500 characters and refuses nested values.
            switch value {
            case .string(let text): attributes[field] = .string(String(text.prefix(1_500)))
            case .number, .bool: attributes[field] = value
            case .array, .object, .null: attributes[field] = .string(String(value.jsonText.prefix(1_500)))
            }
        }
        return attributes
    }

    func post(_ message: Message, handover: HandoverState, session: Session, endpoint: Endpoint, attempt: Int) async -> DeliveryResult {
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

    func note(_ text: String, handover: HandoverState, session: Session, endpoint: Endpoint, attempt: Int) async -> DeliveryResult {
        guard let conversationID = handover.conversationID else { return .retry("the conversation is not open yet") }
        let note = NewMessage(
            content: text, direction: .outgoing, isPrivate: true,
            sourceID: ChatwootIdentity.messageSourceID(sessionID: session.id.rawValue, messageID: 0) + ":note:\(handover.number):\(handover.syncedThrough)")
        return await create(note, in: conversationID, token: try? await bot.accessToken(), attempt: attempt, session: session)
    }

    /// Creates a message once: a retry first looks for the copy an unanswered attempt may have left (Chatwoot
    /// echoes `source_id`), so a timeout never shows the agent a message twice.
    func create(_ message: NewMessage, files: [NewFile] = [], in conversationID: Int, token: String?, attempt: Int, session: Session) async -> DeliveryResult {
        do {
            if attempt > 1, try await client.recentMessages(conversationID: conversationID).contains(where: { $0.sourceID == message.sourceID }) {
                return .done
            }
            try await client.createMessage(conversationID: conversationID, message, files: files, token: token)
            return .done
        } catch let error as ChatwootError where error.mayHaveArrived {
            // Give the unanswered request time to finish before the retry looks for its copy.
            logger.warning("Chatwoot did not answer in time", metadata: ["session": "\(session.id)", "error": "\(error)"])
            return .unsettled(error.description, settle: .nanoseconds(client.timeout.nanoseconds * 2))
        } catch let error as ChatwootError {
            switch error.kind {
            case .rateLimited, .server, .unreachable, .invalidResponse, .unauthorized:
                // Outages and rate limits pass; a refused token is an operator's mistake that is usually mended
                // within the retry budget.
                logger.warning("Chatwoot is not taking messages now", metadata: ["session": "\(session.id)", "error": "\(error)"])
                return .retry(error.description)
            case .unprocessable where error.message.contains("Too many messages"):
                return .retry(error.description)
            case .notFound, .unprocessable:
                logger.error("Chatwoot refused a message", metadata: ["session": "\(session.id)", "error": "\(error)"])
                return .refused(error.description)
            }
        } catch {
            return .retry(String(describing: error))
        }
    }

    func close(conversationID: Int, session: Session, endpoint: Endpoint, attempt: Int) async -> DeliveryResult {
        do {
            try await client.setStatus(conversationID: conversationID, status: "resolved")
            return .done
        } catch let error as ChatwootError where error.kind == .notFound {
            return .done
        } catch let error as ChatwootError where error.kind == .unprocessable {
            return .refused(error.description)
        } catch {
            logger.warning("could not resolve the Chatwoot conversation yet", metadata: ["session": "\(session.id)", "conversation": "\(conversationID)", "error": "\(error)"])
            return .retry(String(describing: error))
        }
    }

    func userTyping(_ on: Bool, handover: HandoverState, session: Session, endpoint: Endpoint) async {
        // Only with the bot's token: under a user token the echo would look like an agent typing to the user.
        guard settings.forwardUserTyping, let conversationID = handover.conversationID, let token = try? await bot.accessToken() else { return }
        do {
            try await client.toggleTyping(conversationID: conversationID, on: on, token: token)
        } catch {
            logger.debug("could not show the user's typing", metadata: ["session": "\(session.id)", "error": "\(error)"])
        }
    }

    func history(of handover: HandoverState, session: Session, endpoint: Endpoint) async -> ProviderHistory? {
        guard let conversationID = handover.conversationID else { return nil }
        let after = handover.reconciledThrough ?? 0
        do {
            let page = try await client.messagePage(conversationID: conversationID, after: Int(after))
            var messages: [ProviderMessage] = []
            var through = after
            for raw in page {
                if let id = WebhookClassifier.id(ofAPIMessage: raw) { through = max(through, Int64(id)) }
                switch ChatwootWebhookController.classifier.classify(apiMessage: raw, conversationID: conversationID) {
                case .deliver(let message):
                    messages.append(
                        ProviderMessage(
                            externalID: "chatwoot:\(message.chatwootMessageID)", order: Int64(message.chatwootMessageID),
                            content: MessageContent(text: message.text, attachments: message.attachments),
                            agentName: settings.showAgentNames ? message.agentName : nil, deleted: false))
                case .retract(let id, _):
                    messages.append(ProviderMessage(externalID: "chatwoot:\(id)", order: Int64(id), content: MessageContent(), agentName: nil, deleted: true))
                default:
                    continue
                }
            }
            return ProviderHistory(messages: messages, through: through)
        } catch {
            logger.warning("could not read the Chatwoot conversation", metadata: ["session": "\(session.id)", "conversation": "\(conversationID)", "error": "\(error)"])
            return nil
        }
    }

    /// A message as text for Chatwoot: the text, then attachment links and quick-reply options, which an agent
    /// needs to understand what the user saw.
    static func text(of message: Message) -> String {
        var parts: [String] = []
        if !message.content.text.isEmpty { parts.append(message.content.text) }
        // Uploaded files travel as files; links to other media are spelled out.
        parts += message.content.attachments.filter { $0.fileID == nil }.map { "[\($0.kind.rawValue)] \($0.name.map { "\($0): " } ?? "")\($0.url)" }
        if !message.content.quickReplies.isEmpty {
            parts.append("Options: " + message.content.quickReplies.map(\.title).joined(separator: " · "))
        }
        if parts.isEmpty { return message.content.attachments.isEmpty ? "(empty message)" : "" }
        return parts.joined(separator: "\n")
    }

    static func inboxID(_ value: JSONValue?) -> Int? {
        switch value {
        case .number(let number)?: number == number.rounded() && number > 0 ? Int(number) : nil
        case .string(let text)?: Int(text.trimmingCharacters(in: .whitespaces)).flatMap { $0 > 0 ? $0 : nil }
        default: nil
        }
    }

    static func outcome(for error: ChatwootError) -> HandoverOutcome {
        let reason: HandoverOutcome.Reason =
            switch error.kind {
            case .unauthorized: .rejectedCredentials
            case .notFound: .invalidInbox
            case .unprocessable, .rateLimited: .rejected
            case .server, .unreachable, .invalidResponse: .providerUnreachable
            }
        return HandoverOutcome(status: .error, reason: reason, detail: error.description)
    }
}
