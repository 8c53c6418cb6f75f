import ArgumentParser
import BotStandIn
import Foundation

/// `swift run bot-standin`: a local Rasa bot and a local OpenAI-compatible model to point Baton at.
@main
struct BotStandInCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bot-standin",
        abstract: "Local stand-ins for a Rasa REST-channel bot and an OpenAI-compatible chat-completions server.",
        discussion: """
            Two servers on two ports, because the real ones live at different roots (and Ollama's port is the \
            OpenAI-compatible default, as Rasa's 5005 is the Rasa one).

            Rasa (--port): POST /webhooks/rest/webhook (add ?stream=true for NDJSON) and GET /webhooks/rest/.

            OpenAI-compatible (--openai-port): POST /v1/chat/completions; with --flavor azure, \
            POST /openai/deployments/{deployment}/chat/completions?api-version=… with an api-key header.

            Both answer with a deterministic default bot. "human", "agent" or "person" asks for a hand-over (Rasa: \
            a text and custom.handover; OpenAI: a call to a handover or handover_to_human tool when the request \
            offers one). "bye" calls an end_conversation tool. Anything else is echoed. Rasa also knows \
            "helpdesk", "silence" and "buttons".
            """)

    @Option(help: "Port of the Rasa REST channel (0 = a free port).")
    var port = 5005

    @Option(name: .customLong("openai-port"), help: "Port of the OpenAI-compatible server (0 = a free port).")
    var openAIPort = 11434

    @Option(help: "Address both listen on.")
    var host = "127.0.0.1"

    @Option(name: .customLong("api-key"), help: "Key the OpenAI-compatible server requires (Bearer, or api-key for Azure); none when omitted.")
    var apiKey: String?

    @Option(help: "Which OpenAI-compatible server to imitate: openai, ollama or azure.")
    var flavor = "ollama"

    @Option(name: .customLong("model"), help: "A model the OpenAI-compatible server serves (repeatable); any model when omitted.")
    var models: [String] = []

    func validate() throws {
        guard OpenAIStandIn.Flavor(rawValue: flavor) != nil else { throw ValidationError("--flavor must be openai, ollama or azure") }
    }

    func run() async throws {
        let chosen = OpenAIStandIn.Flavor(rawValue: flavor) ?? .ollama
        let rasa = try await RasaStandIn.start(.init(host: host, port: port))
        let llm = try await OpenAIStandIn.start(
            .init(apiKey: apiKey, flavor: chosen, models: models.isEmpty ? nil : models, host: host, port: openAIPort))
        let banner = """
            bot-standin listening
              Rasa REST channel:   \(rasa.webhookURL)
              OpenAI-compatible:   \(llm.baseURL)   (\(chosen.rawValue) flavour\(apiKey == nil ? ", no key" : ", key required"))
              chat completions:    \(llm.chatCompletionsURL())

            """
        FileHandle.standardOutput.write(Data(banner.utf8))
        // A development tool: Ctrl-C ends the process; nothing needs flushing (all state is in memory).
        signal(SIGINT) { _ in Foundation.exit(0) }
        signal(SIGTERM) { _ in Foundation.exit(0) }
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}
