import AsyncHTTPClient
import BatonConfig
import BatonCore
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// A bot Baton posts each turn to: Rasa's REST channel as it is (`{"sender","message","metadata"}` in, an array of
/// messages out), or any bot answering in Baton's own format (`WebhookAnswer`). Requests are signed like
/// Chatwoot's webhooks when the bot has a secret.
struct WebhookBot: RemoteBot {
    let settings: WebhookBotSettings
    let http: BotHTTP
    let now: @Sendable () -> Date

    init(settings: WebhookBotSettings, timeout: Duration, http: HTTPClient, now: @escaping @Sendable () -> Date) {
        self.settings = settings
        self.http = BotHTTP(http: http, timeout: timeout, secrets: [settings.secret?.value].compactMap { $0 })
        self.now = now
    }

    func answer(_ turn: BotTurn, draft: @escaping @Sendable (String) async -> Void) async -> BotCall {
        let body = Self.body(for: turn).jsonText
        var request = HTTPClientRequest(url: settings.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        // The same id for every attempt at a turn, so a bot can tell a retry from a new message.
        request.headers.add(name: "X-Baton-Delivery", value: "\(Self.conversationID(of: turn.session))-\(turn.request.visit)-\(turn.request.turn)")
        if let secret = settings.secret?.value { BatonSignature.sign(&request.headers, body: body, secret: secret, at: now()) }
        request.body = .bytes(ByteBuffer(string: body))
        let http = self.http
        let signed = request
        let turnRequest = turn.request
        return await http.withDeadline {
            let response: HTTPClientResponse
            switch await http.send(signed) {
            case .success(let answer): response = answer
            case .failure(let error): return error.call
            }
            let status = Int(response.status.code)
            guard (200..<300).contains(status) else {
                return http.failure(status: status, headers: response.headers, body: try? await response.body.collect(upTo: 64 << 10))
            }
            switch await http.body(of: response) {
            case .failure(let error): return error.call
            // 204, or 200 with nothing: the bot has nothing to say (as Rasa's `[]`).
            case .success(let bytes) where bytes.readableBytes == 0 || status == 204:
                return WebhookAnswer.answer(.array([]), request: turnRequest)
            case .success(let bytes):
                guard let json = try? JSONValue(jsonText: String(buffer: bytes)) else {
                    return .failed(.malformed, detail: "the answer is not JSON: \(BotHTTP.clipped(http.redact(String(buffer: bytes))))")
                }
                return WebhookAnswer.answer(json, request: turnRequest)
            }
        }
    }

    /// Rasa's REST channel request, with what Baton knows in `metadata` (Rasa keeps it on the user's event).
    static func body(for turn: BotTurn) -> JSONValue {
        let session = turn.session
        let conversation = conversationID(of: session)
        let baton: JSONValue = [
            "conversation": .string(conversation), "endpoint": .string(session.endpointID), "channel": .string(session.channel.rawValue),
            "node": .string(turn.request.nodeID), "visit": .number(Double(turn.request.visit)), "turn": .number(Double(turn.request.turn)),
            "speaksFirst": .bool(turn.request.input == nil), "prompt": turn.request.prompt.map(JSONValue.string) ?? .null,
        ]
        var metadata: [String: JSONValue] = ["baton": baton, "context": session.state.context, "profile": session.state.profile]
        if let language = session.state.profile["language"] { metadata["locale"] = language }
        return [
            // Rasa's tracker key: one per conversation.
            "sender": .string(conversation),
            "message": .string(turn.request.input?.effectiveText ?? ""),
            "input_channel": "baton",
            "metadata": .object(metadata),
        ]
    }

    /// The conversation's name for the bot: stable, and not the session id, which is a credential of the REST
    /// channel that a bot has no business holding.
    static func conversationID(of session: Session) -> String {
        let digest = SHA256.hash(data: Data("baton bot conversation \(session.id.rawValue)".utf8))
        return "c_" + digest.prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
