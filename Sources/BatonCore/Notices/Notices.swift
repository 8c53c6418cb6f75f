import Foundation

/// A notice Baton itself sends the user (the flow's own words are the flow's).
public enum NoticeKey: String, CaseIterable, Codable, Sendable, Hashable {
    /// An agent took the conversation; `agentJoinedNamed` when users may see the agent's name (`{name}`).
    case agentJoined, agentJoinedNamed
    /// Said every so often while no agent has written yet (`HandoverTimers.reminderEvery`).
    case reminder
    /// The user's place among the conversations waiting in the inbox (`announcePosition`): first, or `{position}`.
    case queueNext, queuePosition
    /// The agent resolved the conversation: the bot has the user again.
    case resolved
    /// An agent reopened a resolved conversation.
    case reopened
    /// An agent gave the user back to the bot without resolving.
    case handedBack
    /// The user left the queue (a cancel keyword or button).
    case cancelled
    /// The handover could not be opened.
    case failed
    /// Baton closed the handover: the user wrote nothing for too long, or no agent answered in time.
    case inactiveUser, inactiveAgent
    /// The handover opens although no agent is online, or outside the inbox's working hours (`whenUnavailable: handover`).
    case noAgentOnline, outsideBusinessHours
    /// A message could not be delivered to the agent; `undeliveredExcerpt` quotes it (`{excerpt}`).
    case undelivered, undeliveredExcerpt
    /// The flow itself is broken (the problem goes to the log).
    case apology
    /// An outside bot (a bot node's) could not answer; the flow goes on with `input.bot.outcome = error`.
    case botUnavailable

    /// The placeholders the text may use.
    public var placeholders: [String] {
        switch self {
        case .agentJoinedNamed: ["name"]
        case .undeliveredExcerpt: ["excerpt"]
        case .queuePosition: ["position"]
        default: []
        }
    }
}

/// The words of every notice, per language: the endpoint's own texts over the ones Baton ships (English, German,
/// Spanish, French and Portuguese). A text is looked up in the user's language (the profile's `language`, e.g.
/// `de` or `pt-BR`, else the endpoint's default language): the endpoint's text in that language, then the shipped
/// one, then the same for the language's base (`pt` for `pt-BR`), then English.
public struct Notices: Sendable, Hashable {
    /// The endpoint's texts by language tag (lower case, `-` between parts) and key.
    public var texts: [String: [NoticeKey: String]]
    /// The language of users whose profile names none.
    public var defaultLanguage: String

    public init(texts: [String: [NoticeKey: String]] = [:], defaultLanguage: String = "en") {
        self.texts = Dictionary(texts.map { (Self.normalized($0.key), $0.value) }, uniquingKeysWith: { $0.merging($1) { _, new in new } })
        self.defaultLanguage = Self.normalized(defaultLanguage)
    }

    /// Baton's own words only, in English unless a profile says otherwise.
    public static let standard = Notices()

    /// The text of `key` for a user of `language` (`nil`: the default language), with its placeholders filled in.
    public func text(_ key: NoticeKey, language: String?, _ values: [String: String] = [:]) -> String {
        var text = template(key, language: language)
        for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }

    func template(_ key: NoticeKey, language: String?) -> String {
        let tag = language.map(Self.normalized).flatMap { $0.isEmpty ? nil : $0 } ?? defaultLanguage
        for candidate in Self.fallbacks(of: tag) + Self.fallbacks(of: defaultLanguage) + ["en"] {
            if let text = texts[candidate]?[key] ?? ShippedNotices.texts[candidate]?[key] { return text }
        }
        // Every key is shipped in English (a test checks it).
        return key.rawValue
    }

    /// `pt-br` → `pt-br`, `pt`.
    static func fallbacks(of tag: String) -> [String] {
        let base = tag.split(separator: "-").first.map(String.init) ?? tag
        return base == tag ? [tag] : [tag, base]
    }

    /// `en`, `de`, `pt-BR`, `zh_Hant`: letters, then parts of letters or digits after `-` or `_`.
    public static func isLanguageTag(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).flatMap { $0.split(separator: "_", omittingEmptySubsequences: false) }
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }) else { return false }
        return parts.dropFirst().allSatisfy { (1...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }

    /// Language tags compared without case, `_` read as `-` (`pt_BR` is `pt-br`).
    public static func normalized(_ tag: String) -> String {
        tag.trimmingSpaces.lowercased().replacingOccurrences(of: "_", with: "-")
    }
}

extension Notices {
    /// The texts for one session: its profile's `language`, when it names one.
    public func `for`(profile: JSONValue) -> SessionNotices {
        var language: String?
        if case .string(let tag)? = profile["language"] { language = tag }
        return SessionNotices(notices: self, language: language)
    }
}

/// The notices in one session's language.
public struct SessionNotices: Sendable, Hashable {
    public let notices: Notices
    public let language: String?

    public func callAsFunction(_ key: NoticeKey, _ values: [String: String] = [:]) -> String {
        notices.text(key, language: language, values)
    }

    /// Told when an agent takes the conversation.
    public func joined(_ agentName: String?) -> String {
        agentName.map { self(.agentJoinedNamed, ["name": $0]) } ?? self(.agentJoined)
    }

    /// Told when a message could not be delivered to the agent however often it was tried.
    public func undelivered(_ text: String) -> String {
        let excerpt = text.count > 80 ? text.prefix(77) + "…" : Substring(text)
        return excerpt.isEmpty ? self(.undelivered) : self(.undeliveredExcerpt, ["excerpt": String(excerpt)])
    }
}
