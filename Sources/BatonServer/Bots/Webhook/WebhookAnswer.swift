import BatonCore

/// A webhook bot's answer read as the turn's outcome. Two shapes:
/// - Rasa's REST channel: an array of `{recipient_id, text, image, buttons, attachment, custom}`; a `custom` with
///   `handover` (or Rasa's helpdesk-example `handoff_host`), `end`, `exit` or `set` is an action, not a message.
/// - Baton's: `{"messages": [<the same elements>], "handover": {reason, summary, inbox, team, assignee, priority,
///   labels, attributes}, "end": {reason} | true, "exit": "<name>", "set": {"<dotted.path>": value},
///   "note": "<for the agents>" | [..]}`.
/// An empty answer (`[]`) is the bot keeping silent, which the node takes as the error `empty` unless its
/// `silenceIsFine`.
enum WebhookAnswer {
    /// How deep a `set` path may go, and how much it may store: context is the flow's, not the bot's database.
    static let maxSetDepth = 8
    static let maxSetBytes = 64 << 10

    static func answer(_ json: JSONValue, request: BotTurnRequest) -> BotCall {
        var answer = BotAnswer(nodeID: request.nodeID, visit: request.visit, turn: request.turn)
        let elements: [JSONValue]
        switch json {
        case .array(let items):
            elements = items
        case .object(let members):
            if let messages = members["messages"] {
                guard case .array(let items) = messages else { return .failed(.malformed, detail: "'messages' is not an array") }
                elements = items
            } else {
                elements = []
            }
            if let problem = takeActions(members, into: &answer) { return .failed(.malformed, detail: problem) }
        default:
            return .failed(.malformed, detail: "the answer is neither an array of messages nor an object")
        }
        for element in elements {
            guard case .object(let members) = element else { return .failed(.malformed, detail: "a message is not an object: \(BotHTTP.clipped(element.jsonText))") }
            if case .object(let custom)? = members["custom"], let problem = takeActions(custom, into: &answer) {
                return .failed(.malformed, detail: problem)
            }
            let content = message(members)
            if !content.isEmpty { answer.messages.append(content) }
        }
        return .answered(answer)
    }

    /// A Rasa element's text, buttons, image and attachment as a message (`custom` is read as actions). Buttons with
    /// an http(s) `url` are links under the text; Facebook's generic template (`attachment.payload.template_type:
    /// generic`, as Rasa passes it on) and Baton's `cards` are cards.
    static func message(_ members: [String: JSONValue]) -> MessageContent {
        var content = MessageContent(text: members["text"]?.stringValue ?? "")
        var cards: [Card] = []
        if case .array(let buttons)? = members["buttons"] {
            var links: [CardButton] = []
            for button in buttons {
                guard let title = button["title"]?.stringValue, !title.isEmpty else { continue }
                if button["url"] != nil {
                    // A link, kept only when it is http(s): a bot's link never becomes a reply.
                    if let link = cardButton(button) { links.append(link) }
                } else {
                    content.quickReplies.append(QuickReply(title: title, payload: button["payload"]?.stringValue))
                }
            }
            if !links.isEmpty { cards.append(Card(buttons: Array(links.prefix(Card.maxButtons)))) }
        }
        if let image = members["image"]?.stringValue, Attachment.isWebURL(image) {
            content.attachments.append(Attachment(kind: .image, url: image))
        }
        if let attachment = members["attachment"] {
            if attachment["payload"]?["template_type"]?.stringValue == "generic", case .array(let elements)? = attachment["payload"]?["elements"] {
                cards += elements.compactMap(card)
            } else if let file = Self.attachment(attachment) {
                content.attachments.append(file)
            }
        }
        if case .array(let given)? = members["cards"] { cards += given.compactMap(card) }
        if !cards.isEmpty { content.cards = Array(cards.prefix(Card.maxPerMessage)) }
        return content
    }

    /// A card in Baton's shape (`title`, `subtitle`, `imageUrl`, `buttons`) or Facebook's (`image_url`); a non-http(s)
    /// image is left out, and a card with nothing left is dropped.
    static func card(_ value: JSONValue) -> Card? {
        let image = (value["imageUrl"] ?? value["image_url"] ?? value["image"])?.stringValue.flatMap { Attachment.isWebURL($0) ? $0 : nil }
        var card = Card(title: value["title"]?.stringValue, subtitle: value["subtitle"]?.stringValue, imageURL: image)
        if case .array(let buttons)? = value["buttons"] { card.buttons = Array(buttons.compactMap(cardButton).prefix(Card.maxButtons)) }
        return card.isEmpty ? nil : card
    }

