import BatonServer
import BatonCore
import Foundation
import Testing

/// The signed example in shared/ is a checked vector; these tests pin verification to it.
@Suite struct WebhookSignatureTests {
    struct Vector {
        var body: Data
        var secret: String
        var timestamp: String
        var signature: String
        var now: Date { Date(timeIntervalSince1970: Double(timestamp)!) }
    }

    static func vector() throws -> Vector {
        let headers = try Samples.json("signed-example.headers.json")
        return Vector(
            body: try Samples.data("signed-example.body.json"),
            secret: try #require(headers["secret_used"]?.displayText),
            timestamp: try #require(headers.at("headers.X-Chatwoot-Timestamp")?.displayText),
            signature: try #require(headers.at("headers.X-Chatwoot-Signature")?.displayText))
    }

    @Test func signedExampleVerifies() throws {
        let vector = try Self.vector()
        let verifier = WebhookSignature(secret: vector.secret)
        #expect(verifier.verify(signature: vector.signature, timestamp: vector.timestamp, body: vector.body, now: vector.now) == .valid)
        // The route may hand over a byte array instead of Data.
        #expect(verifier.verify(signature: vector.signature, timestamp: vector.timestamp, body: Array(vector.body), now: vector.now) == .valid)
    }

    /// Header values may come with spaces or tabs around them, and the prefix in any case; nothing else passes.
    @Test func blanksAroundTheHeadersAndThePrefixsCaseDoNotMatter() throws {
        let vector = try Self.vector()
        let verifier = WebhookSignature(secret: vector.secret)
        let upper = "SHA256=" + vector.signature.dropFirst("sha256=".count)
        for (signature, timestamp) in [(" \(vector.signature)\t", "\t\(vector.timestamp) "), (upper, vector.timestamp)] {
            #expect(verifier.verify(signature: signature, timestamp: timestamp, body: vector.body, now: vector.now) == .valid)
        }
        for signature in ["sha256:" + vector.signature.dropFirst(7), "sha256=" + vector.signature.dropFirst(8), "\n" + vector.signature, "  \t "] {
            #expect(verifier.verify(signature: signature, timestamp: vector.timestamp, body: vector.body, now: vector.now) != .valid, "\(signature)")
        }
        #expect(verifier.verify(signature: "  ", timestamp: vector.timestamp, body: vector.body, now: vector.now) == .missingHeaders)
    }

    @Test func signReproducesTheVector() throws {
        let vector = try Self.vector()
        #expect(WebhookSignature(secret: vector.secret).sign(body: vector.body, timestamp: Int(vector.timestamp)!) == vector.signature)
    }

    @Test func oneChangedByteIsAMismatch() throws {
        let vector = try Self.vector()
        let verifier = WebhookSignature(secret: vector.secret)
        for offset in [0, vector.body.count / 2, vector.body.count - 1] {
            var body = vector.body
            body[offset] ^= 0x01
            #expect(verifier.verify(signature: vector.signature, timestamp: vector.timestamp, body: body, now: vector.now) == .mismatch)
        }
        // Re-encoding the JSON (what a framework would do) changes the bytes too: \u0026 becomes &.
        let reencoded = try Data(JSONDecoder().decode(JSONValue.self, from: vector.body).jsonText.utf8)
        #expect(verifier.verify(signature: vector.signature, timestamp: vector.timestamp, body: reencoded, now: vector.now) == .mismatch)
    }

    @Test func wrongSecretIsAMismatch() throws {
        let vector = try Self.vector()
        for secret in ["", "qb3Xz1N8sWcKPd7mRvT4Lh2F", vector.secret + " "] {
            #expect(
                WebhookSignature(secret: secret).verify(
                    signature: vector.signature, timestamp: vector.timestamp, body: vector.body, now: vector.now) == .mismatch)
        }
    }

