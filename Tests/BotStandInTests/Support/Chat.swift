import BotStandIn
import StandInJSON

/// Chat-completions request bodies for the tests.
enum Chat {
    static func user(_ text: String) -> JSONValue { ["role": "user", "content": .string(text)] }

    static func tool(_ name: String) -> JSONValue {
        ["type": "function", "function": ["name": .string(name), "parameters": ["type": "object", "properties": [:]]]]
    }

    static func body(
        model: String? = "gpt-4o-mini", messages: [JSONValue] = [user("Hello there")], tools: [String] = [], stream: Bool = false,
        includeUsage: Bool = false
    ) -> JSONValue {
        var body: JSONValue = [:]
        if let model { body = body.setting("model", .string(model)) }
        body = body.setting("messages", .array(messages))
        if !tools.isEmpty { body = body.setting("tools", .array(tools.map(tool))) }
        if stream { body = body.setting("stream", true) }
        if includeUsage { body = body.setting("stream_options", ["include_usage": true]) }
        return body
    }

    static func bearer(_ key: String) -> [(String, String)] { [("Authorization", "Bearer \(key)")] }
}

/// Starts a stand-in, runs the test, always shuts it down.
func withOpenAI(_ options: OpenAIStandIn.Options = .init(), _ body: (OpenAIStandIn) async throws -> Void) async throws {
    let standIn = try await OpenAIStandIn.start(options)
    do {
        try await body(standIn)
    } catch {
        await standIn.shutdown()
        throw error
    }
    await standIn.shutdown()
}

/// Starts a Rasa stand-in, runs the test, always shuts it down.
func withRasa(_ body: (RasaStandIn) async throws -> Void) async throws {
    let standIn = try await RasaStandIn.start()
    do {
        try await body(standIn)
    } catch {
        await standIn.shutdown()
        throw error
    }
    await standIn.shutdown()
}
