import AsyncHTTPClient
import ChatwootStandIn
import NIOHTTP1
import Testing

@Suite struct FaultTests {
    @Test func cannedAnswersForMatchingRequests() async throws {
        try await Harness.with { h in
            let conversation = try await h.createConversation()
            let messages = "/api/v1/accounts/*/conversations/*/messages"
            h.standIn.injectFault(.rateLimited, method: "POST", path: messages, times: 2)
            let path = "/conversations/\(conversation.displayId)/messages"
            for _ in 0..<2 {
                let limited = try await h.call(.POST, path, token: h.adminToken, json: ["content": "hi"])
                #expect(limited.status == 429)
                #expect(limited.text == "Retry later\n")
                #expect(limited.headers.first(name: "content-type") == "text/plain")
                #expect(limited.headers.first(name: "retry-after") == nil)
            }
            let passes = try await h.call(.POST, path, token: h.adminToken, json: ["content": "hi"])
            #expect(passes.status == 200)

            h.standIn.injectFault(.invalidAccessToken, path: "/api/**")
            let unauthorized = try await h.call(.GET, "/conversations", token: h.adminToken)
            #expect(unauthorized.status == 401)
            #expect(unauthorized.text == #"{"error":"Invalid Access Token"}"#)
            h.standIn.injectFault(.internalServerError, method: "GET", path: "/api/v1/accounts/*/conversations/*")
            #expect(try await h.call(.GET, "/conversations/\(conversation.displayId)", token: h.adminToken).status == 500)
            h.standIn.injectFault(.unprocessable("Validation failed: Too many messages"), method: "POST", path: messages)
            #expect(try await h.call(.POST, path, token: h.adminToken, json: ["content": "x"]).json == ["error": "Validation failed: Too many messages"])
            #expect(h.standIn.activeFaults.isEmpty)
        }
    }

    @Test func latency() async throws {
        try await Harness.with { h in
            h.standIn.addLatency(.milliseconds(400), method: "GET", path: "/api/v1/accounts/*/inboxes", times: 1)
            let clock = ContinuousClock()
            let slow = try await clock.measure { _ = try await h.call(.GET, "/inboxes", token: h.adminToken) }
            #expect(slow >= .milliseconds(400))
            // The rule was for one request only; no upper bound on time here, which a loaded machine could break.
            #expect(h.standIn.activeFaults.isEmpty)
        }
    }

    @Test func downAndUpAgain() async throws {
        try await Harness.with { h in
            #expect(try await h.call(.GET, "/inboxes", token: h.adminToken).status == 200)

            await h.standIn.goDown(.refuseConnections)
            await #expect(throws: (any Error).self) { _ = try await h.call(.GET, "/inboxes", token: h.adminToken) }
            try await h.standIn.comeUp()
            #expect(try await h.call(.GET, "/inboxes", token: h.adminToken).status == 200)

            await h.standIn.goDown(.closeConnections)
            await #expect(throws: (any Error).self) { _ = try await h.call(.GET, "/inboxes", token: h.adminToken) }
            try await h.standIn.comeUp()
            #expect(try await h.call(.GET, "/inboxes", token: h.adminToken).status == 200)

            await h.standIn.goDown(.hangConnections)
            let clock = ContinuousClock()
            let waited = await clock.measure {
                await #expect(throws: (any Error).self) { _ = try await h.call(.GET, "/inboxes", token: h.adminToken, timeout: .seconds(1)) }
            }
            #expect(waited >= .milliseconds(900))
            try await h.standIn.comeUp()
            #expect(try await h.call(.GET, "/inboxes", token: h.adminToken).status == 200)
        }
    }
}