    @Test(arguments: [-301.0, 301.0, -86_400.0, 1e12])
    func timestampOutsideTheWindowIsStale(offset: Double) throws {
        let vector = try Self.vector()
        let now = vector.now.addingTimeInterval(offset)
        #expect(
            WebhookSignature(secret: vector.secret).verify(
                signature: vector.signature, timestamp: vector.timestamp, body: vector.body, now: now) == .stale)
    }

    @Test(arguments: [-300.0, -1.0, 0.0, 299.5, 300.0])
    func timestampInsideTheWindowIsAccepted(offset: Double) throws {
        let vector = try Self.vector()
        let now = vector.now.addingTimeInterval(offset)
        #expect(
            WebhookSignature(secret: vector.secret).verify(
                signature: vector.signature, timestamp: vector.timestamp, body: vector.body, now: now) == .valid)
    }

    @Test func staleEvenWhenSignedCorrectly() throws {
        // A capture replayed later: freshly signed for an old timestamp, still refused.
        let verifier = WebhookSignature(secret: "s3cret")
        let body = Data(#"{"event":"message_created"}"#.utf8)
        let old = 1_700_000_000
        let signature = verifier.sign(body: body, timestamp: old)
        #expect(verifier.verify(signature: signature, timestamp: String(old), body: body, now: Date(timeIntervalSince1970: 1_700_000_301)) == .stale)
        #expect(verifier.verify(signature: signature, timestamp: String(old), body: body, now: Date(timeIntervalSince1970: 1_700_000_300)) == .valid)
    }

    @Test func missingHeaders() throws {
        let vector = try Self.vector()
        let verifier = WebhookSignature(secret: vector.secret)
        let cases: [(String?, String?)] = [(nil, nil), (nil, vector.timestamp), (vector.signature, nil), ("", vector.timestamp), (vector.signature, "  ")]
        for (signature, timestamp) in cases {
            #expect(verifier.verify(signature: signature, timestamp: timestamp, body: vector.body, now: vector.now) == .missingHeaders)
        }
    }

    @Test func garbledHeadersAreMalformed() throws {
        let vector = try Self.vector()
        let verifier = WebhookSignature(secret: vector.secret)
        let hex = String(vector.signature.dropFirst("sha256=".count))
        let signatures = [
            hex,  // no algorithm prefix
            "sha1=" + hex,
            "sha256=" + hex.dropLast(),  // 63 digits
            "sha256=" + hex + "00",  // 66 digits
            "sha256=" + "zz" + hex.dropFirst(2),  // not hex
            "sha256=",
            "sha256 = " + hex,
            "sha256=" + hex + "," + "sha256=" + hex,
        ]
        for signature in signatures {
            #expect(verifier.verify(signature: signature, timestamp: vector.timestamp, body: vector.body, now: vector.now) == .malformed, "\(signature)")
        }
        for timestamp in ["abc", "1781691824.5", "1781691824x", "99999999999999999999999", "17816 91824"] {
            #expect(verifier.verify(signature: vector.signature, timestamp: timestamp, body: vector.body, now: vector.now) == .malformed, "\(timestamp)")
        }
    }

    /// The cheap path the route takes before it reads a body: the headers' verdict agrees with `verify`'s for every
    /// refusal it can make alone, and leaves only the HMAC when they are fine.
    @Test func headersAloneRefuseWhatTheyCanAndLeaveTheRestToTheHMAC() throws {
        let vector = try Self.vector()
        // The headers' refusal, or nil when they leave only the HMAC to check.
        let check = { (signature: String?, timestamp: String?) -> WebhookSignature.Verdict? in
            guard case .refused(let verdict) = WebhookSignature.claim(signature: signature, timestamp: timestamp, now: vector.now) else { return nil }
            return verdict
        }
        #expect(check(nil, vector.timestamp) == .missingHeaders)
        #expect(check("sha1=abc", vector.timestamp) == .malformed)
        #expect(check(vector.signature, "abc") == .malformed)
        #expect(check(vector.signature, String(Int(vector.timestamp)! - 301)) == .stale)
        #expect(check(vector.signature, vector.timestamp) == nil)
        // A well-formed signature over other bytes passes the headers' check: only the HMAC can refuse it.
        let other = "sha256=" + String(repeating: "0", count: 64)
        #expect(check(other, vector.timestamp) == nil)
        #expect(WebhookSignature(secret: vector.secret).verify(signature: other, timestamp: vector.timestamp, body: vector.body, now: vector.now) == .mismatch)
    }

    /// The route reads the headers' claim once and checks it against each secret that may have signed the body.
    @Test func aClaimMatchesOnlyTheSecretAndTheBytesThatMadeIt() throws {
        let vector = try Self.vector()
        guard case .claimed(let claim) = WebhookSignature.claim(signature: vector.signature, timestamp: vector.timestamp, now: vector.now) else {
            Issue.record("the vector's headers were refused")
            return
        }
        #expect(WebhookSignature(secret: vector.secret).matches(claim, body: vector.body))
        #expect(!WebhookSignature(secret: vector.secret + "x").matches(claim, body: vector.body))
        #expect(!WebhookSignature(secret: vector.secret).matches(claim, body: vector.body + Data(" ".utf8)))
        #expect(!WebhookSignature(secret: vector.secret).matches(claim, body: vector.body.dropLast()))
        for (signature, timestamp, verdict) in [
            (nil, vector.timestamp, WebhookSignature.Verdict.missingHeaders), (vector.signature, "", .missingHeaders),
            (vector.signature + "0", vector.timestamp, .malformed), (vector.signature, String(Int(vector.timestamp)! + 301), .stale),
        ] {
            guard case .refused(let refused) = WebhookSignature.claim(signature: signature, timestamp: timestamp, now: vector.now) else {
                Issue.record("claimed: \(signature ?? "nil") at \(timestamp)")
                continue
            }
            #expect(refused == verdict)
        }
    }

    @Test func headerValuesAreReadTolerantly() throws {
        let vector = try Self.vector()
        let verifier = WebhookSignature(secret: vector.secret)
        let upper = "sha256=" + vector.signature.dropFirst("sha256=".count).uppercased()
        #expect(verifier.verify(signature: upper, timestamp: vector.timestamp, body: vector.body, now: vector.now) == .valid)
        #expect(verifier.verify(signature: " \(vector.signature) ", timestamp: " \(vector.timestamp)", body: vector.body, now: vector.now) == .valid)
    }

    @Test func headerNamesAreChatwoots() {
        #expect(WebhookSignature.signatureHeader == "X-Chatwoot-Signature")
        #expect(WebhookSignature.timestampHeader == "X-Chatwoot-Timestamp")
        #expect(WebhookSignature.deliveryHeader == "X-Chatwoot-Delivery")
        #expect(WebhookSignature.defaultTolerance == 300)
    }
}
