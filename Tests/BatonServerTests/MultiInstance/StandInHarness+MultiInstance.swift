// Like StandInHarness.swift, this file imports the stand-in but not BatonCore (both have a JSONValue, a Message…).
import ChatwootStandIn
import Foundation

/// What the multi-instance tests ask of the stand-in: a token per Baton process, so every request tells which
/// process made it, and the messages and bots as Chatwoot holds them.
extension StandInHarness {
    /// A second administrator of the account: its token tells one Baton process's requests from another's.
    /// - Returns: its API token and how the stand-in names it in `RecordedRequest.tokenOwner` (`"User 7"`).
    func addAdministrator(_ name: String) async -> (token: String, owner: String) {
        let user = await standIn.createUser(
            name: name, email: "\(name.lowercased().filter(\.isLetter))-\(UUID().uuidString.prefix(8))@acme.example", roles: [accountID: .administrator])
        return (user.accessToken, "User \(user.id)")
    }

    /// The account's agent bots, as `AgentBot <id>` token owners would name them.
    func agentBots() async -> [(id: Int, name: String)] {
        await standIn.agentBots(account: accountID).map { ($0.id, $0.name) }
    }

    /// The public incoming messages of a conversation, in Chatwoot's order.
    func incomingMessages(_ conversation: Int) async -> [StoredMessage] {
        await messages(conversation).filter { $0.type == "incoming" && !$0.isPrivate }
    }

    /// Waits until `count` requests creating messages are in flight at once (received, not yet answered).
    /// - Returns: their ids in the request log (who sent them shows once they are answered: ``tokenOwners(of:)``).
    func waitForMessagePostsInFlight(_ count: Int, timeout: Duration = .seconds(30)) async throws -> [Int] {
        try await standIn.waitUntil(timeout: timeout, "\(count) message posts in flight") { snapshot in
            let inFlight = snapshot.requests.filter { $0.method == "POST" && $0.path.hasSuffix("/messages") && $0.responseStatus == nil }
            return inFlight.count >= count ? inFlight.map(\.id) : nil
        }
    }

    /// Whose tokens the requests with these ids carried (nil for one not answered yet).
    func tokenOwners(of ids: [Int]) async -> [String?] {
        let requests = await standIn.requests()
        return ids.map { id in requests.first { $0.id == id }?.tokenOwner }
    }

    /// Every message post takes `latency` from now on, in place of any earlier slowing (the stand-in's other request
    /// rules are lifted too). Posts already received keep the latency they arrived with.
    func slowMessagePosts(by latency: Duration) {
        standIn.clearFaults()
        _ = standIn.addLatency(latency, method: "POST", path: "/api/v1/accounts/*/conversations/*/messages")
    }

    /// The conversation paths (`…/conversations/{id}`) the requests with these ids were made on.
    func conversationPaths(of ids: [Int]) async -> Set<String> {
        let requests = await standIn.requests()
        return Set(ids.compactMap { id in requests.first { $0.id == id }.map { $0.path.replacingOccurrences(of: "/messages", with: "") } })
    }

    /// How long after `start` the first request on one of `paths` (a conversation's own path or below it) arrived
    /// from one of `owners` (answered requests only: the owner is known once the stand-in answered).
    func firstCall(after start: Date, onAnyOf paths: Set<String>, byAnyOf owners: Set<String>) async -> Duration? {
        let from = Instant(start)
        let first = await standIn.requests()
            .filter { request in
                request.receivedAt >= from && owners.contains(request.tokenOwner ?? "")
                    && paths.contains { request.path == $0 || request.path.hasPrefix($0 + "/") }
            }
            .map(\.receivedAt).min()
        return first.map { .microseconds($0.microseconds - from.microseconds) }
    }

    /// Which of `owners` read the conversation's messages since `start` (a reconciliation reads until nothing is new).
    func messageReaders(of conversation: Int, after start: Date, amongst owners: Set<String>) async -> Set<String> {
        let from = Instant(start)
        return Set(
            await standIn.requests().filter { request in
                request.method == "GET" && request.path.hasSuffix("/conversations/\(conversation)/messages") && request.receivedAt >= from
            }.compactMap(\.tokenOwner)
        ).intersection(owners)
    }

    /// Waits until no request is in flight (what a killed process sent has been answered, to nobody).
    func waitForRequestsIdle(timeout: Duration = .seconds(30)) async throws {
        _ = try await standIn.waitUntil(timeout: timeout, "every request to be answered") { snapshot in
            snapshot.requests.allSatisfy { $0.responseStatus != nil } ? true : nil
        }
    }

    /// The token owners of the answered requests that created messages, in arrival order.
    func messagePosters() async -> [String?] {
        await standIn.requests().filter { $0.method == "POST" && $0.path.hasSuffix("/messages") && $0.responseStatus == 200 }.map(\.tokenOwner)
    }

    /// Waits until a bot's message of `conversation` (a bot turn of the handover's history) was posted and taken;
    /// returns whose token posted it (`"AgentBot 3"`).
    func waitForBotPost(in conversation: Int, timeout: Duration = .seconds(20)) async throws -> String {
        try await standIn.waitUntil(timeout: timeout, "a bot's message posted in conversation \(conversation)") { snapshot in
            snapshot.requests.first {
                $0.method == "POST" && $0.path.hasSuffix("/conversations/\(conversation)/messages") && $0.responseStatus == 200
                    && $0.bodyText.contains(#""message_type":"outgoing""#)
            }.map { $0.tokenOwner ?? "no token" }
        }
    }

    /// Waits until a webhook about `message` was delivered; returns the URL it went to and whether it succeeded.
    func waitForWebhook(aboutMessage message: Int, timeout: Duration = .seconds(10)) async throws -> (url: String, succeeded: Bool) {
        try await standIn.waitUntil(timeout: timeout, "a webhook about message \(message)") { snapshot in
            snapshot.deliveries.first { $0.event == "message_created" && $0.messageId == message }.map { ($0.url, $0.succeeded) }
        }
    }
}
