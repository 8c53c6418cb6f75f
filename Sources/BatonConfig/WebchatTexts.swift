/// The webchat's own words that an endpoint may set (`channels.webchat.texts: { <language>: { <key>: text } }`): its
/// buttons, labels, status lines and errors, as the page ships them in English, German, Spanish, French and
/// Portuguese (`Sources/BatonServer/Resources/webchat/webchat-texts.js`; a test keeps the two lists alike). A text set
/// for a language the page does not ship makes the page speak it.
public enum WebchatTexts {
    /// Every key, with the placeholders (`{name}`) its text may use.
    public static let placeholders: [String: Set<String>] = [
        "title": [], "connecting": [], "online": [], "reconnecting": [], "waiting": [], "withAgent": [], "agent": [],
        "conversation": [], "message": [], "placeholder": [], "send": [], "attach": [], "close": [], "typing": [],
        "agentTyping": [], "jump": [], "sending": [], "notSent": [], "notDelivered": [], "sendAgain": [],
        "messageDeleted": [], "suggested": [], "download": [], "attachment": [], "unavailable": ["name"],
        "cards": ["count"], "cardOf": ["count", "index"], "delete": [], "deleteLater": [], "confirmTitle": [],
        "confirmText": [], "cancel": [], "confirmDelete": [], "deleted": [], "agentHasIt": [], "cannotDelete": [],
        "sessionGone": [], "tooLong": ["max"], "rateLimited": [], "notSendable": [], "internal": [], "failed": [],
        "notConnected": [], "fileTooLarge": ["name"], "fileFailed": ["name"], "fileRefused": ["name", "reason"],
        "fileOffline": ["name"], "surveyQuestion": [], "surveyRating": ["label", "value"], "rating1": [],
        "rating2": [], "rating3": [], "rating4": [], "rating5": [], "surveyMore": [], "surveySend": [],
        "surveyThanks": [], "surveyRated": ["rating"], "tooManyConversations": [],
    ]

}
