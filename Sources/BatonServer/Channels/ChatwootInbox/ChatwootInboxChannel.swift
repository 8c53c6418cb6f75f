import AsyncHTTPClient
import BatonConfig
import BatonCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// An endpoint's Chatwoot channel: the conversations of its inboxes, answered as the endpoint's agent bot.
///
/// It is the channel (`ReplyChannel`: the bot's messages are posted into the conversation) and the desk of its
/// sessions (`Desk`): a handover gives the same conversation to humans with Chatwoot's bot handoff
/// (`toggle_status` `open` with the bot's token, `Conversation#bot_handoff!`), after a private note for the agents.
/// No history is posted, since the contact's and the bot's messages are in the conversation already.
struct ChatwootInboxChannel: ReplyChannel, Desk {
    let endpointID: String
    let settings: ChatwootSettings
    let client: ChatwootClient
    let bot: AgentBotKeeper
    let store: any SessionStore
    /// Whether anyone is there, for nodes that ask (`whenUnavailable`).
    let availability: ChatwootAvailability
    /// What a flow's attachment links are fetched with: not Chatwoot's client, which refuses redirects for its token's
    /// sake, since a link carries no token and links to pictures often redirect (a CDN, a shortener).
    let links: HTTPClient
    /// Files a flow links to are fetched and posted as files, up to this size.
    let maxFileBytes: Int
    let logger: Logger

    /// The session key of a Chatwoot conversation (its `userID`).
    static func userID(accountID: Int, conversationID: Int) -> String { "chatwoot:\(accountID):\(conversationID)" }

    /// The Chatwoot conversation a session is (from `profile.chatwoot`).
    static func conversation(of session: Session) -> (id: Int, inboxID: Int?, contactID: Int?, kind: InboxChannelKind)? {
        let chatwoot = session.state.profile["chatwoot"]
        guard case .number(let id)? = chatwoot?["conversationId"] else { return nil }
        var inbox: Int?
        var contact: Int?
        if case .number(let value)? = chatwoot?["inboxId"] { inbox = Int(value) }
        if case .number(let value)? = chatwoot?["contactId"] { contact = Int(value) }
        let type: String = if case .string(let text)? = chatwoot?["channelType"] { text } else { "" }
        return (Int(id), inbox, contact, InboxChannelKind(channelType: type))
    }

    // MARK: ReplyChannel

    func deliver(_ message: Message, session: Session, attempt: Int) async -> JobOutcome {
        guard let conversation = Self.conversation(of: session) else { return .dead("session \(session.id) is not a Chatwoot conversation") }
        guard !message.retracted else { return .done }
        let reply: NewReply
        do {
            reply = try await self.reply(for: message, kind: conversation.kind)
        } catch {
            return .retry("the store could not be read: \(String(reflecting: error))")
        }
        // Where the channel cannot carry it as one message, it goes as several, in order. Text parts carry a
        // marker a retry looks for; Chatwoot's multipart form has no room for one, so a file part whose answer
        // was lost may be sent twice.
        for (index, var part) in conversation.kind.split(reply).enumerated() {
            let marker = "\(session.id.rawValue):\(message.id)" + (index == 0 ? "" : ":\(index)")
            if part.files.isEmpty { part.contentAttributes = (part.contentAttributes ?? .emptyObject).setting(.string(marker), at: [Self.markerKey]) }
            let outcome = await post(part, marker: marker, in: conversation.id, attempt: attempt, session: session)
            guard outcome == .done else { return outcome }
        }
        return .done
    }

    /// The key under which a reply carries Baton's id for it, so a retry after a lost answer can find it.
    static let markerKey = "baton_message"

