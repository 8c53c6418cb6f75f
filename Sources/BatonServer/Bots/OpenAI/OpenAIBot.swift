import AsyncHTTPClient
import BatonConfig
import BatonCore
import Foundation
import NIOCore
import NIOHTTP1

/// A language model behind an OpenAI-compatible `POST …/chat/completions` (OpenAI, Azure OpenAI, Ollama, vLLM,
/// llama.cpp, LiteLLM). With `stream` the answer is read as server-sent events and shown growing; without, whole.
struct OpenAIBot: RemoteBot {
    let name: String
    let settings: OpenAIBotSettings
    let http: BotHTTP
    let metrics: BatonMetrics
    /// How often the growing text is shown at most: a token at a time would be a frame per token per tab.
    static let draftInterval: Duration = .milliseconds(60)

    init(name: String, settings: OpenAIBotSettings, timeout: Duration, http: HTTPClient, metrics: BatonMetrics) {
        self.name = name
        self.settings = settings
        self.http = BotHTTP(http: http, timeout: timeout, secrets: [settings.apiKey?.value].compactMap { $0 })
        self.metrics = metrics
    }

    var url: String {
        let base = settings.baseURL + "/chat/completions"
        guard let version = settings.azureAPIVersion else { return base }
        return base + "?api-version=" + (version.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? version)
    }

    func answer(_ turn: BotTurn, draft: @escaping @Sendable (String) async -> Void) async -> BotCall {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let key = settings.apiKey?.value {
            if settings.keyInAPIKeyHeader { request.headers.add(name: "api-key", value: key) } else { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        }
        if settings.stream { request.headers.add(name: "Accept", value: "text/event-stream") }
        request.body = .bytes(ByteBuffer(string: OpenAIRequest.body(for: turn, settings: settings, stream: settings.stream).jsonText))
        let exchange = Exchange(bot: self, request: request, turn: turn.request, draft: draft)
        return await http.withDeadline { await exchange.run() }
    }

    /// One request and its answer, run under the turn's deadline.
    private struct Exchange: Sendable {
        let bot: OpenAIBot
        let request: HTTPClientRequest
        let turn: BotTurnRequest
        let draft: @Sendable (String) async -> Void

        func run() async -> BotCall {
            let response: HTTPClientResponse
            switch await bot.http.send(request) {
            case .success(let answer): response = answer
            case .failure(let error): return error.call
            }
            let status = Int(response.status.code)
            guard status == 200 else {
                let body = try? await response.body.collect(upTo: 64 << 10)
                return bot.http.failure(status: status, headers: response.headers, body: body)
            }
            let isStream = response.headers.first(name: "content-type")?.lowercased().hasPrefix("text/event-stream") ?? false
            let completion = isStream ? await streamed(response) : await whole(response)
            switch completion {
            case .failure(let error): return error.call
            case .success(var completion):
                if let usage = completion.usage { bot.metrics.botTokens(bot: bot.name, prompt: usage.prompt, completion: usage.completion) }
                completion.error = completion.error.map(bot.http.redact)
                return OpenAIAnswer.answer(completion, request: turn, settings: bot.settings)
            }
        }

        func whole(_ response: HTTPClientResponse) async -> Result<CompletionAccumulator, BotCallError> {
            let body: ByteBuffer
            switch await bot.http.body(of: response) {
            case .success(let bytes): body = bytes
            case .failure(let error): return .failure(error)
            }
            var completion = CompletionAccumulator()
            guard let json = try? JSONValue(jsonText: String(buffer: body)), completion.take(json, streamed: false), completion.sawCompletion || completion.error != nil else {
                return .failure(BotCallError(.failed(.malformed, detail: "the answer is not a chat completion: \(BotHTTP.clipped(bot.http.redact(String(buffer: body))))")))
            }
            return .success(completion)
        }

        /// Reads the event stream to `[DONE]` or the end of the body, showing the text as it grows. A stream that
        /// ends before its finish reason was cut: what was shown is withdrawn by the caller, nothing is kept.
        func streamed(_ response: HTTPClientResponse) async -> Result<CompletionAccumulator, BotCallError> {
            var parser = ServerSentEvents()
            var completion = CompletionAccumulator()
            var shown = ""
            var lastShown = ContinuousClock.now - OpenAIBot.draftInterval
            var done = false
            var events = 0
            var bodyStart = ""
            do {
                reading: for try await bytes in response.body {
                    if bodyStart.count < 200 { bodyStart += String(buffer: bytes).prefix(200) }
                    for data in parser.feed(bytes.readableBytesView) {
                        events += 1
                        if data.trimmingCharacters(in: .whitespaces) == "[DONE]" {
                            done = true
                            break reading
                        }
                        guard let json = try? JSONValue(jsonText: data), completion.take(json, streamed: true) else {
                            return .failure(BotCallError(.failed(.malformed, detail: "a stream event is not a completion chunk: \(BotHTTP.clipped(bot.http.redact(data)))")))
                        }
                        if completion.error != nil { break reading }
                        if completion.text != shown, ContinuousClock.now - lastShown >= OpenAIBot.draftInterval {
                            shown = completion.text
                            lastShown = .now
                            await draft(shown)
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return .failure(BotCallError(.failed(.timeout, detail: "the answer did not finish in time"))) }
                return .failure(BotCallError(.failed(.streamCut, detail: bot.http.redact("the stream broke off: \(String(describing: error))"))))
            }
            if !done, completion.error == nil, let trailing = parser.finish(), let json = try? JSONValue(jsonText: trailing) {
                events += 1
                completion.take(json, streamed: true)
            }
            // Not one event in the whole body: not an event stream at all (a proxy's error page, say).
            if events == 0, !bodyStart.isEmpty {
                return .failure(BotCallError(.failed(.malformed, detail: "the answer is not an event stream: \(BotHTTP.clipped(bot.http.redact(bodyStart)))")))
            }
            if completion.error != nil { return .success(completion) }
            // Servers may close without `[DONE]`; a stream that ended before its finish reason was cut off.
            guard completion.finishReason != nil || done else {
                return .failure(BotCallError(.failed(.streamCut, detail: "the stream ended before the answer was finished")))
            }
            return .success(completion)
        }
    }
}
