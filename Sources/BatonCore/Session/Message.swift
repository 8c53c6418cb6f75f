public import Foundation

/// Who wrote a message in a transcript.
public enum Sender: String, Codable, Sendable, Hashable, CaseIterable {
    case user, bot, agent, system
}

/// The kind of media an attachment is, which decides how the webchat shows it.
public enum AttachmentKind: String, Codable, Sendable, Hashable, CaseIterable {
    case image, gif, video, audio, file
}

/// A piece of media sent with a message, always by URL.
public struct Attachment: Codable, Sendable, Hashable {
    public var kind: AttachmentKind
    public var url: String
    public var name: String?
    public var mimeType: String?
    /// For a file the user uploaded to Baton: its id in the store, so the provider can be sent the file itself.
    public var fileID: String?
    /// The file's size in bytes, when known (an upload's, or Chatwoot's `file_size`), shown on file cards.
    public var size: Int?

    public init(kind: AttachmentKind, url: String, name: String? = nil, mimeType: String? = nil, fileID: String? = nil, size: Int? = nil) {
        self.kind = kind
        self.url = url
        self.name = name
        self.mimeType = mimeType
        self.fileID = fileID
        self.size = size
    }

    /// Only `http` and `https` URLs are ever rendered; anything else (javascript:, data:, file:) is refused.
    public var hasWebURL: Bool { Self.isWebURL(url) }

    /// Whether `text` is an absolute `http` or `https` URL with a host.
    public static func isWebURL(_ text: String) -> Bool {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else { return false }
        return (scheme == "http" || scheme == "https") && !(components.host ?? "").isEmpty
    }
}

/// A button offered under a message; clicking it sends `title` as text and `payload` as the flow's input.
public struct QuickReply: Codable, Sendable, Hashable {
    public var title: String
    public var payload: String

    public init(title: String, payload: String? = nil) {
        self.title = title
        self.payload = payload ?? title
    }
}

/// What a message says: text, buttons, media, cards and optional structured data.
public struct MessageContent: Codable, Sendable, Hashable {
    public var text: String
    public var quickReplies: [QuickReply]
    public var attachments: [Attachment]
    /// Structured data sent along (the REST channel's `data`, a quick reply's payload).
    public var data: JSONValue?
    /// Cards under the text (a carousel when several); `nil` when none (and in messages stored before cards).
    public var cards: [Card]?

    public init(text: String = "", quickReplies: [QuickReply] = [], attachments: [Attachment] = [], data: JSONValue? = nil, cards: [Card]? = nil) {
        self.text = text
        self.quickReplies = quickReplies
        self.attachments = attachments
        self.data = data
        self.cards = cards
    }

    /// Nothing to show: no text, no quick replies, no attachments, no data, no cards.
    public var isEmpty: Bool {
        text.isEmpty && quickReplies.isEmpty && attachments.isEmpty && (data == nil || data == .null) && (cards ?? []).isEmpty
    }
}

/// A message about to be stored; the store gives it its id.
public struct MessageDraft: Sendable, Hashable {
    public var sender: Sender
    public var content: MessageContent
    public var createdAt: Date
    /// The client's own id for a user message, which makes re-sending it harmless.
    public var clientMessageID: String?
    /// The display name of the agent who wrote it, when known.
    public var agentName: String?
    /// An id the message has in another system (e.g. a Chatwoot message id), unique per session.
    public var externalID: String?
    /// The message's place in the other system's order (Chatwoot's message id). When messages with a greater
    /// `externalOrder` are already stored, the store moves them after this one, so the transcript shows the
    /// other system's order whatever order its messages arrived in.
    public var externalOrder: Int64?

    public init(
        sender: Sender, content: MessageContent, createdAt: Date, clientMessageID: String? = nil,
        agentName: String? = nil, externalID: String? = nil, externalOrder: Int64? = nil
    ) {
        self.sender = sender
        self.content = content
        self.createdAt = createdAt
        self.clientMessageID = clientMessageID
        self.agentName = agentName
        self.externalID = externalID
        self.externalOrder = externalOrder
    }
}

/// A stored message. `id` is per session, starts at 1 and has no gaps, so a client that knows the last id it
/// saw can ask for exactly what it missed.
public struct Message: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64
    public var sessionID: SessionID
    public var sender: Sender
    public var content: MessageContent
    public var createdAt: Date
    public var clientMessageID: String?
    public var agentName: String?
    public var externalID: String?
    public var externalOrder: Int64?
    /// Withdrawn: its author deleted it, or (with `movedTo`) it was stored again further down.
    public var retracted: Bool
    /// The id of the copy this message was moved to, to keep the provider's order (see `MessageDraft.externalOrder`).
    public var movedTo: Int64?
    /// For a copy made by such a move, the id of the message it replaces.
    public var movedFrom: Int64?

    public init(id: Int64, sessionID: SessionID, draft: MessageDraft, retracted: Bool = false, movedTo: Int64? = nil, movedFrom: Int64? = nil) {
        self.id = id
        self.sessionID = sessionID
        self.sender = draft.sender
        self.content = draft.content
        self.createdAt = draft.createdAt
        self.clientMessageID = draft.clientMessageID
        self.agentName = draft.agentName
        self.externalID = draft.externalID
        self.externalOrder = draft.externalOrder
        self.retracted = retracted
        self.movedTo = movedTo
        self.movedFrom = movedFrom
    }

    /// The message as a draft, to store it again.
    public var draft: MessageDraft {
        MessageDraft(
            sender: sender, content: content, createdAt: createdAt, clientMessageID: clientMessageID, agentName: agentName, externalID: externalID,
            externalOrder: externalOrder)
    }
}
