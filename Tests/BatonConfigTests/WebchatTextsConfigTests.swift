import Foundation
import Testing

@testable import BatonConfig

/// `channels.webchat.texts`: the page's own words an endpoint sets.
@Suite final class WebchatTextsConfigTests {
    let files: FixtureDirectory

    init() throws { files = try FixtureDirectory() }
    deinit { files.remove() }

    func load(_ texts: String) throws -> BatonConfiguration {
        try files.write("flow.yaml", "nodes: [ { say: Hi } ]")
        let config = "endpoints:\n  shop:\n    name: Shop\n    flow: flow.yaml\n    channels:\n      webchat:\n        texts:\n" + texts
        return try ConfigLoader().load(path: try files.write("baton.yaml", config)).0
    }

    func failure(_ texts: String) -> [Diagnostic] { failureDiagnostics { try self.load(texts) } }

    @Test func textsAreReadByLanguageAndALanguageIsTakenAsNoticesTakeIt() throws {
        let texts = try load("          it: { placeholder: \"Scrivi un messaggio…\", tooLong: \"Al massimo {max} caratteri.\" }\n          pt_BR: { send: Enviar }\n")
        #expect(texts.endpoints[0].webchat.texts == ["it": ["placeholder": "Scrivi un messaggio…", "tooLong": "Al massimo {max} caratteri."], "pt-br": ["send": "Enviar"]])
    }

    @Test func unknownKeysPlaceholdersAndLanguagesAreErrorsWhereTheyAre() {
        let path = files.path("baton.yaml")
        expectDiagnostic(
            failure("          it: { placehlder: Scrivi }\n"), file: path, line: 8, path: "endpoints.shop.channels.webchat.texts.it.placehlder",
            message: "unknown key 'placehlder' (did you mean 'placeholder'?)")
        expectDiagnostic(
            failure("          it: { tooLong: \"Al massimo {limit} caratteri.\" }\n"), file: path, line: 8, path: "endpoints.shop.channels.webchat.texts.it.tooLong",
            message: "'{limit}' is not known in the webchat's tooLong text; it may use: {max}")
        expectDiagnostic(
            failure("          italiano: { send: Invia }\n"), file: path, line: 8, path: "endpoints.shop.channels.webchat.texts.italiano",
            message: "'italiano' is not a language tag (such as en, de, pt-BR)")
        expectDiagnostic(
            failure("          it: { send: \" \" }\n"), file: path, line: 8, path: "endpoints.shop.channels.webchat.texts.it.send", message: "a text must say something")
    }

    /// The keys and placeholders the config accepts are the page's (its English words, which every language has).
    @Test func theKeysAreThePagesOwn() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/BatonServer/Resources/webchat/webchat-texts.js").standardized
        let source = try String(contentsOf: file, encoding: .utf8)
        let english = try #require(source.range(of: "  en: {").flatMap { start in source.range(of: "\n  },", range: start.upperBound..<source.endIndex).map { source[start.upperBound..<$0.lowerBound] } })
        var keys: [String: Set<String>] = [:]
        let entry = try Regex(#"(\w+): '((?:[^'\\]|\\.)*)'"#)
        for match in english.matches(of: entry) {
            let key = String(match.output[1].substring!), text = String(match.output[2].substring!)
            keys[key] = Set(HandoverPolicyReader.placeholders(in: text))
        }
        #expect(keys.count > 50)
        #expect(keys == WebchatTexts.placeholders)
    }
}
