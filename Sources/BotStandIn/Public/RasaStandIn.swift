/// A stand-in for a Rasa bot behind its REST channel, for tests and local use, built from the wire contract in
/// `RASA-REST.md`.
///
/// ```swift
/// let rasa = try await RasaStandIn.start()
/// rasa.enqueue(.messages([.text("Hi!\n\nHow can I help?")]))
/// // POST {"sender":"c1","message":"hello"} to rasa.webhookURL → two text elements
/// await rasa.shutdown()
/// ```
///
/// `POST /webhooks/rest/webhook` answers a JSON array of elements, each with `recipient_id` (the sender) and only
/// the keys that are set among `text`, `image`, `buttons`, `attachment`, `custom`; one response becomes several
/// elements as Rasa's `send_response` makes them. `?stream=true` answers NDJSON under `text/event-stream`.
/// `GET /webhooks/rest/` answers `{"status":"ok"}`. Turns for one sender run one at a time, in arrival order.
/// A body that does not parse is Sanic's 400; an empty or non-object body is a 500 (inferred from the code).
public final class RasaStandIn: Sendable {
    /// Settings fixed at start.
    public struct Options: Sendable {
        /// Address to listen on.
        public var host: String
        /// Port; 0 picks a free one (Rasa's own default is 5005).
        public var port: Int

        public init(host: String = "127.0.0.1", port: Int = 0) {
            self.host = host
            self.port = port
        }
    }

    public let options: Options
    private let server: LoopbackServer
    private let log: RequestLog
    private let scripts: ScriptQueue<RasaScriptedReply>
    private let signal: ShutdownSignal

    private init(options: Options, server: LoopbackServer, log: RequestLog, scripts: ScriptQueue<RasaScriptedReply>, signal: ShutdownSignal) {
        self.options = options
        self.server = server
        self.log = log
        self.scripts = scripts
        self.signal = signal
    }

    /// Starts listening (by default on 127.0.0.1 and a free port); returns once requests are accepted.
    public static func start(_ options: Options = Options()) async throws -> RasaStandIn {
        let log = RequestLog()
        let scripts = ScriptQueue<RasaScriptedReply>()
        let signal = ShutdownSignal()
        let handler = RasaHandler(scripts: scripts, locks: SenderLocks(), signal: signal)
        // Sanic's default REQUEST_MAX_SIZE: 100 MB.
        let responder = BotResponder(maxBodyBytes: 100_000_000, log: log, handler: { await handler.handle($0) })
        let server = try await LoopbackServer.start(host: options.host, port: options.port, name: "rasa-standin", responder: responder)
        return RasaStandIn(options: options, server: server, log: log, scripts: scripts, signal: signal)
    }

    /// The bound port.
    public var port: Int { server.port }

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { server.rootURL }

    /// `http://127.0.0.1:PORT/webhooks/rest/webhook`.
    public var webhookURL: String { baseURL + "/webhooks/rest/webhook" }

    /// Queues the answer for the next webhook request (first in, first out; taken when the request's turn starts,
    /// i.e. once its sender's earlier turns are done). With the queue empty the default bot answers: "human",
    /// "agent" or "person" → a text and `custom.handover {reason, summary}`; "helpdesk" → a text and
    /// `custom {handoff_host, title}`; "silence" → `[]`; "buttons" → a text with two buttons; else
    /// `Rasa heard: <message>`.
    public func enqueue(_ reply: RasaScriptedReply) { scripts.push(reply) }

    /// Scripted replies not yet used.
    public var pendingReplies: Int { scripts.count }

    /// Every request so far, in arrival order (recorded on arrival, before it waits for its sender's turn).
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
