import BatonCore
import Foundation
import Yams

/// One endpoint: its flow (checked against the bots), channels, webchat branding, notices and handover defaults.
extension ConfigLoader {
    func readEndpoint(id: String, _ value: YAMLValue, baseDirectory: String, bots: [String: BotSettings] = [:], _ sink: DiagnosticSink) -> EndpointConfiguration? {
        guard let members = value.mapping(allowed: ["name", "urlToken", "flow", "channels", "handover", "language", "notices", "handoverDefaults"], sink) else {
            return nil
        }
        let name = members.has("name") ? members["name"].string(sink) ?? id : id
        var urlToken = id
        if members.has("urlToken"), let token = members["urlToken"].string(sink) {
            if token.isEmpty || !token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                sink.error(members["urlToken"], "a URL token may use ASCII letters, digits, '-' and '_' only")
            }
            urlToken = token
        }
        var channels = (webchat: WebchatSettings(), rest: RESTSettings(), chatwoot: ChatwootChannelSettings?.none)
        if members.has("channels") { channels = readChannels(members["channels"], baseDirectory: baseDirectory, sink) }
        let handover = members.has("handover") ? readHandover(members["handover"], baseDirectory: baseDirectory, sink) : nil
        if channels.chatwoot != nil, handover == nil {
            sink.error(members["channels"].child("chatwoot", members["channels"].node?["chatwoot"]), "the chatwoot channel answers as the agent bot of the endpoint's Chatwoot account: add handover.provider chatwoot with its settings")
        }
        guard let flowValue = members.required("flow", sink), let flowPath = flowValue.string(sink) else { return nil }
        let flowFile = Self.resolve(flowPath, against: baseDirectory)
        guard var flow = FlowLoader(overrides: Overrides(environment: [:])).load(path: flowFile, referencedFrom: flowValue, sink: sink) else { return nil }
        BotSettingsReader.resolve(&flow, bots: bots, flowValue: flowValue, sink: sink)
        for node in flow.nodes {
            guard case .handover(let handoverNode) = node.kind else { continue }
            let location = node.location ?? flowValue.location
            if handover == nil {
                sink.add(Diagnostic(.warning, at: location, path: "endpoints.\(id)", "the flow hands over at node '\(node.id)' but the endpoint has no handover settings; the flow will get input.handover.status 'error' (reason 'unsupported')"))
            } else if let handover, handover.providerName != handoverNode.provider {
                sink.add(Diagnostic(.warning, at: location, path: "endpoints.\(id)", "node '\(node.id)' asks for provider '\(handoverNode.provider)' but the endpoint uses '\(handover.providerName)'"))
            }
        }
        return EndpointConfiguration(
            id: id, name: name, urlToken: urlToken, flowFile: flowFile, flow: flow, webchat: channels.webchat, rest: channels.rest, chatwoot: channels.chatwoot,
            handover: handover, handoverPolicy: readHandoverPolicy(members, sink))
    }

    /// `language`, `notices` and `handoverDefaults` (the timers nodes leave out).
    func readHandoverPolicy(_ members: YAMLMapping, _ sink: DiagnosticSink) -> HandoverPolicy {
        var language = "en"
        if members.has("language"), let tag = members["language"].string(sink) {
            if Notices.isLanguageTag(tag) { language = tag } else { sink.error(members["language"], "'\(tag)' is not a language tag (such as en, de, pt-BR)") }
        }
        var policy = HandoverPolicy(notices: Notices(defaultLanguage: language))
        if members.has("notices") { policy.notices = HandoverPolicyReader.notices(members["notices"], defaultLanguage: language, sink) }
        if members.has("handoverDefaults"), let defaults = members["handoverDefaults"].mapping(allowed: HandoverPolicyReader.timerKeys, sink) {
            policy.timers = HandoverPolicyReader.timers(defaults, sink)
        }
        return policy
    }

    func readChannels(
        _ value: YAMLValue, baseDirectory: String, _ sink: DiagnosticSink
    ) -> (webchat: WebchatSettings, rest: RESTSettings, chatwoot: ChatwootChannelSettings?) {
        var result = (webchat: WebchatSettings(), rest: RESTSettings(), chatwoot: ChatwootChannelSettings?.none)
        guard let members = value.mapping(allowed: ["webchat", "rest", "chatwoot"], sink) else { return result }
        if members.has("chatwoot"), let chatwoot = members["chatwoot"].mapping(allowed: ["inboxes", "webhookPathSecret", "webhookPathSecretFile"], sink) {
            result.chatwoot = readChatwootChannel(chatwoot, baseDirectory: baseDirectory, sink)
        }
        let webchatKeys = [
            "enabled", "identitySecret", "identitySecretFile", "subtitle", "userCanDelete", "title", "color", "textColor", "logo", "botAvatar", "position",
            "texts",
        ]
        if members.has("webchat"), let webchat = members["webchat"].mapping(allowed: webchatKeys, sink) {
            result.webchat.branding = readBranding(webchat, sink)
            if webchat.has("enabled") { result.webchat.enabled = webchat["enabled"].bool(sink) ?? true }
            if webchat.has("userCanDelete") { result.webchat.userCanDelete = webchat["userCanDelete"].bool(sink) ?? true }
            if webchat.has("texts") { result.webchat.texts = readWebchatTexts(webchat["texts"], sink) }
            if webchat.has("subtitle"), let subtitle = webchat["subtitle"].string(sink) {
                if subtitle.count > 120 { sink.error(webchat["subtitle"], "the subtitle is one short line: at most 120 characters") }
                result.webchat.subtitle = subtitle.isEmpty ? nil : subtitle
            }
            result.webchat.identitySecret = readSecret("identitySecret", in: webchat, baseDirectory: baseDirectory, sink)
            if let secret = result.webchat.identitySecret, secret.value.count < 16 {
                sink.error(webchat["identitySecret"], "the identity secret must have at least 16 characters")
            }
        }
        if members.has("rest"), let rest = members["rest"].mapping(allowed: ["enabled", "apiKey", "apiKeyFile", "callback"], sink) {
            if rest.has("enabled") { result.rest.enabled = rest["enabled"].bool(sink) ?? true }
            result.rest.apiKey = readSecret("apiKey", in: rest, baseDirectory: baseDirectory, sink)
            if rest.has("callback"), let callback = rest["callback"].mapping(allowed: ["url", "secret", "secretFile"], sink) {
                result.rest.callback = readCallback(callback, baseDirectory: baseDirectory, sink)
                if result.rest.apiKey == nil {
                    sink.error(rest["callback"], "a callback is for the handovers API, which needs 'apiKey' (or 'apiKeyFile') beside it")
                }
            }
        }
        return result
    }

    /// `rest.callback`: an http(s) URL and the secret notifications are signed with (16 characters or more).
    func readCallback(_ callback: YAMLMapping, baseDirectory: String, _ sink: DiagnosticSink) -> HandoverCallbackSettings? {
        var url: String?
        if let value = callback.required("url", sink), let text = value.string(sink) {
            if Attachment.isWebURL(text) { url = text } else { sink.error(value, "the callback is an http(s) URL, found '\(text)'") }
        }
        guard callback.has("secret") || callback.has("secretFile") else {
            sink.error(callback.owner, "the callback needs a 'secret' (or 'secretFile') to sign its notifications with")
            return nil
        }
        guard let secret = readSecret("secret", in: callback, baseDirectory: baseDirectory, sink) else { return nil }
        guard secret.value.count >= 16 else {
            sink.error(callback[callback.has("secret") ? "secret" : "secretFile"], "the callback's secret must have at least 16 characters")
            return nil
        }
        return url.map { HandoverCallbackSettings(url: $0, secret: secret) }
    }

    /// `title`, `color`, `textColor`, `logo`, `botAvatar`, `position` of a webchat: each checked, none required.
    /// `channels.webchat.texts: { <language>: { <key>: text } }`: each key one of `WebchatTexts`, each text using only
    /// its key's placeholders.
    func readWebchatTexts(_ value: YAMLValue, _ sink: DiagnosticSink) -> [String: [String: String]] {
        HandoverPolicyReader.textsByLanguage(
            value, keys: WebchatTexts.placeholders.sorted { $0.key < $1.key }.map { ($0.key, $0.value.sorted()) }, noun: "text",
            named: { "webchat's \($0) text" }, sink)
    }

    func readBranding(_ webchat: YAMLMapping, _ sink: DiagnosticSink) -> WebchatBranding {
        var branding = WebchatBranding()
        if webchat.has("title"), let title = webchat["title"].string(sink) {
            if title.isEmpty || title.count > 60 { sink.error(webchat["title"], "the title is 1 to 60 characters") } else { branding.title = title }
        }
        for key in ["color", "textColor"] where webchat.has(key) {
            guard let color = webchat[key].string(sink) else { continue }
            guard WebchatBranding.isColor(color) else {
                sink.error(webchat[key], "\(key) is a colour written #rgb or #rrggbb, found '\(color)'")
                continue
            }
            if key == "color" { branding.color = color } else { branding.textColor = color }
        }
        if webchat.has("logo"), let logo = webchat["logo"].string(sink) {
            if Attachment.isWebURL(logo) { branding.logo = logo } else { sink.error(webchat["logo"], "the logo is an http(s) URL, found '\(logo)'") }
        }
        if webchat.has("botAvatar"), let avatar = webchat["botAvatar"].string(sink) {
            if Attachment.isWebURL(avatar) {
                branding.botAvatar = avatar
            } else {
                sink.error(webchat["botAvatar"], "the bot's avatar is an http(s) URL, found '\(avatar)'")
            }
        }
        if webchat.has("position"), let position = webchat["position"].string(sink) {
            if ["left", "right"].contains(position) { branding.position = position } else { sink.error(webchat["position"], "position is left or right, found '\(position)'") }
        }
        return branding
    }
}
