/// A contact's answer to a CSAT survey (`app/models/csat_survey_response.rb`): one per survey message, updated
/// in place when the contact answers again.
public struct CsatSurveyResponse: Sendable, Hashable, Identifiable {
    /// The record id.
    public let id: Int
    public let accountId: Int
    /// The conversation's database id (Chatwoot's `conversation_id` column).
    public let conversationId: Int
    /// The conversation's display id, for ``ConversationRef``.
    public let conversationDisplayId: Int
    /// The `input_csat` message answered.
    public let messageId: Int
    public let contactId: Int
    /// The conversation's assignee when the response was first recorded (`assigned_agent`).
    public let assignedAgentId: Int?
    /// 1…5.
    public internal(set) var rating: Int
    public internal(set) var feedbackMessage: String?
    public let createdAt: Instant
    public internal(set) var updatedAt: Instant

    /// The conversation reference.
    public var conversation: ConversationRef { ConversationRef(accountId: accountId, displayId: conversationDisplayId) }
}
