public import AsyncHTTPClient
public import BatonCore
import Foundation
public import Logging
public import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Chatwoot's Application API, the calls a handover needs (`/api/v1/accounts/{account_id}/…`).
///
/// Every call is one HTTP request with a timeout; failures come back as `ChatwootError`, whose message never
/// contains a token. Requests carry only fields Chatwoot's OpenAPI spec allows (plus documented extras such as
/// `source_id`), so the same code works against a real Chatwoot.
public struct ChatwootClient: Sendable {
    public let baseURL: String
    public let accountID: Int
    let token: String
    let http: HTTPClient
    /// How long one call waits for its answer.
    public let timeout: TimeAmount
    let logger: Logger

    /// - Parameters:
    ///   - baseURL: e.g. `https://app.chatwoot.com` (no `/api/v1`).
    ///   - token: a user's API access token (an administrator's, for agent-bot management).
    ///   - http: the client to call with; by default one with a connection for each job the outbox runs at once
    ///     (`ChatwootHTTPClient`).
    public init(baseURL: String, accountID: Int, token: String, http: HTTPClient? = nil, timeout: TimeAmount = .seconds(10), logger: Logger) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.accountID = accountID
        self.token = token
        self.http = http ?? ChatwootHTTPClient.shared
        self.timeout = timeout
        self.logger = logger
    }

    // MARK: Inboxes

    public func inbox(id: Int) async throws -> ChatwootInbox {
        try await call(.GET, "/inboxes/\(id)")
    }

    // MARK: Contacts

    /// Contacts whose name, e-mail, phone or identifier contain `query`.
    public func searchContacts(_ query: String) async throws -> [ChatwootContact] {
        let encoded = query.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&+=?#"))) ?? query
        let page: Payload<[ChatwootContact]> = try await call(.GET, "/contacts/search?q=\(encoded)")
        return page.payload
    }

    /// Creates a contact together with its contact inbox for `contact.inboxID` and `contact.sourceID`.
    public func createContact(_ contact: NewContact) async throws -> ChatwootContact {
        var body: [String: JSONValue] = [
            "name": .string(contact.name), "identifier": .string(contact.identifier), "inbox_id": .number(Double(contact.inboxID)),
            "source_id": .string(contact.sourceID),
        ]
        if let email = contact.email { body["email"] = .string(email) }
        if !contact.customAttributes.isEmpty { body["custom_attributes"] = .object(contact.customAttributes) }
        let created: Payload<ContactPayload> = try await call(.POST, "/contacts", body: .object(body))
        return created.payload.contact
    }

    /// Makes sure the contact can talk in the inbox under `sourceID` (find-or-create in Chatwoot).
    public func createContactInbox(contactID: Int, inboxID: Int, sourceID: String) async throws {
        let _: Ignored = try await call(
            .POST, "/contacts/\(contactID)/contact_inboxes", body: ["inbox_id": .number(Double(inboxID)), "source_id": .string(sourceID)])
    }

    // MARK: Conversations

    public func createConversation(_ conversation: NewConversation) async throws -> ChatwootConversation {
        var body: [String: JSONValue] = [
            "source_id": .string(conversation.sourceID), "inbox_id": .number(Double(conversation.inboxID)),
            "contact_id": .number(Double(conversation.contactID)), "status": "open",
        ]
        if !conversation.customAttributes.isEmpty { body["custom_attributes"] = .object(conversation.customAttributes) }
        if !conversation.additionalAttributes.isEmpty { body["additional_attributes"] = .object(conversation.additionalAttributes) }
        return try await call(.POST, "/conversations", body: .object(body))
    }

    public func conversation(id: Int) async throws -> ChatwootConversation {
        try await call(.GET, "/conversations/\(id)")
    }

    /// The conversation as Chatwoot returns it, to be read as its status event would be
    /// (``WebhookClassifier/classify(apiConversation:)``).
    public func conversationJSON(id: Int) async throws -> JSONValue {
        try await call(.GET, "/conversations/\(id)")
    }

    /// Sets the conversation's status (`resolved` ends a handover from Baton's side). With the agent bot's token,
    /// `open` on a pending conversation is Chatwoot's bot handoff (`Conversation#bot_handoff!`).
    public func setStatus(conversationID: Int, status: String, token: String? = nil) async throws {
        let _: Ignored = try await call(.POST, "/conversations/\(conversationID)/toggle_status", body: ["status": .string(status)], token: token)
    }

    /// Assigns the conversation to a team (an unknown id clears the team: check with ``team(id:)`` first).
    public func assign(conversationID: Int, teamID: Int) async throws {
        let _: Ignored = try await call(.POST, "/conversations/\(conversationID)/assignments", body: ["team_id": .number(Double(teamID))])
    }

    /// Assigns the conversation to an agent (an unknown id unassigns it: check with ``agents()`` first).
    public func assign(conversationID: Int, agentID: Int) async throws {
        let _: Ignored = try await call(.POST, "/conversations/\(conversationID)/assignments", body: ["assignee_id": .number(Double(agentID))])
    }

    /// Sets the conversation's priority (`low`, `medium`, `high`, `urgent`).
    public func setPriority(conversationID: Int, _ priority: String) async throws {
        let _: Ignored = try await call(.POST, "/conversations/\(conversationID)/toggle_priority", body: ["priority": .string(priority)])
    }

    /// The conversation's labels.
    public func labels(conversationID: Int) async throws -> [String] {
        let page: Payload<[String]> = try await call(.GET, "/conversations/\(conversationID)/labels")
        return page.payload
    }

    /// Replaces the conversation's custom attributes.
    public func setCustomAttributes(conversationID: Int, _ attributes: [String: JSONValue]) async throws {
        let _: Ignored = try await call(.POST, "/conversations/\(conversationID)/custom_attributes", body: ["custom_attributes": .object(attributes)])
    }

    /// Removes one custom attribute of the conversation, keeping the others (Chatwoot's call replaces them all).
    /// With the administrator's token: Chatwoot answers a bot token 500 for a conversation that has a team.
    public func removeCustomAttribute(_ key: String, conversationID: Int) async throws {
        var attributes = try await customAttributes(conversationID: conversationID)
        guard attributes.removeValue(forKey: key) != nil else { return }
        try await setCustomAttributes(conversationID: conversationID, attributes)
    }

    /// The conversation's custom attributes (read with the administrator's token, for the same reason).
    public func customAttributes(conversationID: Int) async throws -> [String: JSONValue] {
        if case .object(let attributes)? = try await conversation(id: conversationID).customAttributes { return attributes }
        return [:]
    }

    /// The account's team `id` (404 when there is none).
    public func team(id: Int) async throws -> ChatwootTeam {
        try await call(.GET, "/teams/\(id)")
    }

    /// The account's agents (administrators included).
    public func agents() async throws -> [ChatwootAgent] {
        try await call(.GET, "/agents")
    }

    /// Answers a conversation's satisfaction survey as its contact would on the survey page
    /// (`PUT /public/api/v1/csat_survey/{conversation uuid}`, no credentials). Repeating it updates the answer.
    public func answerSurvey(conversationUUID: String, rating: Int, feedback: String?) async throws {
        var response: [String: JSONValue] = ["rating": .number(Double(rating))]
        if let feedback { response["feedback_message"] = .string(feedback) }
        let body: JSONValue = ["message": ["submitted_values": ["csat_survey_response": .object(response)]]]
        let _: Ignored = try await call(.PUT, "/csat_survey/\(conversationUUID)", body: body, scope: .publicAPI)
    }

    /// How many open conversations of the inbox have no assignee: its queue (`GET /conversations`' `meta`, counted
    /// by `ConversationFinder` over the status and inbox filters).
    public func waitingConversations(inboxID: Int) async throws -> Int {
        struct Page: Decodable {
            struct Data: Decodable {
                struct Meta: Decodable { var unassigned_count: Int }
                var meta: Meta
            }
            var data: Data
        }
        let page: Page = try await call(.GET, "/conversations?inbox_id=\(inboxID)&status=open&assignee_type=unassigned&page=1")
        return page.data.meta.unassigned_count
    }

    /// The inbox's members (administrators only when added), each with their availability.
    public func inboxMembers(inboxID: Int) async throws -> [ChatwootAgent] {
        let page: Payload<[ChatwootAgent]> = try await call(.GET, "/inbox_members/\(inboxID)")
        return page.payload
    }

    /// Adds labels to the conversation (`POST /conversations/{id}/labels` replaces the list, so the current ones are
    /// passed in too).
    public func setLabels(conversationID: Int, labels: [String], token: String? = nil) async throws {
        let _: Ignored = try await call(.POST, "/conversations/\(conversationID)/labels", body: ["labels": .array(labels.map(JSONValue.string))], token: token)
    }

    // MARK: Messages

    /// Posts a message. `token` overrides the client's token, e.g. to post as the agent bot.
    @discardableResult
    public func createMessage(conversationID: Int, _ message: NewMessage, token: String? = nil) async throws -> ChatwootMessage {
        var body: [String: JSONValue] = [
            "content": .string(message.content), "message_type": .string(message.direction.rawValue), "private": .bool(message.isPrivate),
            "source_id": .string(message.sourceID),
        ]
        if let at = message.externalCreatedAt { body["external_created_at"] = .number(Double(at)) }
        return try await call(.POST, "/conversations/\(conversationID)/messages", body: .object(body), token: token)
    }

    /// Creates a message with files, as `multipart/form-data` with `attachments[]` parts (Chatwoot stores them and
    /// sends agents the files themselves).
    @discardableResult
    public func createMessage(conversationID: Int, _ message: NewMessage, files: [NewFile], token: String? = nil) async throws -> ChatwootMessage {
        guard !files.isEmpty else { return try await createMessage(conversationID: conversationID, message, token: token) }
        var form = MultipartForm()
        form.field("content", message.content)
        form.field("message_type", message.direction.rawValue)
        form.field("private", message.isPrivate ? "true" : "false")
        form.field("source_id", message.sourceID)
        if let at = message.externalCreatedAt { form.field("external_created_at", String(at)) }
        for file in files { form.file("attachments[]", name: file.name, contentType: file.mimeType, bytes: file.bytes) }
        return try await call(.POST, "/conversations/\(conversationID)/messages", raw: form.finish(), token: token)
    }

    /// Posts the agent bot's reply in a channel inbox: no `source_id` (Chatwoot would take the message for one
    /// that came from the channel and not send it), interactive content as `content_type` + `content_attributes`.
    @discardableResult
    public func createReply(conversationID: Int, _ reply: NewReply, token: String) async throws -> ChatwootMessage {
        guard reply.files.isEmpty else {
            var form = MultipartForm()
            if !reply.content.isEmpty { form.field("content", reply.content) }
            form.field("message_type", "outgoing")
            for file in reply.files { form.file("attachments[]", name: file.name, contentType: file.mimeType, bytes: file.bytes) }
            return try await call(.POST, "/conversations/\(conversationID)/messages", raw: form.finish(), token: token)
        }
        var body: [String: JSONValue] = ["content": .string(reply.content), "message_type": "outgoing", "private": .bool(reply.isPrivate)]
        if let contentType = reply.contentType { body["content_type"] = .string(contentType) }
        if let attributes = reply.contentAttributes { body["content_attributes"] = attributes }
        return try await call(.POST, "/conversations/\(conversationID)/messages", body: .object(body), token: token)
    }

    /// Messages of a conversation newer than `after` (at most 100 per call, oldest first).
    public func messages(conversationID: Int, after: Int) async throws -> [ChatwootMessage] {
        let page: Payload<[ChatwootMessage]> = try await call(.GET, "/conversations/\(conversationID)/messages?after=\(after)")
        return page.payload
    }

    /// Messages of a conversation newer than `after` as Chatwoot sent them (at most 100 per call, oldest first), for
    /// reading agent replies with the webhook classifier's rules (``WebhookClassifier/classify(apiMessage:conversationID:)``).
    public func messagePage(conversationID: Int, after: Int) async throws -> [JSONValue] {
        let page: Payload<[JSONValue]> = try await call(.GET, "/conversations/\(conversationID)/messages?after=\(after)")
        return page.payload
    }

    /// Shows the contact typing (or no longer) in the conversation, through the Client API, which needs no token: the
    /// API inbox's `inbox_identifier` and the contact inbox's `source_id` name the contact, and Chatwoot sends the
    /// typing event with the contact as its user (`app/controllers/public/api/v1/inboxes/conversations_controller.rb`).
    /// `typing_status` goes in the query as Chatwoot's OpenAPI spec has it, and in the body as its own clients send it.
    public func contactTyping(inboxIdentifier: String, sourceID: String, conversationID: Int, on: Bool) async throws {
        let status = on ? "on" : "off"
        let path = "/inboxes/\(Self.pathSegment(inboxIdentifier))/contacts/\(Self.pathSegment(sourceID))/conversations/\(conversationID)/toggle_typing"
        let _: Ignored = try await call(.POST, path + "?typing_status=\(status)", body: ["typing_status": .string(status)], scope: .publicAPI)
    }

    /// Tells Chatwoot the contact saw the conversation now, through the Client API (no token): it marks the
    /// messages to the contact sent before now as read, which agents see
    /// (`app/controllers/public/api/v1/inboxes/conversations_controller.rb`, `Conversations::UpdateMessageStatusJob`).
    public func contactSawConversation(inboxIdentifier: String, sourceID: String, conversationID: Int) async throws {
        let path = "/inboxes/\(Self.pathSegment(inboxIdentifier))/contacts/\(Self.pathSegment(sourceID))/conversations/\(conversationID)/update_last_seen"
        let _: Ignored = try await call(.POST, path, scope: .publicAPI)
    }

    /// `text` escaped for one segment of a path.
    static func pathSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? text
    }

    /// The latest 20 messages of a conversation, oldest first.
    public func recentMessages(conversationID: Int) async throws -> [ChatwootMessage] {
        let page: Payload<[ChatwootMessage]> = try await call(.GET, "/conversations/\(conversationID)/messages")
        return page.payload
    }

    /// The contact's conversations (the latest 20 by activity).
    public func conversations(contactID: Int) async throws -> [ChatwootConversation] {
        let page: Payload<[ChatwootConversation]> = try await call(.GET, "/contacts/\(contactID)/conversations")
        return page.payload
    }

    // MARK: Agent bots

    public func agentBots() async throws -> [ChatwootAgentBot] {
        try await call(.GET, "/agent_bots")
    }

    public func agentBot(id: Int) async throws -> ChatwootAgentBot {
        try await call(.GET, "/agent_bots/\(id)")
    }

    public func createAgentBot(name: String, description: String) async throws -> ChatwootAgentBot {
        try await call(.POST, "/agent_bots", body: ["name": .string(name), "description": .string(description)])
    }

    public func updateAgentBot(id: Int, name: String, description: String, outgoingURL: String? = nil) async throws -> ChatwootAgentBot {
        var body: [String: JSONValue] = ["name": .string(name), "description": .string(description)]
        if let outgoingURL { body["outgoing_url"] = .string(outgoingURL) }
        return try await call(.PATCH, "/agent_bots/\(id)", body: .object(body))
    }

    /// Connects the bot to the inbox (`set_agent_bot`, administrators only): new conversations there start
    /// `pending` and the bot gets the inbox's events.
    public func connectAgentBot(_ botID: Int, toInbox inboxID: Int) async throws {
        let _: Ignored = try await call(.POST, "/inboxes/\(inboxID)/set_agent_bot", body: ["agent_bot": .number(Double(botID))])
    }

    // MARK: Transport

    struct Payload<T: Decodable>: Decodable { var payload: T }
    struct ContactPayload: Decodable { var contact: ChatwootContact }
    /// For calls whose answer Baton does not read (any JSON, or none).
    struct Ignored: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    /// Bodies larger than this are not Chatwoot's answers to these calls.
    static let maxResponseSize = 4 * 1024 * 1024

    /// Where a call goes: the account's Application API (with a token), or the public API (without one).
    enum Scope {
        /// `/api/v1/accounts/{account_id}/…`
        case account
        /// `/api/v1/…`, the token's user's own routes (`/api/v1/profile`).
        case user
        /// `/public/api/v1/…`
        case publicAPI
    }

    func call<T: Decodable>(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil, token: String? = nil, scope: Scope = .account) async throws -> T {
        try await call(method, path, raw: body.map { (ByteBuffer(string: $0.jsonText), "application/json") }, token: token, scope: scope)
    }

    func call<T: Decodable>(
        _ method: HTTPMethod, _ path: String, raw body: (bytes: ByteBuffer, contentType: String)?, token: String? = nil, scope: Scope = .account
    ) async throws -> T {
        let operation = "\(method.rawValue) \(path.split(separator: "?").first.map(String.init) ?? path)"
        var request: HTTPClientRequest
        switch scope {
        case .account:
            request = HTTPClientRequest(url: "\(baseURL)/api/v1/accounts/\(accountID)\(path)")
            request.headers.add(name: "api_access_token", value: token ?? self.token)
        case .user:
            request = HTTPClientRequest(url: "\(baseURL)/api/v1\(path)")
            request.headers.add(name: "api_access_token", value: token ?? self.token)
        case .publicAPI:
            // Anyone with the link may call these: no credential is sent along.
            request = HTTPClientRequest(url: "\(baseURL)/public/api/v1\(path)")
        }
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: body.contentType)
            request.body = .bytes(body.bytes)
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout, logger: logger)
            bytes = try await response.body.collect(upTo: Self.maxResponseSize)
        } catch {
            var failure = ChatwootError(kind: .unreachable, status: nil, message: "no answer: \(String(describing: error))", operation: operation)
            // A request that was sent but not answered may have been carried out by Chatwoot, and unless Chatwoot
            // closed the connection, may still be.
            if let clientError = error as? HTTPClientError {
                failure.mayHaveArrived = [.deadlineExceeded, .readTimeout, .remoteConnectionClosed, .cancelled].contains(clientError)
                failure.mayStillBeProcessed = [.deadlineExceeded, .readTimeout, .cancelled].contains(clientError)
            }
            throw failure
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            throw ChatwootError(kind: ChatwootError.kind(forStatus: status), status: status, message: Self.errorText(bytes), operation: operation)
        }
        if T.self == Ignored.self, let ignored = try? JSONDecoder().decode(Ignored.self, from: Data("{}".utf8)) as? T { return ignored }
        do {
            return try JSONDecoder().decode(T.self, from: bytes)
        } catch {
            throw ChatwootError(kind: .invalidResponse, status: status, message: "unexpected answer: \(error)", operation: operation)
        }
    }

    /// Chatwoot's error text: `{"error": "…"}`, `{"message": "…"}`, `{"errors": […]}` or plain text ("Retry later").
    static func errorText(_ bytes: ByteBuffer) -> String {
        let text = String(buffer: bytes)
        if let json = try? JSONValue(jsonText: text) {
            for key in ["error", "message"] {
                if case .string(let message)? = json[key] { return message }
            }
            if case .array(let errors)? = json["errors"] { return errors.map(\.displayText).joined(separator: "; ") }
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "no details" : String(trimmed.prefix(300))
    }
}
