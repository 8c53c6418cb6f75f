import Foundation
import StandInJSON

/// Answers one request to the Rasa stand-in: the REST channel's two routes (`rasa/core/channels/rest.py`).
struct RasaHandler: Sendable {
    let scripts: ScriptQueue<RasaScriptedReply>
    let locks: SenderLocks
    let signal: ShutdownSignal

    func handle(_ request: IncomingRequest) async -> StandInReply {
        // Sanic's default `strict_slashes=False`: a trailing slash or not is the same route.
        let path = request.path.count > 1 && request.path.hasSuffix("/") ? String(request.path.dropLast()) : request.path
        switch (request.method, path) {
        case ("GET", "/webhooks/rest"): return .json(["status": "ok"], style: .compactASCII)
        case ("POST", "/webhooks/rest/webhook"): return await webhook(request)
        default: return SanicError.notFound(request.path)
        }
    }

    private func webhook(_ request: IncomingRequest) async -> StandInReply {
        // Sanic's `request.json`: an empty body is None and a body that does not parse is its BadRequest; then
        // rest.py's `request.json.get(…)` fails on anything that is not an object (inferred, contract §3).
        guard !request.body.isEmpty else { return SanicError.internalServerError }
        guard let body = try? JSONParser.parse(request.body) else { return SanicError.badJSON }
        guard body.isObject else { return SanicError.internalServerError }
        let sender = Self.senderId(body["sender"])
        let message = (body["message"]?.stringValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let streamed = request.queryValue("stream")?.lowercased() == "true"

        await locks.acquire(sender)
        let outcome = await resolve(scripts.pop() ?? .messages(RasaDefaultBot.responses(to: message)), recipient: sender)
        await locks.release(sender)

        guard case .elements(let elements) = outcome else {
            if case .reply(let reply) = outcome { return reply }
            return SanicError.internalServerError
        }
        guard streamed else { return .json(.array(elements), style: .compactASCII) }
        // `?stream=true`: event-stream content type, but each message is `json.dumps(message) + "\n"` (contract §1.9).
        return .stream(status: 200, headers: [("Content-Type", "text/event-stream")]) { out in
            for element in elements { try await out.send(JSONWriter.string(element, style: .pythonDumps) + "\n") }
        }
    }

    private enum Outcome {
        case elements([JSONValue])
        case reply(StandInReply)
    }

    /// Runs the turn (waiting out scripted delays while the sender's lock is held).
    private func resolve(_ reply: RasaScriptedReply, recipient: String) async -> Outcome {
        switch reply {
        case .messages(let responses):
            return .elements(RasaRendering.elements(for: responses, recipient: recipient))
        case .delay(let seconds, let then):
            guard await signal.sleep(for: .milliseconds(Int((max(0, seconds) * 1000).rounded()))) else { return .reply(.dropConnection) }
            return await resolve(then, recipient: recipient)
        case .status(let status, let body, let headers):
            var fields = headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) { fields.insert(("Content-Type", "application/json"), at: 0) }
            return .reply(.full(status: status, headers: fields, body: Array(body.utf8)))
        case .malformed(let text):
            return .reply(.full(status: 200, headers: [("Content-Type", "application/json")], body: Array(text.utf8)))
        case .cutConnection:
            return .reply(.dropConnection)
        }
    }

    /// `UserMessage`: a missing sender is the shared `"default"`; anything else is used as its string.
    static func senderId(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: return "default"
        case .string(let text)?: return text
        case let other?: return JSONWriter.string(other, style: .compact)
        }
    }
}

/// Sanic's JSON error bodies (its `FALLBACK_ERROR_FORMAT` picks JSON for a JSON request; bodies inferred, unverified).
enum SanicError {
    static func body(status: Int, description: String, message: String) -> StandInReply {
        .json(["description": .string(description), "status": .int(Int64(status)), "message": .string(message)], status: status, style: .compactASCII)
    }

    static let internalServerError = body(
        status: 500, description: "Internal Server Error", message: "The server encountered an internal error and cannot complete your request.")
    /// `Request.load_json` raises `BadRequest("Failed when parsing body as json")` for a non-empty body that does not parse.
    static let badJSON = body(status: 400, description: "Bad Request", message: "Failed when parsing body as json")

    static func notFound(_ path: String) -> StandInReply {
        body(status: 404, description: "Not Found", message: "Requested URL \(path) not found")
    }
}
