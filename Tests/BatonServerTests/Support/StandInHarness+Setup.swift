import ChatwootStandIn
import Foundation

/// What `baton chatwoot setup` and `baton doctor` tests read of, and do to, the stand-in.
extension StandInHarness {
    /// An API inbox as the stand-in holds it.
    struct InboxState: Sendable, Hashable {
        var id: Int
        var webhookURL: String?
        var secret: String
        var agentBotID: Int?
        var memberEmails: [String]
    }

    func inbox(named name: String) async -> InboxState? {
        let db = await standIn.snapshot()
        guard let inbox = db.inboxes.first(where: { $0.accountId == accountID && $0.name == name }) else { return nil }
        return InboxState(
            id: inbox.id, webhookURL: inbox.webhookURL, secret: inbox.secret, agentBotID: inbox.agentBotId,
            memberEmails: inbox.memberIds.compactMap { db.user($0)?.email })
    }

    func inbox(id: Int) async -> InboxState? {
        let db = await standIn.snapshot()
        guard let inbox = db.inbox(id) else { return nil }
        return await self.inbox(named: inbox.name)
    }

    func inboxCount() async -> Int { await standIn.snapshot().inboxes.filter { $0.accountId == accountID }.count }

    func accountEmails() async -> [String] {
        await standIn.snapshot().users.filter { $0.roles[accountID] != nil }.map(\.email)
    }

    /// The API token of the seeded agent (not an administrator).
    func agentToken() async -> String? { await standIn.snapshot().user(agentID)?.accessToken }

    func setWebhookURL(_ url: String?, inboxID: Int) async { await standIn.setWebhookURL(url, inbox: inboxID) }
}

extension StandInHarness {
    /// The inbox a conversation is in.
    func conversationInbox(_ id: Int) async -> Int? { await standIn.conversation(ref(id))?.inboxId }
}

extension StandInHarness {
    /// The `traceparent` headers of the API calls whose path ends with `suffix`, in the order they came.
    func traceparents(pathSuffix suffix: String) async -> [String] {
        await standIn.requests().filter { $0.path.hasSuffix(suffix) }.compactMap { $0.header("traceparent") }
    }
}

extension StandInHarness {
    /// Waits until more than `count` answered requests have a path ending with `suffix`.
    func waitForRequests(_ method: String, pathSuffix suffix: String, moreThan count: Int) async throws {
        _ = try await standIn.waitUntil(timeout: .seconds(10), "more than \(count) \(method) …\(suffix)") { snapshot in
            snapshot.requests.filter { $0.method == method && $0.path.hasSuffix(suffix) && $0.responseStatus != nil }.count > count ? true : nil
        }
    }
}
