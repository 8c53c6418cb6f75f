public import BatonCore

/// The parts of Chatwoot's API objects Baton reads.
public struct ChatwootInbox: Decodable, Sendable, Hashable {
    public var id: Int
    public var name: String
    /// `Channel::Api` for the API-channel inboxes Baton hands over to.
    public var channelType: String?
    /// Whether the inbox keeps working hours (`Inbox#out_of_office?` is false without them).
    public var workingHoursEnabled: Bool?
    /// A TZInfo identifier (`UTC` by default).
    public var timezone: String?
    public var workingHours: [ChatwootWorkingHours]?
    /// An API inbox's id in the Client API's paths (`/public/api/v1/inboxes/{inbox_identifier}/…`).
    public var inboxIdentifier: String?

    enum CodingKeys: String, CodingKey {
        case id, name, timezone
        case channelType = "channel_type"
        case workingHoursEnabled = "working_hours_enabled"
        case workingHours = "working_hours"
        case inboxIdentifier = "inbox_identifier"
    }

    public init(
        id: Int, name: String, channelType: String? = nil, workingHoursEnabled: Bool? = nil, timezone: String? = nil, workingHours: [ChatwootWorkingHours]? = nil,
        inboxIdentifier: String? = nil
    ) {
        self.id = id
        self.name = name
        self.channelType = channelType
        self.workingHoursEnabled = workingHoursEnabled
        self.timezone = timezone
        self.workingHours = workingHours
        self.inboxIdentifier = inboxIdentifier
    }
}

/// One day of an inbox's working hours (`app/models/working_hour.rb`, rendered as `weekly_schedule`).
public struct ChatwootWorkingHours: Decodable, Sendable, Hashable {
    /// 0 is Sunday, as Ruby's `wday`.
    public var dayOfWeek: Int
    public var closedAllDay: Bool
    public var openAllDay: Bool?
    public var openHour: Int?
    public var openMinutes: Int?
    public var closeHour: Int?
    public var closeMinutes: Int?

    enum CodingKeys: String, CodingKey {
        case dayOfWeek = "day_of_week"
        case closedAllDay = "closed_all_day"
        case openAllDay = "open_all_day"
        case openHour = "open_hour"
        case openMinutes = "open_minutes"
        case closeHour = "close_hour"
        case closeMinutes = "close_minutes"
    }

    public init(
        dayOfWeek: Int, closedAllDay: Bool = false, openAllDay: Bool? = nil, openHour: Int? = nil, openMinutes: Int? = nil, closeHour: Int? = nil,
        closeMinutes: Int? = nil
    ) {
        self.dayOfWeek = dayOfWeek
        self.closedAllDay = closedAllDay
        self.openAllDay = openAllDay
        self.openHour = openHour
        self.openMinutes = openMinutes
        self.closeHour = closeHour
        self.closeMinutes = closeMinutes
    }
}

public struct ChatwootContact: Decodable, Sendable, Hashable {
    public var id: Int
    public var name: String?
    public var identifier: String?
}

public struct ChatwootAgentBot: Decodable, Sendable, Hashable {
    public var id: Int
    public var name: String
    public var description: String?
    /// Present for bots the account owns.
    public var accessToken: String?
    /// Where Chatwoot posts the bot's webhooks.
    public var outgoingURL: String?
    /// The webhook signing key (Chatwoot 4.13+), shown to administrators only.
    public var secret: String?

    enum CodingKeys: String, CodingKey {
        case id, name, description, secret
        case accessToken = "access_token"
        case outgoingURL = "outgoing_url"
    }
}

/// A conversation as `POST /conversations` and `GET /conversations/{id}` return it.
public struct ChatwootConversation: Decodable, Sendable, Hashable {
    /// The per-account display id, used everywhere else.
    public var id: Int
    public var inboxID: Int?
    public var status: String?
    public var customAttributes: JSONValue?

    enum CodingKeys: String, CodingKey {
        case id, status
        case inboxID = "inbox_id"
        case customAttributes = "custom_attributes"
    }
}

