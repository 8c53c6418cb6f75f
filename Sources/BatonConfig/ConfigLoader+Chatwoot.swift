import BatonCore
import Foundation
import Yams

/// Chatwoot: an endpoint's handover settings, and the Chatwoot inboxes it answers as a channel.
extension ConfigLoader {
    func readChatwootChannel(_ members: YAMLMapping, baseDirectory: String, _ sink: DiagnosticSink) -> ChatwootChannelSettings? {
        guard let inboxesValue = members.required("inboxes", sink) else { return nil }
        let items: [YAMLValue] = if let node = inboxesValue.node, case .scalar = node { [inboxesValue] } else { inboxesValue.sequence(sink) ?? [] }
        let inboxes = items.compactMap { $0.int(sink, range: 1...Int(Int32.max)) }
        if inboxes.isEmpty { sink.error(inboxesValue, "list the ids of the Chatwoot inboxes this endpoint answers, e.g. [21]") }
        if Set(inboxes).count != inboxes.count { sink.error(inboxesValue, "an inbox is listed twice") }
        let pathSecret = readSecret("webhookPathSecret", in: members, baseDirectory: baseDirectory, sink)
        if let pathSecret, !Self.isPathSecret(pathSecret.value) {
            sink.error(members[members.has("webhookPathSecret") ? "webhookPathSecret" : "webhookPathSecretFile"], "must be at least 24 URL-safe characters (letters, digits, '-', '_'), so it cannot be guessed")
        }
        return ChatwootChannelSettings(inboxes: inboxes, webhookPathSecret: pathSecret)
    }

    /// `inbox: 12` (an id) or `inbox: Website handover` (a name).
    func readInboxChoice(_ value: YAMLValue, _ sink: DiagnosticSink) -> ChatwootInboxChoice? {
        guard let text = value.string(sink) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let id = Int(trimmed) {
            guard id > 0 else {
                sink.error(value, "an inbox id is a positive number")
                return nil
            }
            return .id(id)
        }
        guard !trimmed.isEmpty else {
            sink.error(value, "name the inbox by its id or its name")
            return nil
        }
        return .name(trimmed)
    }

    /// Long and URL-safe enough to stand in for a signature.
    static func isPathSecret(_ text: String) -> Bool {
        text.count >= 24 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    func readHandover(_ value: YAMLValue, baseDirectory: String, _ sink: DiagnosticSink) -> HandoverSettings? {
        guard let members = value.mapping(allowed: ["provider", "chatwoot"], sink) else { return nil }
        guard let providerValue = members.required("provider", sink), let provider = providerValue.string(sink) else { return nil }
        guard provider == "chatwoot" else {
            sink.error(providerValue, "unknown handover provider '\(provider)'; supported: chatwoot")
            return nil
        }
        guard let settingsValue = members.required("chatwoot", sink),
            let chatwoot = settingsValue.mapping(
                allowed: ["baseURL", "accountId", "apiAccessToken", "apiAccessTokenFile", "inbox", "agentBotName", "agentBotDescription", "webhookSecret", "webhookSecretFile", "webhookPathSecret", "webhookPathSecretFile", "profileAttributes", "showAgentNames", "forwardUserTyping", "reportSeenMessages",
                    "busyIsAvailable", "availabilityCacheSeconds",
                ], sink)
        else { return nil }
        var baseURL = chatwoot.required("baseURL", sink)?.string(sink)
        if let url = baseURL {
            if !Attachment.isWebURL(url) {
                sink.error(chatwoot["baseURL"], "must be an http(s) URL such as https://app.chatwoot.com, found '\(url)'")
            }
            // People paste the API URL from Cognigy's docs (".../api/v1"); the base is what we need.
            var trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
            if trimmed.hasSuffix("/api/v1") { trimmed = String(trimmed.dropLast("/api/v1".count)) }
            baseURL = trimmed
        }
        let accountID = chatwoot.required("accountId", sink)?.int(sink, range: 1...Int(Int32.max))
        let token = readSecret("apiAccessToken", in: chatwoot, baseDirectory: baseDirectory, sink)
        if token == nil, !chatwoot.has("apiAccessToken"), !chatwoot.has("apiAccessTokenFile") {
            sink.error(settingsValue, "missing required key 'apiAccessToken' (or 'apiAccessTokenFile')")
        }
        let botName = chatwoot.has("agentBotName") ? chatwoot["agentBotName"].string(sink) : nil
        let botDescription = chatwoot.has("agentBotDescription") ? chatwoot["agentBotDescription"].string(sink) : nil
        let secretFile = chatwoot.has("webhookSecretFile") ? chatwoot["webhookSecretFile"].string(sink).map { Self.resolve($0, against: baseDirectory) } : nil
        let secretYetToBeWritten = webhookSecretFileMayBeMissing && !chatwoot.has("webhookSecret")
            && secretFile.map { !FileManager.default.fileExists(atPath: $0) } == true
        let webhookSecret = secretYetToBeWritten ? nil : readSecret("webhookSecret", in: chatwoot, baseDirectory: baseDirectory, sink)
        let inbox = chatwoot.has("inbox") ? readInboxChoice(chatwoot["inbox"], sink) : nil
        let pathSecret = readSecret("webhookPathSecret", in: chatwoot, baseDirectory: baseDirectory, sink)
        if let pathSecret, !Self.isPathSecret(pathSecret.value) {
            sink.error(chatwoot[chatwoot.has("webhookPathSecret") ? "webhookPathSecret" : "webhookPathSecretFile"], "must be at least 24 URL-safe characters (letters, digits, '-', '_'), so it cannot be guessed")
        }
        if webhookSecret == nil, pathSecret == nil, !secretYetToBeWritten, baseURL != nil, accountID != nil, token != nil {
            sink.warning(settingsValue, "neither 'webhookSecret' (Chatwoot 4.13+) nor 'webhookPathSecret' (older Chatwoot) is set, so Baton refuses this endpoint's webhooks: agents' replies cannot reach users")
        }
        let profileAttributes = chatwoot.has("profileAttributes") ? chatwoot["profileAttributes"].strings(sink) ?? [] : []
        guard let baseURL, let accountID, let token else { return nil }
        var settings = ChatwootSettings(baseURL: baseURL, accountID: accountID, apiAccessToken: token, webhookSecret: webhookSecret)
        settings.webhookSecretFile = secretFile
        settings.inbox = inbox
        if let botName { settings.agentBotName = botName }
        if let botDescription { settings.agentBotDescription = botDescription }
        settings.profileAttributes = profileAttributes
        settings.webhookPathSecret = pathSecret
        if chatwoot.has("showAgentNames") { settings.showAgentNames = chatwoot["showAgentNames"].bool(sink) ?? false }
        if chatwoot.has("busyIsAvailable") { settings.busyIsAvailable = chatwoot["busyIsAvailable"].bool(sink) ?? false }
        if chatwoot.has("availabilityCacheSeconds"), let seconds = chatwoot["availabilityCacheSeconds"].int(sink, range: 0...3_600) {
            settings.availabilityCacheSeconds = seconds
        }
        if chatwoot.has("forwardUserTyping") { settings.forwardUserTyping = chatwoot["forwardUserTyping"].bool(sink) ?? false }
        if chatwoot.has("reportSeenMessages") { settings.reportSeenMessages = chatwoot["reportSeenMessages"].bool(sink) ?? false }
        return .chatwoot(settings)
    }
}
