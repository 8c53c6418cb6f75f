public import BatonCore
public import Foundation

/// One webhook Chatwoot sent to an API inbox's `webhook_url` (`app/listeners/webhook_listener.rb`), decoded.
///
/// Decode with ``decode(_:)`` (or any `Decoder`); classify with ``WebhookClassifier``. Every event an API inbox
/// receives has its own case; anything else keeps its name in ``unknown(_:)`` so it can be logged and ignored.
public enum ChatwootWebhook: Sendable, Hashable {
    /// A message was created: agent replies, private notes, our own posts echoed back, templates (§4.2).
    case messageCreated(MessageEvent)
    /// A message changed: deleted, read/delivered/failed, retried, transcribed (§4.2).
    case messageUpdated(MessageEvent)
    /// A conversation was created in the inbox (including the ones Baton creates).
    case conversationCreated(ConversationEvent)
    /// A conversation's status changed; `changed_attributes` is usually `null` here, so read `status`.
    case conversationStatusChanged(ConversationEvent)
    /// A conversation's assignee, status, attributes… changed.
    case conversationUpdated(ConversationEvent)
    /// Someone started typing in a conversation.
    case typingOn(TypingEvent)
    /// Someone stopped typing.
    case typingOff(TypingEvent)
    /// An `event` this version of Baton does not know, kept by name.
    case unknown(String)

    /// The `event` value as Chatwoot sent it.
    public var event: String {
        switch self {
        case .messageCreated: "message_created"
        case .messageUpdated: "message_updated"
        case .conversationCreated: "conversation_created"
        case .conversationStatusChanged: "conversation_status_changed"
        case .conversationUpdated: "conversation_updated"
        case .typingOn: "conversation_typing_on"
        case .typingOff: "conversation_typing_off"
        case .unknown(let name): name
        }
    }

    /// Decodes a raw webhook body.
    ///
    /// - Throws: ``ChatwootWebhookDecodingError`` for malformed JSON, a body that is not an object, a missing
    ///   `event` or required key, or a value of the wrong type. Never traps, whatever the bytes.
    public static func decode(_ body: Data) throws(ChatwootWebhookDecodingError) -> ChatwootWebhook {
        try ChatwootWebhook(JSONReader.body(body) { ChatwootWebhookDecodingError(path: "", reason: "body is not valid JSON (\($0))") })
    }

    /// Decodes an already parsed webhook body.
    ///
    /// - Throws: ``ChatwootWebhookDecodingError`` (see ``decode(_:)``).
    public init(json: JSONValue) throws(ChatwootWebhookDecodingError) {
        try self.init(JSONReader(json, path: ""))
    }

    init(_ root: JSONReader) throws(ChatwootWebhookDecodingError) {
        guard let event = try root.string("event") else { throw root.error("event", "is missing") }
        switch event {
        case "message_created": self = .messageCreated(try MessageEvent(root))
        case "message_updated": self = .messageUpdated(try MessageEvent(root))
        case "conversation_created": self = .conversationCreated(try ConversationEvent(root))
        case "conversation_status_changed": self = .conversationStatusChanged(try ConversationEvent(root))
        case "conversation_updated": self = .conversationUpdated(try ConversationEvent(root))
        case "conversation_typing_on": self = .typingOn(try TypingEvent(root))
        case "conversation_typing_off": self = .typingOff(try TypingEvent(root))
        default: self = .unknown(event)
        }
    }
}

extension ChatwootWebhook: Decodable {
    /// Decodes through any `Decoder` (e.g. `JSONDecoder().decode(ChatwootWebhook.self, from: body)`).
    /// Errors from the payload itself are ``ChatwootWebhookDecodingError``.
    public init(from decoder: any Decoder) throws {
        try self.init(json: try JSONValue(from: decoder))
    }
}
