import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// One webhook POST as `Webhooks::Trigger#execute` makes it, for both webhook families: compact JSON,
/// `X-Chatwoot-Delivery`, and when there is a secret `X-Chatwoot-Timestamp` + `X-Chatwoot-Signature` computed
/// afresh for this attempt. Any 2xx is success; the body is read and ignored.
struct WebhookPoster: Sendable {
    let state: StandInState
    let client: HTTPClient

    struct Outcome: Sendable {
        var statusCode: Int?
        var error: String?
        var headers: [String: String]
        var startedAt: Instant
        var finishedAt: Instant
    }

    /// Sends `body`, or fakes `fault` instead of sending.
    func post(to url: String, body: [UInt8], secret: String, deliveryId: String, timeout: Duration, fault: WebhookFault?) async -> Outcome {
        let started = await state.now()
        let timestamp = String(started.unixSeconds)
        var headers: [String: String] = [
            "Content-Type": "application/json", "Accept": "application/json", "X-Chatwoot-Delivery": deliveryId,
        ]
        if !secret.isEmpty {
            headers["X-Chatwoot-Timestamp"] = timestamp
            headers["X-Chatwoot-Signature"] = WebhookSigner.signature(secret: secret, timestamp: timestamp, body: body)
        }
        if let fault {
            let (code, text) = WebhookDispatcher.describe(fault, url: url)
            return Outcome(statusCode: code, error: text, headers: headers, startedAt: started, finishedAt: await state.now())
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: TimeAmount(timeout))
            _ = try? await response.body.collect(upTo: 40 * 1024 * 1024)
            let code = Int(response.status.code)
            let error = (200..<300).contains(code) ? nil : "\(code) \(response.status.reasonPhrase)"
            return Outcome(statusCode: code, error: error, headers: headers, startedAt: started, finishedAt: await state.now())
        } catch {
            return Outcome(statusCode: nil, error: WebhookDispatcher.describe(error, url: url), headers: headers, startedAt: started, finishedAt: await state.now())
        }
    }
}
