import BatonConfig
import BatonCore

/// A frame the browser sends (docs/webchat-protocol.md).
enum ClientFrame: Decodable {
    /// `handoverUpdates`: the client wants `handover` frames (older clients do not expect them).
    /// `user`: who the embedding page says the user is (`Baton.setUser`).
    case hello(session: String?, after: Int64, handoverUpdates: Bool, user: WebchatUser?, language: String?)
    case message(text: String, clientMessageID: String?, payload: String?, data: JSONValue?)
    case typing(on: Bool)
    /// The page showed the messages up to `id` while in view: the user saw them.
    case seen(id: Int64)
    /// The user's answer to a satisfaction survey message.
    case survey(messageID: Int64, rating: Int, feedback: String?, clientMessageID: String?)
    /// A liveness check: the server answers `pong`, so the browser can tell a dead connection from a quiet one.
    case ping
    /// The user deletes the conversation (when the endpoint lets them: `webchat.userCanDelete`).
    case delete

    enum CodingKeys: String, CodingKey {
        case type, session, after, text, clientMessageId, payload, data, on, handoverUpdates, user, language, messageId, rating, feedback, id
    }

    /// The browser's language (`navigator.language`) when it looks like a language tag, lower-cased; anything else
    /// is ignored (it only picks the words of Baton's notices).
    static func languageTag(_ text: String?) -> String? {
        guard let text, text.count <= 35, Notices.isLanguageTag(text) else { return nil }
        return Notices.normalized(text)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "hello":
            self = .hello(
                session: try container.decodeIfPresent(String.self, forKey: .session),
                after: try container.decodeIfPresent(Int64.self, forKey: .after) ?? 0,
                handoverUpdates: try container.decodeIfPresent(Bool.self, forKey: .handoverUpdates) ?? false,
                user: try? container.decodeIfPresent(WebchatUser.self, forKey: .user),
                language: (try? container.decodeIfPresent(String.self, forKey: .language)).flatMap(Self.languageTag))
        case "message":
            self = .message(
                text: try container.decode(String.self, forKey: .text),
                clientMessageID: try container.decodeIfPresent(String.self, forKey: .clientMessageId),
                payload: try container.decodeIfPresent(String.self, forKey: .payload),
                data: try container.decodeIfPresent(JSONValue.self, forKey: .data))
        case "survey":
            self = .survey(
                messageID: try container.decode(Int64.self, forKey: .messageId), rating: try container.decode(Int.self, forKey: .rating),
                feedback: try container.decodeIfPresent(String.self, forKey: .feedback),
                clientMessageID: try container.decodeIfPresent(String.self, forKey: .clientMessageId))
        case "typing":
            self = .typing(on: try container.decode(Bool.self, forKey: .on))
        case "seen":
            self = .seen(id: try container.decode(Int64.self, forKey: .id))
        case "ping":
            self = .ping
        case "delete":
            self = .delete
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown frame type '\(type)'")
        }
    }
}

/// A frame the server sends.
enum ServerFrame {
    /// `language`: the endpoint's default (its notices' when a user's language is not among them), which the page's own
    /// words fall back to.
    case ready(session: SessionID, resumed: Bool, lastID: Int64, endpointName: String, language: String, webchat: WebchatSettings)
    case message(MessagePayload)
    case ack(clientMessageID: String, id: Int64)
    /// A message withdrawn: deleted by its author, or (with `movedTo`) stored again further down to keep the agents' order.
    case retract(id: Int64, movedTo: Int64? = nil)
    case typing(sender: Sender, on: Bool)
    /// A bot's answer as written so far (`nil`: withdrawn); the bot's next message replaces it.
    case draft(text: String?)
    case error(code: String, message: String)
    case pong
    /// The conversation the user asked to delete is gone; the page starts a new one.
    case deleted
    /// Where the session's latest handover stands (`nil`: there has been none), sent after `ready` and on change
    /// to clients that asked for it in `hello`.
    case handover(HandoverPhase)

