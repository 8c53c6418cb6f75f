import BatonCore
import BatonServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOFoundationCompat
import Testing

/// A webhook is authenticated before its body is parsed: headers first (no body byte read for an unsigned,
/// malformed or stale delivery, whatever its size), then the HMAC over the raw bytes, and only then JSON.
/// The answers tell the order apart: a parsed body that is not JSON is a 400, a collected body over the limit a
/// 413, and neither may come before the 401 of a sender without the secret.
@Suite("Chatwoot webhooks: authentication before parsing")
struct WebhookAuthenticationOrderTests {
    /// Five megabytes of what is not JSON: over the 2 MB limit, and a parse error if anything parsed it.
    static let hugeGarbage = ByteBuffer(repeating: UInt8(ascii: "{"), count: 5 * 1024 * 1024)
    /// One megabyte of the same: under the limit, so only the order of the checks decides the answer.
    static let garbage = Data(repeating: UInt8(ascii: "{"), count: 1024 * 1024)

    static func post(_ body: ByteBuffer, signature: String?, timestamp: String?, _ client: some TestClientProtocol) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let signature { headers[HTTPField.Name(WebhookSignature.signatureHeader)!] = signature }
        if let timestamp { headers[HTTPField.Name(WebhookSignature.timestampHeader)!] = timestamp }
        return try await client.execute(uri: "/handover/chatwoot", method: .post, headers: headers, body: body)
    }

    static func expectRefused(_ response: TestResponse, _ reason: String) {
        #expect(response.status == .unauthorized)
        let body = String(buffer: response.body)
        #expect(body.contains("invalid_signature"), "\(body)")
        #expect(body.contains(reason), "\(body)")
    }

    @Test func unsignedMalformedAndStaleDeliveriesAreRefusedWithoutReadingTheirBody() async throws {
        let (app, _, _) = try await TestBaton.appWithFakeDesk(now: ChatwootWebhookRouteTests.fixedNow)
        let signedAt = String(ChatwootWebhookRouteTests.signedAt)
        let wellFormed = "sha256=" + String(repeating: "ab", count: 32)
        try await app.test(.router) { client in
            // 401, not the 413 a read body would get nor the 400 a parsed one would.
            Self.expectRefused(try await Self.post(Self.hugeGarbage, signature: nil, timestamp: nil, client), "not signed")
            Self.expectRefused(try await Self.post(Self.hugeGarbage, signature: "sha1=abc", timestamp: signedAt, client), "malformed")
            Self.expectRefused(try await Self.post(Self.hugeGarbage, signature: wellFormed, timestamp: "\(ChatwootWebhookRouteTests.signedAt - 3_600)", client), "too old")
        }
    }

    @Test func aWrongSignatureIsRefusedBeforeTheBodyIsParsedAndARightOneGetsItParsed() async throws {
        let (app, _, _) = try await TestBaton.appWithFakeDesk(now: ChatwootWebhookRouteTests.fixedNow)
        let timestamp = ChatwootWebhookRouteTests.signedAt
        try await app.test(.router) { client in
            let forged = WebhookSignature(secret: "not-the-inbox-secret").sign(body: Self.garbage, timestamp: timestamp)
            Self.expectRefused(try await Self.post(ByteBuffer(data: Self.garbage), signature: forged, timestamp: String(timestamp), client), "does not match")
            // Signed with the inbox's secret, the same bytes are read and parsed: then, and only then, a 400.
            let signed = WebhookSignature(secret: ChatwootWebhookRouteTests.secret).sign(body: Self.garbage, timestamp: timestamp)
            let parsed = try await Self.post(ByteBuffer(data: Self.garbage), signature: signed, timestamp: String(timestamp), client)
            #expect(parsed.status == .badRequest)
            #expect(String(buffer: parsed.body).contains("invalid_webhook"))
            // A signed body over the limit is not read past it.
            let hugeSigned = WebhookSignature(secret: ChatwootWebhookRouteTests.secret).sign(body: Data(buffer: Self.hugeGarbage), timestamp: timestamp)
            #expect(try await Self.post(Self.hugeGarbage, signature: hugeSigned, timestamp: String(timestamp), client).status == .contentTooLarge)
        }
    }
}
