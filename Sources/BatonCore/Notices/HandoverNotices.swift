/// Baton's notices in English, as `Notices.standard` gives them (endpoints use their own `Notices`).
public enum HandoverNotices {
    public static var resolved: String { english(.resolved) }
    public static var reopened: String { english(.reopened) }
    public static var cancelled: String { english(.cancelled) }
    public static var failed: String { english(.failed) }
    public static var reminder: String { english(.reminder) }
    public static var inactiveUser: String { english(.inactiveUser) }
    public static var inactiveAgent: String { english(.inactiveAgent) }

    /// Told when an agent takes the conversation.
    public static func joined(_ agentName: String?) -> String { Notices.standard.for(profile: .null).joined(agentName) }

    /// Told when a message could not be delivered to the agent however often it was tried.
    public static func undelivered(_ text: String) -> String { Notices.standard.for(profile: .null).undelivered(text) }

    /// `input.handover.detail` of a handover the desk started on its own.
    public static let openedInDesk = "the conversation was opened in the desk without a handover node (an agent, or the desk after the bot's webhook failed)"

    /// Any notice in English.
    public static func english(_ key: NoticeKey) -> String { Notices.standard.text(key, language: nil) }
}
