import BatonCore
import NIOHTTP1

/// The administrator's calls `baton chatwoot setup` and `baton doctor` make: who the token is, the account's inboxes
/// with their webhook settings, agents and inbox members.
extension ChatwootClient {
    /// `GET /api/v1/profile`: the token's user and their role in each account.
    public func profile() async throws -> ChatwootProfile {
        try await call(.GET, "/profile", scope: .user)
    }

    /// `GET /inboxes`: every inbox of the account (an agent's token sees only theirs).
    public func inboxes() async throws -> [ChatwootInboxSettings] {
        let list: Payload<[ChatwootInboxSettings]> = try await call(.GET, "/inboxes")
        return list.payload
    }

    /// `GET /inboxes/{id}` with the API channel's webhook settings.
    public func inboxSettings(id: Int) async throws -> ChatwootInboxSettings {
        try await call(.GET, "/inboxes/\(id)")
    }

    /// `POST /inboxes`: a new API-channel inbox whose webhooks go to `webhookURL`.
    public func createAPIInbox(name: String, webhookURL: String) async throws -> ChatwootInboxSettings {
        try await call(.POST, "/inboxes", body: ["name": .string(name), "channel": ["type": "api", "webhook_url": .string(webhookURL)]])
    }

    /// `PATCH /inboxes/{id}` with the API channel's `webhook_url`.
    public func setWebhookURL(_ url: String, inboxID: Int) async throws -> ChatwootInboxSettings {
        try await call(.PATCH, "/inboxes/\(inboxID)", body: ["channel": ["webhook_url": .string(url)]])
    }

    /// `GET /agents` with their e-mail addresses.
    public func accountAgents() async throws -> [ChatwootAccountAgent] {
        try await call(.GET, "/agents")
    }

    /// `POST /agents`: adds the person with `email` to the account as an agent (Chatwoot invites new users by e-mail).
    public func addAgent(email: String) async throws -> ChatwootAccountAgent {
        try await call(.POST, "/agents", body: ["email": .string(email), "name": .string(String(email.prefix { $0 != "@" })), "role": "agent"])
    }

    /// `POST /inbox_members`: adds agents to the inbox (those already in it stay).
    public func addInboxMembers(_ userIDs: [Int], inboxID: Int) async throws {
        let _: Ignored = try await call(.POST, "/inbox_members", body: ["inbox_id": .number(Double(inboxID)), "user_ids": .array(userIDs.map { .number(Double($0)) })])
    }
}

/// `GET /api/v1/profile` (`app/views/api/v1/models/_user.json.jbuilder`), what setup reads of it.
public struct ChatwootProfile: Decodable, Sendable, Hashable {
    public struct Membership: Decodable, Sendable, Hashable {
        public var id: Int
        public var name: String?
        /// `administrator` or `agent`.
        public var role: String?
    }

    public var id: Int
    public var name: String?
    public var email: String?
    public var accounts: [Membership]
}

/// An inbox with the API channel's settings: `webhook_url`, and `secret` for administrators (Chatwoot 4.13+).
public struct ChatwootInboxSettings: Decodable, Sendable, Hashable {
    public var id: Int
    public var name: String
    /// `Channel::Api` for an API-channel inbox.
    public var channelType: String?
    public var webhookURL: String?
    /// The webhook signing key; `nil` for non-administrators and before Chatwoot 4.13.
    public var secret: String?

    public var isAPIChannel: Bool { channelType == "Channel::Api" }

    enum CodingKeys: String, CodingKey {
        case id, name, secret
        case channelType = "channel_type"
        case webhookURL = "webhook_url"
    }
}

/// An agent of the account (`views/api/v1/models/_agent.json.jbuilder`).
public struct ChatwootAccountAgent: Decodable, Sendable, Hashable {
    public var id: Int
    public var name: String
    public var email: String?
    public var role: String?
}
