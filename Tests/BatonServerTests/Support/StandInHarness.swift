// This file imports the stand-in but not BatonCore: both have types named JSONValue, Message and
// ConversationRef, and the tests talk to the stand-in only through the plain values below.
import ChatwootStandIn
import Foundation

/// A Chatwoot stand-in for end-to-end tests: account 1 with a support inbox and a VIP inbox, an administrator
/// whose token Baton uses, and an agent who answers.
struct StandInHarness: Sendable {
    let standIn: ChatwootStandIn
    let accountID: Int
    let supportInbox: Int
    let vipInbox: Int
    let adminToken: String
    let agentID: Int
    /// The agent's name as Chatwoot's webhooks carry it (`sender.name`).
    let agentName: String
    let secret: String

    /// A message as the stand-in stored it.
    struct StoredMessage: Sendable, Hashable {
        var id: Int
        var type: String
        var content: String?
        var isPrivate: Bool
        var senderType: String?
        var sourceID: String?
        var externalCreatedAt: Int?
    }

    static func start() async throws -> StandInHarness {
        let standIn = try ChatwootStandIn()
        try await standIn.start()
        let secret = "e2e-secret-\(UUID().uuidString)"
        let seed = await standIn.seedDefaults(webhookURL: nil, secret: secret)
        let vip = await standIn.createInbox(account: seed.account.id, name: "VIP support", secret: secret)
        return StandInHarness(
            standIn: standIn, accountID: seed.account.id, supportInbox: seed.inbox.id, vipInbox: vip.id, adminToken: seed.administrator.accessToken,
            agentID: seed.agent.id, agentName: seed.agent.name, secret: secret)
    }

    var baseURL: String { standIn.baseURL.absoluteString }

    func pointWebhooks(to url: String) async {
        await standIn.setWebhookURL(url, inbox: supportInbox)
        await standIn.setWebhookURL(url, inbox: vipInbox)
    }

    func shutdown() async { await standIn.shutdown() }

    func ref(_ conversation: Int) -> ConversationRef { ConversationRef(accountId: accountID, displayId: conversation) }

    /// Waits for the first conversation, returning its display id and inbox.
    func waitForConversation() async throws -> (id: Int, inbox: Int) {
        let conversation = try await standIn.waitForConversation(account: accountID, timeout: .seconds(10)) { _ in true }
        return (conversation.displayId, conversation.inboxId)
    }

    func conversationCount() async -> Int { await standIn.conversations(account: accountID).count }

    func conversationStatus(_ id: Int) async -> String? { await standIn.conversation(ref(id))?.status.rawValue }

    /// Waits until the conversation has `status`.
    func waitForStatus(_ id: Int, _ status: String) async throws -> String {
        let target = ref(id)
        return try await standIn.waitUntil(timeout: .seconds(10), "conversation \(id) to be \(status)") { snapshot in
            snapshot.conversation(target).flatMap { $0.status.rawValue == status ? status : nil }
        }
    }

    func customAttribute(_ key: String, of id: Int) async -> String? {
        guard let value = await standIn.conversation(ref(id))?.customAttributes[key] else { return nil }
        return value.stringValue ?? value.intValue.map(String.init)
    }

    func contactIdentifiers() async -> [String?] { await standIn.contacts(account: accountID).map(\.identifier) }

    func contactName(of id: Int) async -> String? {
        guard let conversation = await standIn.conversation(ref(id)) else { return nil }
        return await standIn.contacts(account: accountID).first { $0.id == conversation.contactId }?.name
    }

    func messages(_ conversation: Int) async -> [StoredMessage] {
        await standIn.messages(ref(conversation)).map(Self.stored)
    }

    /// Waits until the conversation holds at least `count` public incoming or outgoing messages (private notes and
    /// Chatwoot's own activity messages, such as "resolved by", are not counted), and returns those.
    @discardableResult
    func waitForMessages(_ conversation: Int, count: Int) async throws -> [StoredMessage] {
        try await standIn.waitForMessages(ref(conversation), count: count, timeout: .seconds(10)) { message in
            !message.isPrivate && (message.messageType == .incoming || message.messageType == .outgoing)
        }.map(Self.stored)
    }

    static func stored(_ message: Message) -> StoredMessage {
        StoredMessage(
            id: message.id, type: message.messageType.name, content: message.content, isPrivate: message.isPrivate,
            senderType: message.sender?.typeName, sourceID: message.sourceId,
            externalCreatedAt: message.contentAttributes["external_created_at"]?.intValue)
    }

    /// Waits until the account has an agent bot named `name`; returns the ids and names of all its bots.
    func waitForAgentBot(named name: String) async throws -> [(id: Int, name: String, description: String?)] {
        let account = accountID
        return try await standIn.waitUntil(timeout: .seconds(10), "an agent bot named \(name)") { snapshot in
            let bots = snapshot.agentBots(account: account)
            return bots.contains { $0.name == name } ? bots.map { ($0.id, $0.name, $0.description) } : nil
        }
    }

    // MARK: The agent

