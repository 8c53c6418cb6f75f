import BatonConfig
import BatonCore
import BatonServer
import BatonStoreSQLite
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization

/// The end-to-end Baton (`HandoverEndToEndTests`) with a 1 s request timeout and retries that never give up
/// within a test, for fault tests. Users talk over the REST channel.
enum FaultRig {
    static let retry = RetryPolicy(base: .milliseconds(20), cap: .milliseconds(250), giveUpAfter: .seconds(60), openGiveUpAfter: .seconds(60))

    static func run(_ body: @escaping @Sendable (StandInHarness, any TestClientProtocol) async throws -> Void) async throws {
        try await HandoverEndToEndTests.withBaton(retry: retry, requestTimeoutSeconds: 1, body)
    }
}

/// One REST user in a handover.
struct RESTUser: Sendable {
    let client: any TestClientProtocol
    let userID: String
    let session: String

    static let path = "/api/v1/endpoints/t0k3n/messages"

    /// Starts a session, gives a name and asks for an agent; returns once Chatwoot has the conversation.
    static func inHandover(_ userID: String, client: any TestClientProtocol, chatwoot: StandInHarness) async throws -> (RESTUser, conversation: Int) {
        let first = try await client.postJSON(path, ["text": "hi"])
        guard case .string(let session)? = first["sessionId"] else { throw ChatError.unexpected("no session") }
        let user = RESTUser(client: client, userID: userID, session: session)
        try await user.say("Ada")
        try await user.say("agent")
        return (user, try await chatwoot.waitForConversation(session: session))
    }

    func say(_ text: String) async throws {
        _ = try await client.postJSON(Self.path, ["sessionId": .string(session), "text": .string(text)])
    }

    /// Long-polls the session's messages, as a REST client that never opens a socket does, until its agent messages
    /// include every one of `texts`; returns the agent texts, in order.
    func pollAgentTexts(_ texts: [String], timeout: Duration = .seconds(30)) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        var after: Int64 = 0
        while ContinuousClock.now < deadline {
            let page = try await client.getJSON("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=\(after)&wait=2")
            after = page["messages"].list.compactMap { $0["id"]?.int }.max() ?? after
            let agent = try await transcript().filter { $0["sender"] == "agent" }.compactMap(\.text)
            if Set(texts).isSubset(of: Set(agent)) { return agent }
        }
        throw ChatError.timedOut(waitingFor: "agent replies \(texts) over REST")
    }

    /// Long-polls the session's messages until one reads `text`; returns the live messages then (see `transcript`).
    func transcript(including text: String, timeout: Duration = .seconds(30)) async throws -> [JSONValue] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let messages = try await transcript()
            if messages.contains(where: { $0.text == text }) { return messages }
            let after = messages.compactMap { $0["id"]?.int }.max() ?? 0
            _ = try await client.getJSON("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=\(after)&wait=2")
        }
        throw ChatError.timedOut(waitingFor: "'\(text)' in the transcript")
    }

    /// The session's live messages (moved and deleted ones left out), oldest first.
    func transcript() async throws -> [JSONValue] {
        let page = try await client.getJSON("/api/v1/endpoints/t0k3n/sessions/\(session)/messages?after=0&limit=500")
        guard case .array(let messages)? = page["messages"] else { return [] }
        return messages.filter { $0["retracted"] != .bool(true) }
    }

    /// Joins the session's webchat and waits until its agent messages include every one of `texts`; returns the
    /// agent texts as shown, in order.
    func waitForAgentTexts(_ texts: [String], timeout: Duration = .seconds(30)) async throws -> [String] {
        let shown = Mutex<[String]>([])
        try await client.chat("t0k3n") { chat in
            _ = try await chat.hello(session: session)
            let texts = try await chat.agentTexts(including: Set(texts), within: timeout)
            shown.withLock { $0 = texts }
        }
        return shown.withLock { $0 }
    }
}