    /// The frame's text. A message's is written straight (``MessagePayload/writeMembers(to:)``), the others built as JSON
    /// first: by hand, not with `JSONEncoder`, which cost more than the rest of the push.
    var text: String {
        guard case .message(let message) = self else { return json.jsonText }
        var writer = JSONTextWriter()
        writer.object { frame in
            frame.member("message", object: message) { $1.writeMembers(to: &$0) }
            frame.member("type", "message")
        }
        return writer.text
    }

    /// Every frame but a message (written straight by ``text``) as JSON.
    private var json: JSONValue {
        switch self {
        case .ready(let session, let resumed, let lastID, let endpointName, let language, let webchat):
            [
                "type": "ready", "session": .string(session.rawValue), "resumed": .bool(resumed), "lastId": .number(Double(lastID)),
                "endpoint": webchat.branding.endpointJSON(name: endpointName, language: language, subtitle: webchat.subtitle, texts: webchat.texts),
                "canDelete": .bool(webchat.userCanDelete),
            ]
        case .message:
            preconditionFailure("a message frame is written by `text`")
        case .ack(let clientMessageID, let id):
            ["type": "ack", "clientMessageId": .string(clientMessageID), "id": .number(Double(id))]
        case .retract(let id, let movedTo):
            if let movedTo {
                ["type": "retract", "id": .number(Double(id)), "movedTo": .number(Double(movedTo))]
            } else {
                ["type": "retract", "id": .number(Double(id))]
            }
        case .typing(let sender, let on):
            ["type": "typing", "sender": .string(sender.rawValue), "on": .bool(on)]
        case .draft(let text):
            if let text { ["type": "draft", "text": .string(text)] } else { ["type": "draft", "withdrawn": .bool(true)] }
        case .error(let code, let message):
            ["type": "error", "code": .string(code), "message": .string(message)]
        case .pong:
            ["type": "pong"]
        case .deleted:
            ["type": "deleted"]
        case .handover(let phase):
            Self.handover(phase)
        }
    }

    /// The frame of `handover`'s standing (``HandoverPhase/standingJSON``).
    static func handover(_ handover: HandoverPhase) -> JSONValue {
        guard case .object(var frame) = handover.standingJSON else { preconditionFailure("a standing is an object") }
        frame["type"] = "handover"
        return .object(frame)
    }

}

import Foundation

extension WebchatBranding {
    /// `ready`'s `endpoint`: its name and subtitle with the set values of its branding.
    func endpointJSON(name: String, language: String, subtitle: String?, texts: [String: [String: String]]) -> JSONValue {
        var members = json
        members["name"] = .string(name)
        members["language"] = .string(language)
        if !texts.isEmpty { members["texts"] = .object(texts.mapValues { .object($0.mapValues(JSONValue.string)) }) }
        if let subtitle { members["subtitle"] = .string(subtitle) }
        return .object(members)
    }

    /// The set values, for the page (`ready`) and the widget (`widget.js`).
    var json: [String: JSONValue] {
        var members: [String: JSONValue] = [:]
        for (key, value) in [("title", title), ("color", color), ("textColor", textColor), ("logo", logo), ("botAvatar", botAvatar), ("position", position)] {
            if let value { members[key] = .string(value) }
        }
        return members
    }
}


extension EndpointRegistry {
    /// Each webchat endpoint's branding, by URL token, with its title (the endpoint's name when the config gives
    /// none) and its default language: what `widget.js` shows before the chat is opened.
    var webchatBrands: JSONValue {
        var brands: [String: JSONValue] = [:]
        for endpoint in endpoints where endpoint.configuration.webchat.enabled {
            var members = endpoint.webchat.branding.json
            members["title"] = members["title"] ?? .string(endpoint.configuration.name)
            members["language"] = .string(endpoint.policy.notices.defaultLanguage)
            brands[endpoint.configuration.urlToken] = .object(members)
        }
        return .object(brands)
    }
}
