import BatonCore
import Foundation

/// What Baton knows of a Chatwoot inbox's channel type (`Channel::Whatsapp`…): the name flows see as
/// `session.channel`, and how the channel shows options, which decides whether quick replies go out as Chatwoot's
/// `input_select` or as numbered text (`app/services/*/send_on_*_service.rb`, `app/services/whatsapp/providers/*`).
struct InboxChannelKind: Sendable, Hashable {
    let channelType: String

    /// `whatsapp`, `website`, `facebook`, `instagram`, `telegram`, `email`, `sms`, `twilio`, `line`, `tiktok`,
    /// `twitter`, `api`; other types by their lower-cased class name.
    var name: String {
        let bare = channelType.hasPrefix("Channel::") ? String(channelType.dropFirst("Channel::".count)) : channelType
        switch bare {
        case "WebWidget": return "website"
        case "FacebookPage": return "facebook"
        case "TwilioSms": return "twilio"
        case "TwitterProfile": return "twitter"
        default: return bare.lowercased()
        }
    }

    /// How a set of options can be shown on this channel.
    enum OptionStyle: Equatable {
        /// As `input_select` buttons; the answer comes back as the option's title, its value, or (widget) a
        /// `submitted_values` update.
        case buttons
        /// As text the contact answers by typing a number or the option.
        case numberedText
    }

    /// `input_select` where the channel renders it within its platform's limits (which Chatwoot does not check, so
    /// a longer list would fail at the platform); numbered text everywhere else, so no option is ever dropped.
    func optionStyle(for replies: [QuickReply], text: String, hasAttachments: Bool) -> OptionStyle {
        let titles = replies.map(\.title.count)
        switch name {
        case "website":
            return .buttons
        case "whatsapp":
            // Reply buttons (≤ 3, titles ≤ 20) or a list (≤ 10 rows, titles ≤ 24); both need a body text, and a
            // message with attachments loses its items.
            guard !text.isEmpty, !hasAttachments else { return .numberedText }
            if replies.count <= 3, titles.allSatisfy({ $0 <= 20 }) { return .buttons }
            return replies.count <= 10 && titles.allSatisfy { $0 <= 24 } ? .buttons : .numberedText
        case "facebook":
            // Messenger quick replies: at most 13, titles up to 20 characters.
            return replies.count <= 13 && titles.allSatisfy { $0 <= 20 } ? .buttons : .numberedText
        case "telegram":
            // Inline keyboard: the value travels as callback_data, at most 64 bytes.
            return replies.allSatisfy { $0.payload.utf8.count <= 64 } ? .buttons : .numberedText
        case "line":
            return replies.count <= 13 ? .buttons : .numberedText
        default:
            return .numberedText
        }
    }

    /// A reply as the messages this channel can take (`app/services/*/send_on_*_service.rb`): Chatwoot's WhatsApp
    /// services send only a message's first attachment, so each file goes on its own (the first with the text as
    /// its caption); TikTok refuses text and an image in one message, so the text goes first, then each file.
    func split(_ reply: NewReply) -> [NewReply] {
        switch name {
        case "whatsapp" where reply.files.count > 1:
            return reply.files.enumerated().map { index, file in NewReply(content: index == 0 ? reply.content : "", files: [file]) }
        case "tiktok" where !reply.files.isEmpty && !reply.content.isEmpty:
            var text = reply
            text.files = []
            return [text] + reply.files.map { NewReply(content: "", files: [$0]) }
        default:
            return [reply]
        }
    }

    /// The options under the text, one per line, for channels that show no buttons.
    static func numbered(_ text: String, _ replies: [QuickReply]) -> String {
        let lines = replies.enumerated().map { "\($0.offset + 1). \($0.element.title)" }
        return ([text].filter { !$0.isEmpty } + [lines.joined(separator: "\n")]).joined(separator: "\n\n")
    }

    /// The option a contact's answer names: its number (as numbered text shows them), its title (WhatsApp and
    /// Messenger send the tapped title) or its value (Telegram and Line send the value), ignoring case and spaces.
    static func chosen(_ answer: String, among replies: [QuickReply]) -> QuickReply? {
        let typed = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !typed.isEmpty else { return nil }
        if let number = Int(typed.trimmingCharacters(in: CharacterSet(charactersIn: ".)"))), replies.indices.contains(number - 1) {
            return replies[number - 1]
        }
        let folded = typed.lowercased()
        return replies.first { $0.title.lowercased() == folded } ?? replies.first { $0.payload.lowercased() == folded }
    }
}
