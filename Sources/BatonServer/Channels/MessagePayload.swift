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
    /// Set on the desk's satisfaction survey: answer it with a rating (webchat `survey` frame, REST `POST …/survey`).
    public var survey: Survey?
    /// Set on the user's answer to a survey.
    public var surveyAnswer: SurveyAnswer?
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
        if !message.retracted, let cards = message.content.cards?.map(Self.webOnly).filter({ !$0.isEmpty }), !cards.isEmpty { self.cards = cards }
        // What the page needs to show a survey; the desk's survey link stays on the server.
        let data = message.content.data
        if message.sender == .system, case .string(let type)? = data?["survey"]?["displayType"] { survey = Survey(displayType: type) }
        if message.sender == .user, case .number(let id)? = data?["surveyAnswer"]?["messageId"], case .number(let rating)? = data?["surveyAnswer"]?["rating"] {
            surveyAnswer = SurveyAnswer(messageId: Int64(id), rating: Int(rating))
        }
    }

    /// The payload as JSON, the same members `Codable` gives (absent optionals left out), for socket frames.
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "id": .number(Double(id)), "sender": .string(sender.rawValue), "text": .string(text), "createdAt": .string(createdAt),
            "quickReplies": .array(quickReplies.map { ["title": .string($0.title), "payload": .string($0.payload)] }),
            "attachments": .array(attachments.map(Self.json(of:))),
        ]
        if let clientMessageId { members["clientMessageId"] = .string(clientMessageId) }
        if let agentName { members["agentName"] = .string(agentName) }
        if let retracted { members["retracted"] = .bool(retracted) }
        if let movedTo { members["movedTo"] = .number(Double(movedTo)) }
        if let survey { members["survey"] = ["displayType": .string(survey.displayType)] }
        if let surveyAnswer { members["surveyAnswer"] = ["messageId": .number(Double(surveyAnswer.messageId)), "rating": .number(Double(surveyAnswer.rating))] }
        if let cards { members["cards"] = .array(cards.map(Self.json(of:))) }
        return .object(members)
    }

    /// The card with what may leave the server: an http(s) image, buttons that link to http(s) or send a reply.
    static func webOnly(_ card: Card) -> Card {
        var card = card
        if let image = card.imageURL, !Attachment.isWebURL(image) { card.imageURL = nil }
        card.buttons = card.buttons.filter { button in button.url.map(Attachment.isWebURL) ?? (button.payload != nil) }
        return card
    }

    static func json(of card: Card) -> JSONValue {
        var members: [String: JSONValue] = [:]
        if let title = card.title, !title.isEmpty { members["title"] = .string(title) }
        if let subtitle = card.subtitle, !subtitle.isEmpty { members["subtitle"] = .string(subtitle) }
        if let image = card.imageURL { members["imageUrl"] = .string(image) }
        members["buttons"] = .array(
            card.buttons.map { button in
                var fields: [String: JSONValue] = ["title": .string(button.title)]
                if let url = button.url { fields["url"] = .string(url) } else if let payload = button.payload { fields["payload"] = .string(payload) }
                return .object(fields)
            })
        return .object(members)
    }

    static func json(of attachment: Attachment) -> JSONValue {
        var members: [String: JSONValue] = ["kind": .string(attachment.kind.rawValue), "url": .string(attachment.url)]
        if let name = attachment.name { members["name"] = .string(name) }
        if let mimeType = attachment.mimeType { members["mimeType"] = .string(mimeType) }
        if let fileID = attachment.fileID { members["fileID"] = .string(fileID) }
        if let size = attachment.size { members["size"] = .number(Double(size)) }
        return .object(members)
    }

    /// How the API and the sockets write a time (``RFC3339/string(_:)``).
    static func timestamp(_ date: Date) -> String {
        RFC3339.string(date)
    }
}