    @discardableResult
    func reply(_ conversation: Int, _ text: String?, files: [(String, String, Data)] = []) async throws -> Int {
        let attachments = files.map { StandInFile(filename: $0.0, mimeType: $0.1, data: $0.2) }
        return try await standIn.agent(agentID).reply(ref(conversation), text, attachments: attachments).id
    }

    /// Waits until the message has `status` (`sent`, `delivered`, `read`, `failed`).
    func waitForMessageStatus(_ message: Int, _ status: String) async throws {
        _ = try await standIn.waitUntil(timeout: .seconds(10), "message \(message) to be \(status)") { snapshot in
            snapshot.messages.first { $0.id == message && $0.status.rawValue == status }.map { _ in true }
        }
    }

    /// The current status of the message.
    func messageStatus(_ message: Int) async -> String? {
        await standIn.snapshot().messages.first { $0.id == message }?.status.rawValue
    }

    /// The agent uploads a profile picture (PNG) in Chatwoot.
    func agentUploadsPicture(_ png: Data) async throws {
        try await standIn.setAvatar(user: agentID, filename: "agent.png", contentType: "image/png", data: Array(png))
    }

    func privateNote(_ conversation: Int, _ text: String) async throws {
        _ = try await standIn.agent(agentID).privateNote(ref(conversation), text)
    }

    func resolve(_ conversation: Int) async throws { try await standIn.agent(agentID).resolve(ref(conversation)) }
    func reopen(_ conversation: Int) async throws { try await standIn.agent(agentID).reopen(ref(conversation)) }
    func typing(_ conversation: Int, on: Bool) async throws { try await standIn.agent(agentID).typing(ref(conversation), on: on) }
    func delete(_ message: Int, in conversation: Int) async throws { _ = try await standIn.agent(agentID).deleteMessage(message, in: ref(conversation)) }

    // MARK: Faults and checks

    /// Makes the next request to `path` (a pattern such as `/api/v1/accounts/*/conversations`) answer `status`.
    func fail(_ method: String, _ path: String, status: Int, body: String, times: Int? = 1) {
        _ = standIn.injectFault(.custom(status: status, body: body, contentType: "application/json; charset=utf-8"), method: method, path: path, times: times)
    }

    /// Makes the next `times` requests to `path` drop their connection without an answer, after carrying the
    /// request out when `afterHandling` (a worker that dies before it answers).
    func closeConnections(_ method: String, _ path: String, afterHandling: Bool, times: Int) {
        _ = standIn.injectFault(.closeConnection(afterHandling: afterHandling), method: method, path: path, times: times)
    }

    /// The statuses the stand-in answered to requests whose path ends with `suffix`, in order.
    func answers(_ method: String, pathSuffix suffix: String) async -> [Int?] {
        await standIn.requests().filter { $0.method == method && $0.path.hasSuffix(suffix) }.map(\.responseStatus)
    }

    /// Waits for a request whose path ends with `suffix`; returns its JSON body and who its token belongs to.
    /// A request as the stand-in recorded it and answered it.
    struct AnsweredRequest: Sendable {
        var path: String
        var query: String?
        var body: String
        var tokenOwner: String?
        var status: Int
    }

    /// The last answered request of `method` whose path ends with `suffix`, once there is one.
    func waitForAnsweredRequest(_ method: String, pathSuffix suffix: String) async throws -> AnsweredRequest {
        try await standIn.waitUntil(timeout: .seconds(10), "a \(method) …\(suffix)") { snapshot in
            snapshot.requests.last { $0.method == method && $0.path.hasSuffix(suffix) && $0.responseStatus != nil }.map {
                AnsweredRequest(path: $0.path, query: $0.query, body: $0.bodyText, tokenOwner: $0.tokenOwner, status: $0.responseStatus ?? 0)
            }
        }
    }

    func waitForRequest(_ method: String, pathSuffix suffix: String) async throws -> (body: String, tokenOwner: String?) {
        try await standIn.waitUntil(timeout: .seconds(10), "a \(method) …\(suffix)") { snapshot in
            snapshot.requests.last { $0.method == method && $0.path.hasSuffix(suffix) && $0.responseStatus != nil }.map { ($0.bodyText, $0.tokenOwner) }
        }
    }

    /// Waits until a request of `method` whose path ends with `suffix` and whose body has `text` has arrived and is
    /// not answered yet (held by ``slow(_:_:by:times:)``).
    func waitForRequestInFlight(_ method: String, pathSuffix suffix: String, containing text: String) async throws {
        _ = try await standIn.waitUntil(timeout: .seconds(10), "a \(method) …\(suffix) with \(text) in flight") { snapshot in
            snapshot.requests.contains { $0.method == method && $0.path.hasSuffix(suffix) && $0.responseStatus == nil && $0.bodyText.contains(text) } ? true : nil
        }
    }

    /// Waits until the conversation holds a private note that contains `text`.
    @discardableResult
    func waitForNote(_ conversation: Int, containing text: String) async throws -> StoredMessage {
        let target = ref(conversation)
        return try await standIn.waitUntil(timeout: .seconds(10), "a note with \(text) in \(conversation)") { snapshot in
            guard let id = snapshot.conversation(target)?.id else { return nil }
            return snapshot.messages.first { $0.conversationId == id && $0.isPrivate && $0.content?.contains(text) == true }.map(Self.stored)
        }
    }

