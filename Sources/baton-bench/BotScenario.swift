import AsyncHTTPClient
import BotStandIn
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// What Baton adds to an outside bot's own time: one webchat user talking to a `bot` node, turn after turn, beside
/// the same request sent to the bot directly. The bot is the OpenAI-compatible stand-in (streaming, a few
/// milliseconds per word: measured to the first words shown and to the whole answer) or the Rasa stand-in behind
/// its REST channel (one answer, no stream: measured to the answer shown).
struct BotScenario {
    struct Figures: Codable, Sendable {
        var turns = 0
        /// Baton: from sending the message to the first `draft` frame, and to the stored answer's `message` frame.
        var batonFirstWords = Latencies()
        var batonAnswer = Latencies()
        /// The stand-in called directly: to the first chunk with text, and to the end of the answer.
        var directFirstWords = Latencies()
        var directAnswer = Latencies()
    }

    /// The bot behind the node, which also answers the direct requests.
    enum Bot {
        /// The flow's `assistant` node: a language model.
        case model(OpenAIStandIn)
        /// The flow's `rasa` node: a webhook bot in Rasa's REST format.
        case webhook(RasaStandIn)

        /// What the user says to enter the node (the intent's words are the node's first turn).
        var intent: String {
            switch self {
            case .model: "assistant please"
            case .webhook: "rasa please"
            }
        }

        /// What the answer to `text` says, when it is known: the Rasa stand-in's default bot repeats it, so no
        /// other bot message (a greeting late on the socket) passes for the answer.
        func answer(to text: String) -> String? {
            switch self {
            case .model: nil
            case .webhook: "Rasa heard: \(text)"
            }
        }
    }

    let rig: BatonRig
    let bot: Bot
    let client: HTTPClient
    let turns: Int

    func run() async throws -> Figures {
        var figures = Figures()
        for turn in 0..<turns {
            let (first, whole) = try await direct(turn)
            figures.directFirstWords.add(first)
            figures.directAnswer.add(whole)
        }
        let frames = TurnFrames()
        let socket = try await BenchSocket.open(url: rig.socketURL(), hello: #"{"type":"hello"}"#) { frames.receive($0) }
        _ = try await frames.turn(answer: bot.answer(to: bot.intent)) { try await socket.send(Self.frame(bot.intent, id: "warm-up")) }
        for turn in 0..<turns {
            let question = Self.question(turn)
            let (first, whole) = try await frames.turn(answer: bot.answer(to: question)) { try await socket.send(Self.frame(question, id: "t\(turn)")) }
            if let first { figures.batonFirstWords.add(first) }
            figures.batonAnswer.add(whole)
            figures.turns += 1
        }
        await SocketsScenario.closeAll([socket])
        return figures
    }

    static func question(_ turn: Int) -> String { "question \(turn) for the bench" }

    static func frame(_ text: String, id: String) -> String {
        #"{"type":"message","text":"\#(text)","clientMessageId":"\#(id)-\#(UUID().uuidString)"}"#
    }

    /// One request straight to the bot, shaped as Baton sends it: nanoseconds to the first words and to the end.
    func direct(_ turn: Int) async throws -> (first: UInt64, whole: UInt64) {
        switch bot {
        case .model(let model): try await direct(turn, to: model)
        case .webhook(let rasa): try await direct(turn, to: rasa)
        }
    }

    /// A streamed chat completion: the first words are the first chunk with text.
    func direct(_ turn: Int, to model: OpenAIStandIn) async throws -> (first: UInt64, whole: UInt64) {
        var request = HTTPClientRequest(url: model.chatCompletionsURL())
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = #"{"model":"bench","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"You answer for the bench."},{"role":"user","content":"\#(Self.question(turn))"}]}"#
        request.body = .bytes(ByteBuffer(string: body))
        let start = Stopwatch.now()
        let response = try await client.execute(request, timeout: .seconds(30))
        var first: UInt64?
        for try await part in response.body {
            // The role chunk's content is ""; the first words are the first chunk with more.
            if first == nil, String(buffer: part).range(of: #""content":"[^"]"#, options: .regularExpression) != nil {
                first = Stopwatch.now() - start
            }
        }
        let whole = Stopwatch.now() - start
        return (first ?? whole, whole)
    }

    /// A turn in Rasa's REST format, answered whole: its first words come with the rest.
    func direct(_ turn: Int, to rasa: RasaStandIn) async throws -> (first: UInt64, whole: UInt64) {
        var request = HTTPClientRequest(url: rasa.webhookURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = #"{"sender":"c_bench","message":"\#(Self.question(turn))","input_channel":"baton","metadata":{"baton":{"node":"rasa","turn":\#(turn + 2)}}}"#
        request.body = .bytes(ByteBuffer(string: body))
        let start = Stopwatch.now()
        let response = try await client.execute(request, timeout: .seconds(30))
        let answer = try await response.body.collect(upTo: 1 << 20)
        let whole = Stopwatch.now() - start
        guard response.status == .ok, String(buffer: answer).contains("Rasa heard") else { throw BenchError("the Rasa stand-in answered \(response.status): \(String(buffer: answer))") }
        return (whole, whole)
    }
}

/// The bench socket's frames, as a turn needs them: when the first draft and the bot's stored answer came.
final class TurnFrames: Sendable {
    private struct State {
        var started: UInt64 = 0
        var firstDraft: UInt64?
        var answer: String?
        var waiter: CheckedContinuation<(UInt64?, UInt64), any Error>?
    }

    private let state = Mutex(State())

    func receive(_ text: String) {
        let now = Stopwatch.now()
        let resume: (CheckedContinuation<(UInt64?, UInt64), any Error>, (UInt64?, UInt64))? = state.withLock { state in
            if text.contains(#""type":"draft""#), !text.contains("withdrawn"), state.firstDraft == nil { state.firstDraft = now - state.started }
            guard text.contains(#""type":"message""#), text.contains(#""sender":"bot""#), state.answer.map(text.contains) ?? true, let waiter = state.waiter else {
                return nil
            }
            state.waiter = nil
            return (waiter, (state.firstDraft, now - state.started))
        }
        if let (waiter, times) = resume { waiter.resume(returning: times) }
    }

    /// Runs `send` and waits for the bot's answer (the first bot message, or the first that contains `answer`):
    /// nanoseconds to the first draft (if one came) and to the answer.
    func turn(answer: String? = nil, _ send: @escaping @Sendable () async throws -> Void) async throws -> (UInt64?, UInt64) {
        let timeout = Task {
            try await Task.sleep(for: .seconds(30))
            let waiter = self.state.withLock { state in defer { state.waiter = nil }; return state.waiter }
            waiter?.resume(throwing: BenchError("no bot answer within 30 s"))
        }
        defer { timeout.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            state.withLock { state in
                state.started = Stopwatch.now()
                state.firstDraft = nil
                state.answer = answer
                state.waiter = continuation
            }
            Task {
                do { try await send() } catch {
                    let waiter = self.state.withLock { state in defer { state.waiter = nil }; return state.waiter }
                    waiter?.resume(throwing: error)
                }
            }
        }
    }
}
