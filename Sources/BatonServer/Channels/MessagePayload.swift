public import BatonCore
import Foundation

/// A message as the webchat and the REST channel show it (docs/webchat-protocol.md, docs/rest-api.md).
public struct MessagePayload: Codable, Sendable, Hashable {
    public var id: Int64
    public var sender: Sender
    public var text: String
    public var quickReplies: [QuickReply]
    public var attachments: [Attachment]
    public var createdAt: String
    public var clientMessageId: String?
    public var agentName: String?
    public var retracted: Bool?
    /// Set on a message stored again further down (as this id) to keep the agents' order; clients drop it.
    public var movedTo: Int64?
    /// Set on that copy: the id the message had before it was moved (retracted since, with `movedTo`).
    public var movedFrom: Int64?
    /// Set on the desk's satisfaction survey: answer it with a rating (webchat `survey` frame, REST `POST …/survey`).
    public var survey: Survey?
    /// Set on the user's answer to a survey.
    public var surveyAnswer: SurveyAnswer?
    /// Set on Baton's notice that the agents never got one of the user's messages: that message's id.
    public var undelivered: Int64?
    /// Cards under the text (a carousel when several), with only http(s) images and links.
    public var cards: [Card]?

    public struct Survey: Codable, Sendable, Hashable {
        /// `emoji` or `star`: how Chatwoot's own widget shows the ratings.
        public var displayType: String
    }

    public struct SurveyAnswer: Codable, Sendable, Hashable {
        public var messageId: Int64
        public var rating: Int
    }

    public init(_ message: Message) {
        id = message.id
        sender = message.sender
        text = message.retracted ? "" : message.content.text
        quickReplies = message.retracted ? [] : message.content.quickReplies
        // Only http(s) media ever leave the server, whatever a flow or an agent put in.
        attachments = message.retracted ? [] : message.content.attachments.filter(\.hasWebURL)
        createdAt = Self.timestamp(message.createdAt)
        clientMessageId = message.clientMessageID
        agentName = message.agentName
        retracted = message.retracted ? true : nil
        movedTo = message.movedTo
        movedFrom = message.movedFrom
        if !message.retracted, let cards = message.content.cards?.map(Self.webOnly).filter({ !$0.isEmpty }), !cards.isEmpty { self.cards = cards }
        // What the page needs to show a survey; the desk's survey link stays on the server.
        let data = message.content.data
        if message.sender == .system, case .string(let type)? = data?["survey"]?["displayType"] { survey = Survey(displayType: type) }
        if message.sender == .user, case .number(let id)? = data?["surveyAnswer"]?["messageId"], case .number(let rating)? = data?["surveyAnswer"]?["rating"] {
            surveyAnswer = SurveyAnswer(messageId: Int64(id), rating: Int(rating))
        }
        if message.sender == .system, case .number(let id)? = data?["undelivered"] { undelivered = Int64(id) }
    }

    /// The payload's members as JSON, the same `Codable` gives (absent optionals left out), for socket frames.
    /// Written straight: a frame goes to a socket for every message, and building the payload as `JSONValue`
    /// dictionaries first, then sorting and writing them, cost more than the rest of the frame.
    func writeMembers(to fields: inout JSONTextWriter) {
        fields.member("agentName", agentName)
        fields.member("attachments", array: attachments) { $0.value($1) }
        fields.member("cards", array: cards) { $0.value($1) }
        fields.member("clientMessageId", clientMessageId)
        fields.member("createdAt", createdAt)
        fields.member("id", id)
        fields.member("movedFrom", movedFrom)
        fields.member("movedTo", movedTo)
        fields.member("quickReplies", array: quickReplies) { $0.value($1) }
        fields.member("retracted", retracted)
        fields.member("sender", sender.rawValue)
        fields.member("survey", object: survey) { $0.member("displayType", $1.displayType) }
        fields.member("surveyAnswer", object: surveyAnswer) { fields, answer in
            fields.member("messageId", answer.messageId)
            fields.member("rating", answer.rating)
        }
        fields.member("text", text)
        fields.member("undelivered", undelivered)
    }

    /// The card with what may leave the server: an http(s) image, buttons that link to http(s) or send a reply.
    static func webOnly(_ card: Card) -> Card {
        var card = card
        if let image = card.imageURL, !Attachment.isWebURL(image) { card.imageURL = nil }
        card.buttons = card.buttons.filter { button in button.url.map(Attachment.isWebURL) ?? (button.payload != nil) }
        return card
    }

    /// How the API and the sockets write a time (``RFC3339/string(_:)``).
    static func timestamp(_ date: Date) -> String {
        RFC3339.string(date)
    }
}

extension HandoverPhase {
    /// Where the handover stands, as channels show it (the webchat's `handover` frame, a REST page's `handover`):
    /// `phase` (`null` before the first handover), `number`, `agentJoined`, and `agentName` and `agentAvatar` only
    /// when an agent joined and users may see agents' names; the avatar only when it is an http(s) URL.
    var standingJSON: JSONValue {
        var members: [String: JSONValue] = [
            "phase": phase.map { .string($0.rawValue) } ?? .null, "number": .number(Double(number)), "agentJoined": .bool(agentJoined),
        ]
        if let agentName { members["agentName"] = .string(agentName) }
        if let agentAvatar, Attachment.isWebURL(agentAvatar) { members["agentAvatar"] = .string(agentAvatar) }
        return .object(members)
    }
}