    /// A link (`url`, Facebook's `web_url`) when its URL is http(s), else a reply (`payload`, Facebook's `postback`).
    static func cardButton(_ value: JSONValue) -> CardButton? {
        guard let title = value["title"]?.stringValue, !title.isEmpty else { return nil }
        if let url = value["url"]?.stringValue {
            return Attachment.isWebURL(url) ? .link(title, url: url) : nil
        }
        return .reply(title, payload: value["payload"]?.stringValue)
    }

    /// Rasa passes `attachment` on as the bot gave it: a URL, or an object naming one (`url`, `src`, or Facebook's
    /// `{type, payload: {url | src}}`). Only http(s) URLs are kept.
    static func attachment(_ value: JSONValue) -> Attachment? {
        let url = value.stringValue ?? value["url"]?.stringValue ?? value["src"]?.stringValue ?? value["payload"]?["url"]?.stringValue
            ?? value["payload"]?["src"]?.stringValue
        guard let url, Attachment.isWebURL(url) else { return nil }
        let kind = value["type"]?.stringValue.flatMap(AttachmentKind.init(rawValue:)) ?? .file
        return Attachment(kind: kind, url: url, name: value["name"]?.stringValue)
    }

    /// Reads `handover`, `handoff_host`, `end`, `exit`, `set` and `note`; returns a problem when they are malformed.
    static func takeActions(_ members: [String: JSONValue], into answer: inout BotAnswer) -> String? {
        switch members["note"] {
        case .string(let note)?: answer.notes.append(note)
        case .array(let notes)?:
            for note in notes {
                guard let text = note.stringValue else { return "'note' is not a text or a list of texts" }
                answer.notes.append(text)
            }
        case nil, .null?: break
        default: return "'note' is not a text or a list of texts"
        }
        if case .object(let values)? = members["set"] {
            for (path, value) in values {
                // A path with an empty part (`""`, `a..b`) would replace a whole branch of the context, or all of it.
                let parts = path.split(separator: ".", omittingEmptySubsequences: false)
                guard !parts.isEmpty, parts.count <= maxSetDepth, parts.allSatisfy({ !$0.isEmpty }) else { return "'set' has a bad path '\(BotHTTP.clipped(path))'" }
                answer.set[path] = value
            }
            if JSONValue.object(answer.set).jsonText.utf8.count > maxSetBytes {
                return "'set' is larger than \(maxSetBytes) bytes"
            }
        } else if let set = members["set"], set != .null {
            return "'set' is not an object of values"
        }
        if let handover = members["handover"], handover != .null, handover != .bool(false) {
            var routing = handover
            var reason: String?
            var summary: String?
            if case .object(var fields) = handover {
                reason = fields.removeValue(forKey: "reason")?.stringValue
                summary = fields.removeValue(forKey: "summary")?.stringValue
                routing = .object(fields)
            } else if handover != .bool(true) {
                return "'handover' is not an object (or true)"
            }
            answer.ending = .handover(BotHandover(reason: reason, summary: summary, routing: routing == .object([:]) || routing == .bool(true) ? nil : routing, arguments: handover))
        } else if let host = members["handoff_host"]?.stringValue {
            // Rasa's helpdesk-assistant: `{"handoff_host": url, "title": name}`.
            let title = members["title"]?.stringValue
            answer.ending = .handover(BotHandover(reason: title.map { "handoff to \($0)" } ?? "handoff", routing: ["handoffHost": .string(host)], arguments: .object(members)))
        } else if let end = members["end"], end != .null, end != .bool(false), answer.ending == nil {
            answer.ending = .end(reason: end["reason"]?.stringValue)
        } else if let exit = members["exit"], exit != .null, answer.ending == nil {
            guard let name = exit.stringValue, !name.isEmpty else { return "'exit' is not a name" }
            // The outcomes Baton gives meaning to are asked for by their own actions.
            guard !["handover", "end", "error"].contains(name) else { return "'exit' may not be named '\(name)': use the '\(name == "error" ? "end" : name)' action" }
            answer.ending = .exit(name)
        }
        return nil
    }
}
