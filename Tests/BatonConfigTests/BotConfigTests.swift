import BatonCore
import Foundation
import Testing

@testable import BatonConfig

/// `bots:` in baton.yaml and the flows' `bot` nodes that name them.
@Suite final class BotConfigTests {
    let files: FixtureDirectory

    init() throws { files = try FixtureDirectory() }
    deinit { files.remove() }

    func load(_ config: String, flow: String, environment: [String: String] = [:]) throws -> BatonConfiguration {
        try files.write("flows/main.yaml", flow)
        return try ConfigLoader(environment: environment).load(path: try files.write("baton.yaml", config)).0
    }

    static let flow = """
        nodes:
          - id: ask
            bot: assistant
          - id: rasa
            bot: { use: helpdesk, speaksFirst: true, silenceIsFine: true, prompt: "Help {{ profile.name }}.", exits: { handover: human, billing: ask } }
          - id: human
            handover:
        """

    static let bots = """
        bots:
          assistant:
            openai:
              baseURL: http://127.0.0.1:11434/v1/
              model: llama3.2
              apiKeyEnv: MODEL_KEY
              temperature: 0.2
              maxTokens: 300
              maxTokensField: max_completion_tokens
              stream: false
            systemPrompt: "You answer for {{ session.endpoint }}."
            timeoutSeconds: 20
            retrySeconds: 5
            history: 12
          helpdesk:
            webhook: { url: "http://127.0.0.1:5005/webhooks/rest/webhook", secretFile: rasa.secret }

        """

    static let endpoints = "endpoints:\n  web:\n    flow: flows/main.yaml\n"

    @Test func botsAreReadAndNodesTakeTheirBotsPrompt() throws {
        try files.write("rasa.secret", "s3cret\n")
        let config = try load(Self.bots + Self.endpoints, flow: Self.flow, environment: ["MODEL_KEY": "sk-test"])
        let assistant = try #require(config.bots["assistant"])
        guard case .openAI(let model) = assistant.kind else {
            Issue.record("assistant should be an openai bot")
            return
        }
        #expect(model.baseURL == "http://127.0.0.1:11434/v1", "a trailing slash is dropped")
        #expect(model.model == "llama3.2")
        #expect(model.apiKey?.value == "sk-test")
        #expect(!model.keyInAPIKeyHeader, "Bearer unless Azure or apiKeyHeader says otherwise")
        #expect(model.temperature == 0.2 && model.maxTokens == 300 && model.maxTokensField == "max_completion_tokens" && !model.stream)
        #expect(assistant.timeoutSeconds == 20 && assistant.retrySeconds == 5 && assistant.history == 12)
        guard case .webhook(let webhook)? = config.bots["helpdesk"]?.kind else {
            Issue.record("helpdesk should be a webhook bot")
            return
        }
        #expect(webhook.secret?.value == "s3cret")

        let nodes = try #require(config.endpoints.first).flow.nodes
        guard case .bot(let ask) = nodes[0].kind, case .bot(let rasa) = nodes[1].kind else {
            Issue.record("expected two bot nodes")
            return
        }
        #expect(ask.bot == "assistant" && ask.prompt?.source == "You answer for {{ session.endpoint }}.", "a node without a prompt takes its bot's")
        #expect(rasa.bot == "helpdesk" && rasa.speaksFirst && rasa.silenceIsFine && rasa.prompt?.source == "Help {{ profile.name }}.")
        #expect(rasa.exits == ["handover": "human", "billing": "ask"])
    }

    @Test func anUnknownBotOrExitTargetIsAnError() throws {
        let flow = "nodes:\n  - id: a\n    bot: asistant\n  - id: b\n    bot: { use: assistant, exits: { end: nowhere } }\n"
        let messages = failureDiagnostics { try self.load(Self.bots + Self.endpoints, flow: flow, environment: ["MODEL_KEY": "k"]) }.map(\.message)
        #expect(messages.contains { $0.contains("names bot 'asistant', which is not in the config's bots (did you mean 'assistant'?)") })
        #expect(messages.contains { $0.contains("nowhere") })
    }

    @Test(arguments: [
        ("bots: { b: { openai: { model: m } } }", "baseURL"),
        ("bots: { b: { openai: { baseURL: 'ftp://x', model: m } } }", "must be an http(s) URL"),
        ("bots: { b: { webhook: { url: 'http://x' }, openai: { baseURL: 'http://x', model: m } } }", "either openai or webhook"),
        ("bots: { b: { openai: { baseURL: 'http://x', model: m, temperature: 3 } } }", "temperature is a number from 0 to 2"),
        ("bots: { b: { openai: { baseURL: 'http://x', model: m, apiKeyEnv: NOT_SET } } }", "'NOT_SET' is not set"),
        ("bots: { b: { openai: { baseURL: 'http://x', model: m, apiKey: k, apiKeyEnv: K } } }", "set one of"),
        ("delivery: { giveUpAfterSeconds: 40 }\nbots: { b: { webhook: { url: 'http://x' }, retrySeconds: 20 } }", "must be shorter than delivery.giveUpAfterSeconds (40)"),
        ("bots: { b: { webhook: { url: 'http://x' }, history: 0 } }", "between 1 and 500"),
        ("bots: { b: { openai: { baseURL: 'http://x', model: m, apiKeyHeader: x-key } } }", "apiKeyHeader is authorization (Bearer) or api-key"),
    ])
    func badBotSettingsAreErrors(config: String, message: String) throws {
        let messages = failureDiagnostics { try self.load(config + "\n" + Self.endpoints, flow: "nodes:\n  - say: hi\n") }.map(\.message)
        #expect(messages.contains { $0.contains(message) }, "\(messages)")
    }

