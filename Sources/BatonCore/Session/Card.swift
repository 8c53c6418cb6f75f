/// A card under a message: an image, a title, a line under it and buttons. Several in one message are a carousel;
/// a card with buttons alone is a row of buttons (links the bot offers under its text). Channels that cannot show
/// cards get them as text (`MessageContent.textWithCards`).
public struct Card: Codable, Sendable, Hashable {
    public var title: String?
    public var subtitle: String?
    /// An http(s) image.
    public var imageURL: String?
    public var buttons: [CardButton]

    /// `imageUrl` in storage and in the APIs, as the other members are spelt there.
    private enum CodingKeys: String, CodingKey { case title, subtitle, imageURL = "imageUrl", buttons }

    public init(title: String? = nil, subtitle: String? = nil, imageURL: String? = nil, buttons: [CardButton] = []) {
        self.title = title
        self.subtitle = subtitle
        self.imageURL = imageURL
        self.buttons = buttons
    }

    /// The most cards one message shows, and buttons one card has: more is a bot gone wrong, not a carousel.
    public static let maxPerMessage = 10
    public static let maxButtons = 5

    /// Nothing to show.
    public var isEmpty: Bool { (title ?? "").isEmpty && (subtitle ?? "").isEmpty && imageURL == nil && buttons.isEmpty }
}

/// A card's button: a link that opens (`url`, http(s) only), or a reply that the user sends (`title` as the text,
/// `payload` as what the bot reads).
public struct CardButton: Codable, Sendable, Hashable {
    public var title: String
    public var url: String?
    public var payload: String?

    /// A link button.
    public static func link(_ title: String, url: String) -> CardButton { CardButton(title: title, url: url, payload: nil) }
    /// A reply button; its payload is its title when none is given.
    public static func reply(_ title: String, payload: String? = nil) -> CardButton { CardButton(title: title, url: nil, payload: payload ?? title) }

    init(title: String, url: String?, payload: String?) {
        self.title = title
        self.url = url
        self.payload = payload
    }
}

extension MessageContent {
    /// The message as plain text for a channel (or a desk) that cannot show cards: the text, then each card's title,
    /// line and buttons, an http(s) link's URL beside its title.
    public var textWithCards: String {
        guard let cards, !cards.isEmpty else { return text }
        var parts = text.isEmpty ? [] : [text]
        for card in cards {
            var lines: [String] = []
            if let title = card.title, !title.isEmpty { lines.append(title) }
            if let subtitle = card.subtitle, !subtitle.isEmpty { lines.append(subtitle) }
            for button in card.buttons {
                // A link that is not http(s) is left out, as everywhere a message is shown.
                if let url = button.url {
                    if Attachment.isWebURL(url) { lines.append("\(button.title): \(url)") }
                } else {
                    lines.append("• \(button.title)")
                }
            }
            if !lines.isEmpty { parts.append(lines.joined(separator: "\n")) }
        }
        return parts.joined(separator: "\n\n")
    }
}
