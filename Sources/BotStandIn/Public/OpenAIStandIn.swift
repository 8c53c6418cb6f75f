/// A stand-in for an OpenAI-compatible chat-completions server — OpenAI itself, Ollama or Azure OpenAI — for tests
/// and local use, built from the wire contract in `OPENAI-COMPATIBLE.md`.
///
/// ```swift
/// let llm = try await OpenAIStandIn.start(.init(apiKey: "sk-test"))
/// llm.enqueue(.toolCall(name: "handover_to_human", arguments: #"{"reason":"asked"}"#))
/// // point the client under test at llm.baseURL …
/// let sent = await llm.requests()
/// await llm.shutdown()
/// ```
///
/// Requests are authenticated and validated as the flavour's server does (401, 404, 400 in its error shape); valid
/// ones are answered with the next ``ScriptedReply`` or, when none is queued, by a deterministic default bot
/// (text `You said: …`, or a hand-over / end-of-conversation tool call; see ``enqueue(_:)``). Every request is
/// recorded, headers included.
public final class OpenAIStandIn: Sendable {
    /// Which server to imitate where they differ (contract §6).
    public enum Flavor: String, Sendable, CaseIterable {
        /// `POST /v1/chat/completions`, `Authorization: Bearer`, tool calls streamed in fragments.
        case openai
        /// Like OpenAI on the wire, but streamed tool calls come whole in one chunk and an error after 200 is lost
        /// (an empty chunk, then the end); `tool_choice` is ignored; no `tool`-message rule.
        case ollama
        /// `POST /openai/deployments/{deployment}/chat/completions?api-version=…` with an `api-key` header (also
        /// the `/openai/v1/chat/completions` API); a first stream chunk with `choices: []` and
        /// `prompt_filter_results`.
        case azure
    }

    /// Settings fixed at start.
    public struct Options: Sendable {
        /// The key clients must present; nil accepts anything (as Ollama does).
        public var apiKey: String?
        public var flavor: Flavor
        /// The models served; when set, any other `model` is answered 404. Not checked for Azure deployments.
        public var models: [String]?
        /// Address to listen on.
        public var host: String
        /// Port; 0 picks a free one.
        public var port: Int
        /// Larger bodies are answered 413.
        public var maxBodyBytes: Int
        /// The pause between streamed pieces of every answer that sets none (as a model writing at its pace; the
        /// demo uses it so the answer is seen growing). Zero streams at once.
        public var pieceDelay: Duration

        public init(
            apiKey: String? = nil, flavor: Flavor = .openai, models: [String]? = nil, host: String = "127.0.0.1", port: Int = 0,
            maxBodyBytes: Int = 4 * 1024 * 1024, pieceDelay: Duration = .zero
        ) {
            self.pieceDelay = pieceDelay
            self.apiKey = apiKey
            self.flavor = flavor
            self.models = models
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
        }
    }

    /// The settings it was started with.
    public let options: Options
    private let server: LoopbackServer
    private let log: RequestLog
    private let scripts: ScriptQueue<ScriptedReply>
    private let signal: ShutdownSignal

    private init(options: Options, server: LoopbackServer, log: RequestLog, scripts: ScriptQueue<ScriptedReply>, signal: ShutdownSignal) {
        self.options = options
        self.server = server
        self.log = log
        self.scripts = scripts
        self.signal = signal
    }

    /// Starts listening (by default on 127.0.0.1 and a free port); returns once requests are accepted.
    public static func start(_ options: Options = Options()) async throws -> OpenAIStandIn {
        let log = RequestLog()
        let scripts = ScriptQueue<ScriptedReply>()
        let signal = ShutdownSignal()
        let handler = OpenAIHandler(options: options, scripts: scripts, signal: signal)
        let responder = BotResponder(maxBodyBytes: options.maxBodyBytes, log: log, handler: { await handler.handle($0) })
        let server = try await LoopbackServer.start(host: options.host, port: options.port, name: "openai-standin", responder: responder)
        return OpenAIStandIn(options: options, server: server, log: log, scripts: scripts, signal: signal)
    }

    /// The bound port.
    public var port: Int { server.port }

    /// `http://127.0.0.1:PORT`.
    public var rootURL: String { server.rootURL }

    /// What an SDK takes as its base URL: `http://127.0.0.1:PORT/v1` (OpenAI, Ollama) or
    /// `http://127.0.0.1:PORT/openai` (Azure, whose SDK appends `/deployments/{deployment}/…`).
    public var baseURL: String { rootURL + (options.flavor == .azure ? "/openai" : "/v1") }

    /// The full chat-completions URL. For Azure, `deployment` and `apiVersion` fill in the dated API's path and query.
    public func chatCompletionsURL(deployment: String = "gpt-4o-mini", apiVersion: String = "2024-10-21") -> String {
        guard options.flavor == .azure else { return baseURL + "/chat/completions" }
        return "\(baseURL)/deployments/\(deployment)/chat/completions?api-version=\(apiVersion)"
    }

    /// Queues the answer for the next valid request (first in, first out). With the queue empty the default bot
    /// answers: after a `tool` message, `The tool answered: …`; a `handover`/`handover_to_human` tool and "human",
    /// "agent" or "person" in the last user message → a call to it with `reason` and `summary`; an
    /// `end_conversation` tool and "bye" → a call to it with `{}`; otherwise `You said: <last user message>`.
    public func enqueue(_ reply: ScriptedReply) { scripts.push(reply) }

    /// Scripted replies not yet used.
    public var pendingReplies: Int { scripts.count }

    /// Every request so far, in arrival order (recorded on arrival, before it is answered).
    public func requests() async -> [RecordedRequest] { log.all }

    /// The first `count` requests once they have arrived; throws ``StandInWaitTimeout`` after `timeout`.
    public func waitForRequests(count: Int, timeout: Duration = .seconds(10)) async throws -> [RecordedRequest] {
        try await log.wait(count: count, timeout: timeout)
    }

    /// Stops listening; scripted delays still waiting end by closing their connections. Recorded requests stay.
    public func shutdown() async {
        signal.fire()
        await server.shutdown()
    }
}
