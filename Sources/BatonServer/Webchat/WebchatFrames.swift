import BatonCore

/// A frame the browser sends (docs/webchat-protocol.md).
enum ClientFrame: Decodable {
    /// `handoverUpdates`: the client wants `handover` frames (older clients do not expect them).
    /// `user`: who the embedding page says the user is (`Baton.setUser`).
    case hello(session: String?, after: Int64, handoverUpdates: Bool, user: WebchatUser?)
    case message(text: String, clientMessageID: String?, payload: String?, data: JSONValue?)
    case typing(on: Bool)
    /// A liveness check: the server answers `pong`, so the browser can tell a dead connection from a quiet one.
    case ping

    enum CodingKeys: String, CodingKey {
        case type, session, after, text, clientMessageId, payload, data, on, handoverUpdates, user
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
                user: try? container.decodeIfPresent(WebchatUser.self, forKey: .user))
        case "message":
            self = .message(
                text: try container.decode(String.self, forKey: .text),
                clientMessageID: try container.decodeIfPresent(String.self, forKey: .clientMessageId),
                payload: try container.decodeIfPresent(String.self, forKey: .payload),
                data: try container.decodeIfPresent(JSONValue.self, forKey: .data))
        case "typing":
            self = .typing(on: try container.decode(Bool.self, forKey: .on))
        case "ping":
            self = .ping
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown frame type '\(type)'")
        }
    }
}

/// A frame the server sends.
enum ServerFrame: Encodable {
    case ready(session: SessionID, resumed: Bool, lastID: Int64, endpointName: String)
    case message(MessagePayload)
    case ack(clientMessageID: String, id: Int64)
    /// A message withdrawn: deleted by its author, or (with `movedTo`) stored again further down to keep the agents' order.
    case retract(id: Int64, movedTo: Int64? = nil)
    case typing(sender: Sender, on: Bool)
    case error(code: String, message: String)
    case pong
    /// Where the session's latest handover stands (`nil`: there has been none), sent after `ready` and on change
    /// to clients that asked for it in `hello`.
    case handover(phase: HandoverState.Phase?, number: Int)

    enum CodingKeys: String, CodingKey {
        case type, session, resumed, lastId, endpoint, message, clientMessageId, id, sender, on, code, movedTo, phase, number
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .ready(let session, let resumed, let lastID, let endpointName):
            try container.encode("ready", forKey: .type)
            try container.encode(session, forKey: .session)
            try container.encode(resumed, forKey: .resumed)
            try container.encode(lastID, forKey: .lastId)
            try container.encode(["name": endpointName], forKey: .endpoint)
        case .message(let message):
            try container.encode("message", forKey: .type)
            try container.encode(message, forKey: .message)
        case .ack(let clientMessageID, let id):
            try container.encode("ack", forKey: .type)
            try container.encode(clientMessageID, forKey: .clientMessageId)
            try container.encode(id, forKey: .id)
        case .retract(let id, let movedTo):
            try container.encode("retract", forKey: .type)
            try container.encode(id, forKey: .id)
            try container.encodeIfPresent(movedTo, forKey: .movedTo)
        case .typing(let sender, let on):
            try container.encode("typing", forKey: .type)
            try container.encode(sender, forKey: .sender)
            try container.encode(on, forKey: .on)
        case .error(let code, let message):
            try container.encode("error", forKey: .type)
            try container.encode(code, forKey: .code)
            try container.encode(message, forKey: .message)
        case .pong:
            try container.encode("pong", forKey: .type)
        case .handover(let phase, let number):
            try container.encode("handover", forKey: .type)
            try container.encode(phase?.rawValue, forKey: .phase)
            try container.encode(number, forKey: .number)
        }
    }

    var text: String {
        // Encoding these enums cannot fail: every field is a plain string, number or bool.
        let data = (try? JSONEncoder.baton.encode(self)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

import Foundation
