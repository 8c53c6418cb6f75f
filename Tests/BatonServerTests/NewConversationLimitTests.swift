import BatonConfig
import BatonCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import NIOCore
import Synchronization
import Testing
import WSClient

@testable import BatonServer

/// `limits.newConversationsPerMinute`: who a client is, how many conversations it starts, and what the webchat and
/// the REST channel say when it has started its share.
@Suite struct NewConversationLimitTests {
    static func address(_ text: String) -> IPAddress { IPAddress(text)! }

    @Test func theClientIsThePeerUnlessATrustedProxyForwardedIt() {
        let trusted = AddressRange.privateNetworks
        func client(_ peer: String, _ forwarded: [String] = []) -> String? {
            NewConversationLimit.client(peer: IPAddress(peer), forwardedFor: forwarded, trusted: trusted)?.description
        }
        #expect(client("203.0.113.9", ["198.51.100.7"]) == "203.0.113.9", "a client on the internet cannot name another")
        #expect(client("10.0.0.2", ["198.51.100.7, 10.0.0.3"]) == "198.51.100.7", "behind two proxies")
        #expect(client("10.0.0.2", ["6.6.6.6, 198.51.100.7"]) == "198.51.100.7", "what the client wrote before its own address is not believed")
        #expect(client("10.0.0.2", ["6.6.6.6", "198.51.100.7"]) == "198.51.100.7", "the header written twice is one list")
        #expect(client("10.0.0.2", ["10.0.0.9"]) == "10.0.0.9", "a client inside the private network, through a proxy")
        #expect(client("::1", ["[2001:db8::5]:443"]) == "2001:db8:0:0:0:0:0:5")
        #expect(client("10.0.0.2", ["garbage"]) == nil, "a trusted proxy that names no client: not counted, rather than every user as one")
        #expect(client("10.0.0.2") == nil)
        #expect(client("127.0.0.1") == nil, "the machine itself, forwarded by nobody")
        #expect(NewConversationLimit.client(peer: Self.address("127.0.0.1"), forwardedFor: ["198.51.100.7"], trusted: [])?.description == "127.0.0.1",
                "with no proxy trusted, the header is never read")
        #expect(NewConversationLimit.client(peer: nil, forwardedFor: ["198.51.100.7"], trusted: trusted) == nil)
    }

    @Test func aClientStartsItsMinutesShareAtOnceThenOneAsEachRefills() async throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        let limit = NewConversationLimit(
            LimitSettings(newConversationsPerMinute: 3), trustedProxies: AddressRange.privateNetworks, metrics: BatonMetrics(), now: { clock.withLock { $0 } })
        let client = Self.address("198.51.100.7")
        for _ in 0..<3 { try await limit.admit(client) }
        await #expect(throws: NewConversationsRefused(retryAfter: 20)) { try await limit.admit(client) }
        try await limit.admit(Self.address("198.51.100.8"))
        try await limit.admit(nil)
        // An IPv6 client is its /64: stepping through its own addresses does not start it afresh.
        for last in 1...3 { try await limit.admit(Self.address("2001:db8:1:2::\(last)")) }
        await #expect(throws: NewConversationsRefused.self) { try await limit.admit(Self.address("2001:db8:1:2:ffff::9")) }
        try await limit.admit(Self.address("2001:db8:1:3::1"))
        clock.withLock { $0 += 20 }
        try await limit.admit(client)
        await #expect(throws: NewConversationsRefused.self) { try await limit.admit(client) }

        // Past the sweep's size, the clients whose minute is over are forgotten, those within it kept; each sweep waits
        // for twice as many clients as it left, so a crowd costs each new conversation a constant share.
        func someone(_ index: Int) -> IPAddress { IPAddress(high: 0, low: 0xffff_0000_0000 | UInt64(index)) }
        for index in 0..<NewConversationLimit.sweepAbove { try await limit.admit(someone(index)) }
        let crowd = limit.counted
        #expect(crowd > NewConversationLimit.sweepAbove, "a sweep within the minute forgets no one")
        clock.withLock { $0 += 60 }
        var newcomers = 0
        while limit.counted >= crowd {
            try await limit.admit(someone(1_000_000 + newcomers))
            newcomers += 1
        }
        #expect(limit.counted == newcomers && newcomers <= crowd + 1, "\(limit.counted) held, \(newcomers) newcomers, a crowd of \(crowd)")
        let off = NewConversationLimit(LimitSettings(newConversationsPerMinute: 0), trustedProxies: [], metrics: BatonMetrics(), now: Date.init)
        for _ in 0..<100 { try await off.admit(client) }
    }

    /// Shared buckets the store cannot be asked for (the database down, a statement cut): this instance's own count
    /// takes over rather than letting every conversation through or refusing them all.
    @Test func whenTheSharedBucketsCannotBeAskedThisInstanceCounts() async throws {
        struct Unreachable: SharedRateBuckets {
            struct Down: Error {}
            func take(from key: String, at now: Date, perSecond: Double, burst: Double) async throws -> Double? { throw Down() }
            func forgetBuckets(takenBefore before: Date) async throws { throw Down() }
        }
        let limit = NewConversationLimit(
            LimitSettings(newConversationsPerMinute: 2), trustedProxies: [], shared: Unreachable(), metrics: BatonMetrics(), now: Date.init)
        let client = Self.address("198.51.100.7")
        for _ in 0..<2 { try await limit.admit(client) }
        await #expect(throws: NewConversationsRefused.self) { try await limit.admit(client) }
        #expect(limit.counted == 1)
    }

    /// Over real HTTP through a proxy on loopback (trusted, so `X-Forwarded-For` names the client): the REST channel
    /// answers 429 with `Retry-After`, the webchat an error frame, and neither counts a conversation that resumes.
    @Test func theChannelsRefuseAClientsConversationsBeyondItsShareAndResumeTheRest() async throws {
        var limits = TestBaton.generousLimits
        limits.newConversationsPerMinute = 2
        let configuration = try TestBaton.configuration(databasePath: TestBaton.databasePath(), limits: limits)
        var dependencies = try AppDependencies.live(configuration)
        dependencies.outboxPollInterval = TestBaton.quietOutbox
        // A clock that stands still: what refills meanwhile is the unit test's; here, the wait is the whole share's.
        dependencies.now = { Date(timeIntervalSince1970: 1_800_000_000) }
        let metrics = dependencies.metrics
        let app = try await buildApplication(configuration: configuration, dependencies: dependencies, logger: TestBaton.logger)
        try await app.test(.live) { client in
            func post(_ json: String, from address: String?) async throws -> (status: HTTPResponse.Status, body: JSONValue, retryAfter: String?) {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let address { headers[.xForwardedFor] = address }
                let response = try await client.execute(uri: "/api/v1/endpoints/t0k3n/messages", method: .post, headers: headers, body: ByteBuffer(string: json))
                return (response.status, try JSONValue(jsonText: String(buffer: response.body)), response.headers[.retryAfter])
            }
            let first = try await post(#"{"text":"hi"}"#, from: "198.51.100.7")
            #expect(first.status == .ok)
            #expect(try await post(#"{"text":"hi"}"#, from: "198.51.100.7").status == .ok)
            let refused = try await post(#"{"text":"hi"}"#, from: "198.51.100.7")
            #expect(refused.status == .tooManyRequests && refused.body["error"]?["code"] == "too_many_conversations", "\(refused.body)")
            #expect(refused.retryAfter == "30")
            let session = try #require(first.body["sessionId"]?.stringText)
            #expect(try await post(#"{"sessionId":"\#(session)","text":"again"}"#, from: "198.51.100.7").status == .ok, "a conversation that goes on")
            #expect(try await post(#"{"text":"hi"}"#, from: "198.51.100.8").status == .ok, "another client")
            #expect(try await post(#"{"text":"hi"}"#, from: nil).status == .ok, "the machine itself")

            let failure = Failure()
            let configuration = WebSocketClientConfiguration(additionalHeaders: [.xForwardedFor: "198.51.100.7"])
            try await client.ws("/webchat/t0k3n/socket", configuration: configuration) { inbound, outbound, _ in
                try await Chat.run(inbound: inbound, outbound: outbound, failure: failure) { chat in
                    try await chat.send(["type": "hello", "session": .null, "after": 0])
                    let error = try await chat.next("error")
                    #expect(error["code"] == "too_many_conversations", "\(error.jsonText)")
                    // The socket still waits for its hello: a conversation of the user's own goes on.
                    let ready = try await chat.hello(session: session)
                    #expect(ready["resumed"] == true && ready["session"]?.stringText == session)
                }
            }
            if let error = await failure.error { throw error }
        }
        #expect(metrics.text().contains(#"baton_requests_refused_total{reason="new_conversations"} 2"#))
    }
}