    /// The message as Chatwoot should get it on this channel: options as `input_select` where they show as
    /// buttons, as numbered text where they would be dropped; files the user or the flow gave as files.
    func reply(for message: Message, kind: InboxChannelKind) async throws -> NewReply {
        let content = message.content
        var files: [NewFile] = []
        var links: [String] = []
        for attachment in content.attachments {
            if let file = try await file(for: attachment) {
                files.append(file)
            } else if attachment.hasWebURL {
                // Not to be had as a file: the contact still gets the link.
                links.append(attachment.url)
            }
        }
        // Cards go as text on every inbox: the website widget's own cards cannot send a reply back to Chatwoot.
        let text = ([content.textWithCards].filter { !$0.isEmpty } + links).joined(separator: "\n")
        guard !content.quickReplies.isEmpty else { return NewReply(content: text, files: files) }
        switch kind.optionStyle(for: content.quickReplies, text: text, hasAttachments: !files.isEmpty) {
        case .buttons:
            let items = JSONValue.array(content.quickReplies.map { ["title": .string($0.title), "value": .string($0.payload)] })
            return NewReply(content: text, contentType: "input_select", contentAttributes: ["items": items], files: files)
        case .numberedText:
            return NewReply(content: InboxChannelKind.numbered(text, content.quickReplies), files: files)
        }
    }

    /// An attachment's bytes: a file the user uploaded to Baton, or a flow's `http(s)` link fetched once; `nil` when
    /// it cannot be had (then its link goes out as text).
    func file(for attachment: Attachment) async throws -> NewFile? {
        if let id = attachment.fileID {
            guard let stored = try await store.file(id: id) else { return nil }
            return NewFile(name: stored.name, mimeType: stored.mimeType, bytes: stored.bytes)
        }
        guard attachment.hasWebURL else { return nil }
        do {
            let response = try await links.execute(HTTPClientRequest(url: attachment.url), timeout: client.timeout)
            guard response.status.code / 100 == 2 else { return nil }
            let body = try await response.body.collect(upTo: maxFileBytes)
            let name = attachment.name ?? ChatwootWebhook.AttachmentPayload.fileName(of: attachment.url) ?? "file"
            let type = attachment.mimeType ?? response.headers.first(name: "content-type") ?? "application/octet-stream"
            return NewFile(name: name, mimeType: type, bytes: Array(body.readableBytesView))
        } catch {
            logger.notice("a flow's attachment could not be fetched; sending its link", metadata: ["url": "\(attachment.url)", "error": "\(error)"])
            return nil
        }
    }

    func post(_ reply: NewReply, marker: String, in conversationID: Int, attempt: Int, session: Session) async -> JobOutcome {
        do {
            let token = try await bot.accessToken()
            if attempt > 1, reply.files.isEmpty,
                try await client.recentMessages(conversationID: conversationID).contains(where: { $0.contentAttributes?[Self.markerKey] == .string(marker) })
            {
                return .done
            }
            try await client.createReply(conversationID: conversationID, reply, token: token)
            return .done
        } catch let error as ChatwootError {
            // Twice the timeout while Chatwoot may still be working on the request; none once it closed the connection.
            return error.postingOutcome(settle: error.mayStillBeProcessed ? Duration(client.timeout) * 2 : .zero, session: session.id, logger: logger)
        } catch {
            return .retry(String(describing: error))
        }
    }

    // MARK: Desk