    /// Waits until Baton has taken `count` of the inbox's `conversation_status_changed` webhooks of conversation
    /// `id` that say `status` (it answers one once it is applied).
    func waitForStatusEvents(_ id: Int, _ status: String, count: Int) async throws {
        _ = try await standIn.waitUntil(timeout: .seconds(10), "\(count) status events '\(status)' of \(id) taken") { snapshot in
            let taken = snapshot.deliveries.filter {
                $0.agentBotId == nil && $0.event == "conversation_status_changed" && $0.conversationDisplayId == id && $0.succeeded
                    && $0.json?["status"]?.stringValue == status
            }
            return taken.count >= count ? true : nil
        }
    }

    /// Makes the stand-in refuse connections until ``comeUp()``.
    func goDown() async { await standIn.goDown() }
    func comeUp() async throws { try await standIn.comeUp() }

    /// The most requests the stand-in handled at once since the last `resetPeakRequestsInFlight()`.
    var peakRequestsInFlight: Int { standIn.requestsInFlight.peak }
    func resetPeakRequestsInFlight() { standIn.resetPeakRequestsInFlight() }

    /// Makes the next `times` requests matching `path` wait `latency` before they are handled.
    func slow(_ method: String, _ path: String, by latency: Duration, times: Int) {
        _ = standIn.addLatency(latency, method: method, path: path, times: times)
    }

    /// Fails the next `count` webhook deliveries (nothing is sent; message events mark their message failed).
    func dropWebhooks(_ count: Int) { standIn.failNextWebhooks(count) }

    /// The body of the API inbox's `event` for message `id`, whose delivery was dropped (`dropWebhooks`): to deliver
    /// it late, after later messages' webhooks, as Chatwoot's parallel workers may.
    func droppedWebhook(_ event: String = "message_created", ofMessage id: Int) async throws -> Data {
        let delivery = try await standIn.waitUntil(timeout: .seconds(10), "the dropped \(event) of message \(id)") { snapshot in
            snapshot.deliveries.first { $0.agentBotId == nil && $0.event == event && $0.messageId == id && $0.error != nil }
        }
        return Data(delivery.body)
    }

    /// The body of the API inbox's `event` for message `id` as it was delivered: to deliver it again, as a late
    /// redelivery would.
    func deliveredWebhook(_ event: String = "message_created", ofMessage id: Int) async throws -> Data {
        let delivery = try await standIn.waitUntil(timeout: .seconds(10), "the \(event) of message \(id)") { snapshot in
            snapshot.deliveries.first { $0.agentBotId == nil && $0.event == event && $0.messageId == id && $0.error == nil }
        }
        return Data(delivery.body)
    }

    /// Delivers every webhook `copies` times and shuffles those within `window`.
    func shuffleWebhooks(window: Duration, copies: Int) {
        standIn.updateWebhookOptions {
            $0.order = .shuffled(window: window)
            $0.deliveryCopies = copies
            $0.buildPayloadsAtEventTime = true
        }
    }

    /// Waits for the conversation Baton opened for `session`.
    func waitForConversation(session: String) async throws -> Int {
        let account = accountID
        return try await standIn.waitUntil(timeout: .seconds(20), "a conversation for session \(session)") { snapshot in
            snapshot.conversations(account: account).first { $0.customAttributes["baton_session"]?.stringValue == session }?.displayId
        }
    }

    /// Waits for an incoming message with files; returns each file's type, name, content type and size.
    func waitForIncomingFiles(_ conversation: Int) async throws -> [(fileType: String, name: String, contentType: String, size: Int)] {
        let target = ref(conversation)
        return try await standIn.waitUntil(timeout: .seconds(10), "an incoming message with files in \(conversation)") { snapshot in
            snapshot.messages(in: target).first { $0.messageType == .incoming && !$0.attachments.isEmpty }?
                .attachments.map { ($0.fileType, $0.filename, $0.contentType, $0.byteSize) }
        }
    }

    /// The contents of the public incoming messages of a conversation, in Chatwoot's order.
    func incomingTexts(_ conversation: Int) async -> [String] {
        await standIn.messages(ref(conversation)).filter { $0.messageType == .incoming && !$0.isPrivate }.compactMap(\.content)
    }

    /// Waits until the conversation's incoming messages include every one of `texts`; returns all incoming texts.
    func waitForIncoming(_ conversation: Int, including texts: [String], outgoing: Bool = false, timeout: Duration = .seconds(30)) async throws -> [String] {
        let target = ref(conversation)
        let wanted = Set(texts)
        let type: MessageType = outgoing ? .outgoing : .incoming
        return try await standIn.waitUntil(timeout: timeout, "\(texts.count) messages in conversation \(conversation)") { snapshot in
            let incoming = snapshot.messages(in: target).filter { $0.messageType == type && !$0.isPrivate }.compactMap(\.content)
            return wanted.isSubset(of: Set(incoming)) ? incoming : nil
        }
    }

    func specViolations() async -> [String] { await standIn.specViolations().map(\.description) }
}