/// A message as the messages endpoints return it (`message_type` is an integer there).
public struct ChatwootMessage: Decodable, Sendable, Hashable {
    public var id: Int
    public var content: String?
    public var messageType: Int?
    public var isPrivate: Bool?
    public var sourceID: String?
    /// Interactive content and the marker Baton's channel replies carry (`ChatwootInboxChannel.markerKey`).
    public var contentAttributes: JSONValue?

    enum CodingKeys: String, CodingKey {
        case id, content
        case messageType = "message_type"
        case isPrivate = "private"
        case sourceID = "source_id"
        case contentAttributes = "content_attributes"
    }
}

/// A team (`GET /teams/{id}`).
public struct ChatwootTeam: Decodable, Sendable, Hashable {
    public var id: Int
    public var name: String
}

/// An agent of the account (`GET /agents`).
public struct ChatwootAgent: Decodable, Sendable, Hashable {
    public var id: Int
    public var name: String
    /// `online`, `busy` or `offline` (`app/models/concerns/availability_statusable.rb`).
    public var availabilityStatus: String?

    enum CodingKeys: String, CodingKey {
        case id, name
        case availabilityStatus = "availability_status"
    }
}

/// A reply the agent bot posts in a channel inbox.
public struct NewReply: Sendable, Hashable {
    public var content: String
    /// `input_select` for options the channel shows as buttons; `nil` for text.
    public var contentType: String?
    public var contentAttributes: JSONValue?
    public var files: [NewFile]
    /// An internal note for the agents (never sent to the contact).
    public var isPrivate: Bool

    public init(content: String, contentType: String? = nil, contentAttributes: JSONValue? = nil, files: [NewFile] = [], isPrivate: Bool = false) {
        self.content = content
        self.contentType = contentType
        self.contentAttributes = contentAttributes
        self.files = files
        self.isPrivate = isPrivate
    }
}

/// A new contact.
public struct NewContact: Sendable, Hashable {
    public var name: String
    public var identifier: String
    public var email: String?
    public var inboxID: Int
    public var sourceID: String
    public var customAttributes: [String: JSONValue]

    public init(name: String, identifier: String, email: String?, inboxID: Int, sourceID: String, customAttributes: [String: JSONValue] = [:]) {
        self.name = name
        self.identifier = identifier
        self.email = email
        self.inboxID = inboxID
        self.sourceID = sourceID
        self.customAttributes = customAttributes
    }
}

/// A new conversation.
public struct NewConversation: Sendable, Hashable {
    public var sourceID: String
    public var inboxID: Int
    public var contactID: Int
    public var customAttributes: [String: JSONValue]
    public var additionalAttributes: [String: JSONValue]

    public init(sourceID: String, inboxID: Int, contactID: Int, customAttributes: [String: JSONValue], additionalAttributes: [String: JSONValue] = [:]) {
        self.sourceID = sourceID
        self.inboxID = inboxID
        self.contactID = contactID
        self.customAttributes = customAttributes
        self.additionalAttributes = additionalAttributes
    }
}

/// A new message in a conversation.
public struct NewMessage: Sendable, Hashable {
    public enum Direction: String, Sendable, Hashable {
        /// From the contact (only API-channel inboxes accept these).
        case incoming
        /// From the token's owner: an agent, or the agent bot when posted with the bot's token.
        case outgoing
    }
    public var content: String
    public var direction: Direction
    public var isPrivate: Bool
    /// Baton's own id for the message, echoed in webhooks so Baton can recognise its posts.
    public var sourceID: String
    /// When the message was really written (unix seconds), for history posted later.
    public var externalCreatedAt: Int?

    public init(content: String, direction: Direction, isPrivate: Bool = false, sourceID: String, externalCreatedAt: Int? = nil) {
        self.content = content
        self.direction = direction
        self.isPrivate = isPrivate
        self.sourceID = sourceID
        self.externalCreatedAt = externalCreatedAt
    }
}
