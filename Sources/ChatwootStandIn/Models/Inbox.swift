/// The channel behind an inbox. Only API inboxes get inbox webhooks and accept `incoming` messages from the API;
/// every kind can have an agent bot (`app/controllers/api/v1/accounts/inboxes_controller.rb#set_agent_bot` has no
/// channel check). Contacts of the other kinds write through ``ChatwootStandIn/contactWrites(inbox:as:content:attachments:)``.
public enum InboxChannel: String, Sendable, Hashable, CaseIterable {
    case api = "Channel::Api"
    case webWidget = "Channel::WebWidget"
    case whatsapp = "Channel::Whatsapp"
    case facebookPage = "Channel::FacebookPage"
    case instagram = "Channel::Instagram"
    case telegram = "Channel::Telegram"
    case email = "Channel::Email"
    case sms = "Channel::Sms"
    case twilioSms = "Channel::TwilioSms"
    case line = "Channel::Line"
    case tiktok = "Channel::Tiktok"
    case twitterProfile = "Channel::TwitterProfile"

    /// Channels whose returning contact lands in the last non-resolved conversation, else a new one, unless the
    /// inbox locks to a single conversation (`set_conversation` in the channels' incoming services). The widget
    /// always writes into its last conversation; the API inbox lets the integration choose.
    var startsNewConversationAfterResolve: Bool { self != .webWidget && self != .api && self != .email }

    /// Whether `SendReplyJob` hands outgoing messages to an outside platform, which then stores its message id
    /// in `source_id` (the widget and API inboxes send nothing anywhere).
    var sendsThroughPlatform: Bool { self != .webWidget && self != .api }
}

/// An inbox with its channel record folded in.
public struct Inbox: Sendable, Hashable, Identifiable {
    /// The record id.
    public let id: Int
    /// Chatwoot's `account_id`.
    public let accountId: Int
    /// Chatwoot's `name`.
    public internal(set) var name: String
    /// Chatwoot's `channel`.
    public let channel: InboxChannel
    /// The id of the channel record (`channel_id`).
    public let channelId: Int
    /// `Channel::Api#webhook_url`; empty or nil means no webhooks.
    public internal(set) var webhookURL: String?
    /// `Channel::Api#secret`: the webhook signing key.
    public internal(set) var secret: String
    /// `Channel::Api#hmac_token`: the Client-API identity key (not used for webhooks).
    public internal(set) var hmacToken: String
    /// `Channel::Api#identifier`: the Client-API inbox identifier.
    public internal(set) var inboxIdentifier: String
    /// The connected agent bot (`agent_bot_inbox`), which makes new conversations start `pending`.
    public internal(set) var agentBotId: Int?
    /// Chatwoot's `lock_to_single_conversation`.
    public internal(set) var lockToSingleConversation: Bool
    /// The agents of the inbox (`inbox_members.user_id`), in the order they were added.
    public internal(set) var memberIds: [Int] = []
    /// The seven business-hour rows, Sunday first (see ``WorkingHour/defaultWeek``).
    public internal(set) var workingHours: [WorkingHour] = WorkingHour.defaultWeek
    /// Chatwoot's `working_hours_enabled` (default false).
    public internal(set) var workingHoursEnabled = false
    /// Chatwoot's `timezone`: a TZInfo identifier (default `"UTC"`).
    public internal(set) var timezone = "UTC"
    /// Chatwoot's `out_of_office_message`.
    public internal(set) var outOfOfficeMessage: String?
    /// Chatwoot's `csat_survey_enabled` (default false).
    public internal(set) var csatSurveyEnabled = false
    /// Chatwoot's `csat_config` (default `{}`): `display_type`, `message`, `survey_rules`, ….
    public internal(set) var csatConfig: JSONValue = .emptyObject
    /// Chatwoot's `created_at`.
    public let createdAt: Instant
    /// Chatwoot's `updated_at`.
    public internal(set) var updatedAt: Instant
}