    /// Hands the conversation to humans: a private note for the agents, then the bot handoff (`pending` → `open`).
    /// Both are harmless to repeat, so a retry simply does them again.
    func open(_ request: HandoverRequest, number: Int, session: Session, attempt: Int) async -> JobOutcome {
        guard let conversation = Self.conversation(of: session) else {
            return .reported(.failedToOpen(number: number, HandoverOutcome(status: .error, reason: .unsupported, detail: "not a Chatwoot conversation")))
        }
        do {
            var unavailable: HandoverOutcome.Reason?
            if let choice = request.whenUnavailable, let inboxID = conversation.inboxID {
                unavailable = try await availability.problem(inboxID: inboxID)
                if let unavailable, choice == .skip { return ChatwootDesk.unavailable(number, unavailable, inboxID: inboxID) }
            }
            let routing: ChatwootRouting
            switch try await ChatwootRouting.check(request.routing, client: client) {
            case .failure(let problem): return problem.report(handover: number, session: session, logger: logger)
            case .success(let checked): routing = checked
            }
            let token = try await bot.accessToken()
            // A node's own `note` replaces the generated summary (it follows as a note job of its own).
            if attempt == 1, request.note == nil {
                try await client.createReply(conversationID: conversation.id, NewReply(content: summary(of: session, request: request), isPrivate: true), token: token)
            }
            // With the administrator's token: Chatwoot answers a bot token 500 for a conversation that has a team.
            let current = routing.attributes.isEmpty ? nil : try await client.customAttributes(conversationID: conversation.id)
            try await routing.apply(to: conversation.id, client: client, currentAttributes: current)
            try await client.setStatus(conversationID: conversation.id, status: "open", token: token)
            logger.info("handover opened", metadata: ["endpoint": "\(endpointID)", "session": "\(session.id)", "conversation": "\(conversation.id)", "inbox": "\(conversation.inboxID ?? 0)"])
            var position: Int?
            if let inboxID = conversation.inboxID { position = await availability.queuePosition(for: request, inboxID: inboxID) }
            return .reported(
                .opened(
                    number: number, contactID: conversation.contactID ?? 0, conversationID: conversation.id, inboxID: conversation.inboxID ?? 0,
                    unavailable: unavailable, queuePosition: position))
        } catch let error as ChatwootError where error.isTransient || error.kind == .invalidResponse || error.mayHaveArrived {
            logger.warning("Chatwoot cannot take the handover now", metadata: ["session": "\(session.id)", "error": "\(error)"])
            return .retry(error.description)
        } catch let error as ChatwootError {
            logger.error("Chatwoot refused the handover", metadata: ["session": "\(session.id)", "error": "\(error)"])
            return .reported(.failedToOpen(number: number, ChatwootDesk.outcome(for: error)))
        } catch {
            return .retry(String(describing: error))
        }
    }

    /// What the agents read first: that the bot handed over (from which node, when it has a name), what the flow
    /// learned in the conversation (its context's plain values) and the profile fields the endpoint shares.
    func summary(of session: Session, request: HandoverRequest) -> String {
        let generated = request.nodeID.hasPrefix("node-") && request.nodeID.dropFirst(5).allSatisfy(\.isNumber)
        var lines = ["Baton's bot handed this conversation to the team" + (generated ? "." : " (flow node '\(request.nodeID)').")]
        var facts: [String] = []
        if case .object(let context) = session.state.context {
            for (key, value) in context.sorted(by: { $0.key < $1.key }) {
                switch value {
                case .string, .number, .bool: facts.append("\(key): \(value.displayText.prefix(200))")
                default: continue
                }
            }
        }
        for field in settings.profileAttributes {
            guard let value = session.state.profile[field], value != .null else { continue }
            facts.append("\(field): \(value.displayText.prefix(200))")
        }
        if !facts.isEmpty { lines.append("What the bot learned:\n" + facts.prefix(20).map { "• \($0)" }.joined(separator: "\n")) }
        lines.append("Baton session \(session.id.rawValue)")
        return lines.joined(separator: "\n")
    }

    /// The contact's and the bot's messages are in the conversation already.
    func post(_ message: Message, handover: HandoverState, session: Session, attempt: Int) async -> JobOutcome { .done }

    func note(_ text: String, handover: HandoverState, session: Session, attempt: Int) async -> JobOutcome {
        guard let conversation = Self.conversation(of: session) else { return .done }
        return await post(NewReply(content: text, isPrivate: true), marker: "", in: conversation.id, attempt: 1, session: session)
    }

    /// An agent handed the contact back to the bot: their choice is cleared and the conversation is the bot's again
    /// (`pending`), without a resolve.
    func release(conversationID: Int, session: Session, attempt: Int) async -> JobOutcome {
        let cleared = await JobOutcome.chatwoot(givingUpOn: [.notFound]) {
            try await client.removeCustomAttribute(HandBack.attribute, conversationID: conversationID)
        }
        guard cleared == .done else { return cleared }
        return await close(conversationID: conversationID, session: session, attempt: attempt)
    }

    /// The contact left the queue: the conversation goes back to the bot (`pending`), not to resolved.
    func close(conversationID: Int, session: Session, attempt: Int) async -> JobOutcome {
        await .chatwoot(givingUpOn: [.notFound, .unprocessable]) {
            try await client.setStatus(conversationID: conversationID, status: "pending", token: try await bot.accessToken())
        }
    }
}
