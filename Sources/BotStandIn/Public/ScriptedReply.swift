/// What ``OpenAIStandIn`` answers to the next valid chat-completions request (see ``OpenAIStandIn/enqueue(_:)``).
///
/// Replies are taken first in, first out, and only by requests that pass authentication and validation — a 400
/// or 401 never uses up a scripted reply. Each reply is given in the form the request asked for: a
/// `chat.completion` object, or an SSE stream of `chat.completion.chunk`s when the request has `stream: true`.
public indirect enum ScriptedReply: Sendable {
    /// An answer with this text, `finish_reason: "stop"`. Streamed word by word.
    case text(String)
    /// Like ``text(_:)``, with a pause between streamed pieces so a viewer sees the text grow.
    case slowText(String, pieceDelayMilliseconds: Int)
    /// An answer whose text was cut by the token limit: `finish_reason: "length"`.
    case truncated(String)
    /// One tool call, `content: null`, `finish_reason: "tool_calls"`. `arguments` is sent as given — it may be
    /// invalid JSON on purpose, as models sometimes produce.
    case toolCall(name: String, arguments: String)
    /// Several tool calls in one answer (`parallel_tool_calls`), in this order (`index` 0, 1, …).
    case toolCalls([ScriptedToolCall])
    /// Text and a tool call in the same answer (`finish_reason: "tool_calls"`).
    case textAndToolCall(text: String, name: String, arguments: String)
    /// `content: ""` and `finish_reason: "stop"`.
    case empty
    /// This status, body and headers as they are, stream or not (e.g. 429 with `Retry-After`, 500, 503).
    /// `Content-Type` is `application/json` unless `headers` name one.
    case status(Int, body: String, headers: [String: String])
    /// Stream: the role chunk and `afterPieces` pieces of `text`, then the connection closes — no finish chunk, no
    /// `[DONE]`, no terminating chunk. Not streamed: the connection closes without an answer.
    case cutStream(afterPieces: Int, text: String)
    /// Stream: `afterPieces` pieces of `text`, then the server's error-after-200 (OpenAI and Azure: a
    /// `data: {"error":{…}}` event and the end of the body; Ollama: one empty-content chunk and the end, as its
    /// OpenAI layer loses the error). Not streamed: HTTP 500 with the server's error body.
    case errorEvent(afterPieces: Int, text: String)
    /// HTTP 200 with this raw body (e.g. not JSON).
    case malformed(String)
    /// Waits, then answers with `then` (for client timeouts). A stand-in shutting down ends the wait by closing the
    /// connection.
    case delay(seconds: Double, then: ScriptedReply)

    /// 429 as OpenAI sends it when a rate limit is hit; `Retry-After` in whole seconds when given (the spec allows
    /// it to be missing, e.g. for quota errors).
    public static func rateLimited(retryAfterSeconds: Int?) -> ScriptedReply {
        let body = OpenAIErrorInfo.rateLimited.openAIBody
        return .status(429, body: body, headers: retryAfterSeconds.map { ["Retry-After": String($0)] } ?? [:])
    }

    /// 500 with OpenAI's server-error body.
    public static var serverError: ScriptedReply { .status(500, body: OpenAIErrorInfo.serverError.openAIBody, headers: [:]) }

    /// 503 with OpenAI's "model is overloaded" body.
    public static var overloaded: ScriptedReply { .status(503, body: OpenAIErrorInfo.overloaded.openAIBody, headers: [:]) }
}

/// One tool call of a scripted answer.
public struct ScriptedToolCall: Sendable, Hashable {
    /// The function name.
    public var name: String
    /// The raw `arguments` string (normally a JSON object, but anything goes).
    public var arguments: String

    public init(name: String, arguments: String) {
        self.name = name
        self.arguments = arguments
    }
}
