import AsyncHTTPClient
import BotStandIn
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// What Baton adds to an outside bot's own time: one webchat user talking to a `bot` node whose model is the
/// OpenAI-compatible stand-in (streaming, a few milliseconds per word), turn after turn, beside the same
/// request sent to the stand-in directly. Both measure to the first words shown and to the whole answer.
struct BotScenario {
    struct Figures: Codable, Sendable {
        var turns = 0
        /// Baton: from sending the message to the first `draft` frame, and to the stored answer's `message` frame.
        var batonFirstWords = Latencies()
        var batonAnswer = Latencies()
        /// The stand-in called directly: to the first chunk with text, and to the end of the stream.
        var directFirstWords = Latencies()
        var directAnswer = Latencies()
    }

    let rig: BatonRig
    let model: OpenAIStandIn
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
        // Into the bot node (the intent's words are its first turn), then the measured turns.
        _ = try await frames.turn { try await socket.send(Self.frame("assistant please", id: "warm-up")) }
        for turn in 0..<turns {
            let (first, whole) = try await frames.turn { try await socket.send(Self.frame("question \(turn) for the bench", id: "t\(turn)")) }
            if let first { figures.batonFirstWords.add(first) }
            figures.batonAnswer.add(whole)
            figures.turns += 1
        }
        await SocketsScenario.closeAll([socket])
        return figures
    }

    static func frame(_ text: String, id: String) -> String {
        #"{"type":"message","text":"\#(text)","clientMessageId":"\#(id)-\#(UUID().uuidString)"}"#
    }

    /// One streamed request straight to the stand-in, shaped as Baton sends it.
    func direct(_ turn: Int) async throws -> (first: UInt64, whole: UInt64) {
        var request = HTTPClientRequest(url: model.chatCompletionsURL())
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = #"{"model":"bench","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"You answer for the bench."},{"role":"user","content":"question \#(turn) for the bench"}]}"#
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
}

/// The bench socket's frames, as a turn needs them: when the first draft and the bot's stored answer came.
final class TurnFrames: Sendable {
    private struct State {
        var started: UInt64 = 0
        var firstDraft: UInt64?
        var waiter: CheckedContinuation<(UInt64?, UInt64), any Error>?
    }

    private let state = Mutex(State())

    func receive(_ text: String) {
        let now = Stopwatch.now()
        let resume: (CheckedContinuation<(UInt64?, UInt64), any Error>, (UInt64?, UInt64))? = state.withLock { state in
            if text.contains(#""type":"draft""#), !text.contains("withdrawn"), state.firstDraft == nil { state.firstDraft = now - state.started }
            guard text.contains(#""type":"message""#), text.contains(#""sender":"bot""#), let waiter = state.waiter else { return nil }
            state.waiter = nil
            return (waiter, (state.firstDraft, now - state.started))
        }
        if let (waiter, times) = resume { waiter.resume(returning: times) }
    }

    /// Runs `send` and waits for the bot's answer: nanoseconds to the first draft (if one came) and to the answer.
    func turn(_ send: @escaping @Sendable () async throws -> Void) async throws -> (UInt64?, UInt64) {
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