    @Test func theKeyNeverShowsInTheSettingsDescription() throws {
        let config = try load(Self.bots.replacingOccurrences(of: "secretFile: rasa.secret", with: "secret: s3cret") + Self.endpoints, flow: Self.flow, environment: ["MODEL_KEY": "sk-very-secret"])
        #expect(!String(describing: config.bots).contains("sk-very-secret"))
        #expect(!String(reflecting: config.bots).contains("s3cret"))
    }
}

/// An endpoint's webchat branding: read, and every value checked so nothing a config says becomes script or style.
@Suite final class WebchatBrandingConfigTests {
    let files: FixtureDirectory

    init() throws { files = try FixtureDirectory() }
    deinit { files.remove() }

    func load(_ webchat: String) throws -> BatonConfiguration {
        try files.write("flows/main.yaml", "nodes:\n  - say: hi\n")
        return try ConfigLoader(environment: [:]).load(path: try files.write("baton.yaml", "endpoints:\n  web:\n    flow: flows/main.yaml\n    channels: { webchat: \(webchat) }\n")).0
    }

    @Test func brandingIsRead() throws {
        let config = try load(
            ##"{ title: "Acme Help", color: "#0f766e", textColor: "#fff", logo: "https://acme.example/logo.png", botAvatar: "https://acme.example/bot.png", position: left }"##)
        var expected = WebchatBranding(title: "Acme Help", color: "#0f766e", textColor: "#fff", logo: "https://acme.example/logo.png", position: "left")
        expected.botAvatar = "https://acme.example/bot.png"
        #expect(config.endpoints.first?.webchat.branding == expected)
    }

    @Test(arguments: [
        (#"{ color: "red; background: url(x)" }"#, "color is a colour written #rgb or #rrggbb"),
        (##"{ textColor: "#12345" }"##, "textColor is a colour written #rgb or #rrggbb"),
        (#"{ logo: "javascript:alert(1)" }"#, "the logo is an http(s) URL"),
        (#"{ botAvatar: "data:image/png;base64,AAAA" }"#, "the bot's avatar is an http(s) URL"),
        (#"{ position: top }"#, "position is left or right"),
        (#"{ title: "" }"#, "the title is 1 to 60 characters"),
    ])
    func badBrandingIsAnError(webchat: String, message: String) throws {
        let messages = failureDiagnostics { try self.load(webchat) }.map(\.message)
        #expect(messages.contains { $0.contains(message) }, "\(messages)")
    }
}

/// The handovers API's callback: read with its secret from a file, and every mistake named.
@Suite final class HandoverCallbackConfigTests {
    let files: FixtureDirectory

    init() throws { files = try FixtureDirectory() }
    deinit { files.remove() }

    func load(_ rest: String) throws -> BatonConfiguration {
        try files.write("flows/main.yaml", "nodes:\n  - say: hi\n")
        try files.write("callback.secret", "0123456789abcdef-signing\n")
        return try ConfigLoader(environment: [:]).load(path: try files.write("baton.yaml", "endpoints:\n  api:\n    flow: flows/main.yaml\n    channels: { rest: \(rest) }\n")).0
    }

    @Test func theCallbackIsReadWithItsSecret() throws {
        let config = try load("{ apiKey: k3y-0123456789, callback: { url: \"https://bot.example/baton\", secretFile: callback.secret } }")
        let rest = try #require(config.endpoints.first?.rest)
        #expect(rest.callback == HandoverCallbackSettings(url: "https://bot.example/baton", secret: Secret("0123456789abcdef-signing")))
        #expect(!String(reflecting: rest).contains("0123456789abcdef-signing"), "the secret never shows")
    }

    @Test(arguments: [
        ("{ apiKey: k, callback: { url: \"ftp://bot.example\", secret: 0123456789abcdef } }", "the callback is an http(s) URL"),
        ("{ apiKey: k, callback: { secret: 0123456789abcdef } }", "missing required key 'url'"),
        ("{ apiKey: k, callback: { url: \"https://bot.example\" } }", "the callback needs a 'secret'"),
        ("{ apiKey: k, callback: { url: \"https://bot.example\", secret: short } }", "at least 16 characters"),
        ("{ callback: { url: \"https://bot.example\", secret: 0123456789abcdef } }", "needs 'apiKey'"),
        ("{ apiKey: k, callback: { url: \"https://bot.example\", secret: 0123456789abcdef, retries: 3 } }", "retries"),
    ])
    func badCallbacksAreErrors(rest: String, message: String) throws {
        let messages = failureDiagnostics { try self.load(rest) }.map(\.message)
        #expect(messages.contains { $0.contains(message) }, "\(messages)")
    }
}
