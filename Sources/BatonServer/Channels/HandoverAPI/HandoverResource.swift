import BatonCore
import Foundation

/// A handover as the handovers API shows it, in its answers and in the notifications at the callback URL.
struct HandoverPayload: Encodable, Sendable {
    /// Counts the session's handovers from 1.
    var number: Int
    /// `opening`, `active`, `resolved`, `cancelled`, `inactive`, `failed` or `returned`.
    var status: String
    var agentAssigned: Bool
    var agentName: String?
    var inboxId: Int?
    var conversationId: Int?
    var reason: String?
    var detail: String?
    /// While resolved: the labels and custom attributes the agents left on the conversation.
    var labels: [String]?
    var attributes: JSONValue?

    init(_ snapshot: HandoverNotification.Snapshot) {
        number = snapshot.number
        status = snapshot.phase.rawValue
        agentAssigned = snapshot.agentAssigned
        agentName = snapshot.agentName
        inboxId = snapshot.inboxID
        conversationId = snapshot.conversationID
        reason = snapshot.reason
        detail = snapshot.detail
        labels = snapshot.resolution?.labels
        attributes = snapshot.resolution?.attributes
    }
}

/// An outside bot's user as the handovers API answers: the session, its newest message and its latest handover.
struct HandoverResource: Encodable, Sendable {
    var sessionId: SessionID
    var userId: String
    /// The newest message's id: read what comes after it with `GET …/handovers/{sessionId}/messages?after=`.
    var lastId: Int64
    var handover: HandoverPayload?

    init(_ session: Session) {
        sessionId = session.id
        userId = session.userID
        lastId = session.lastMessageID
        handover = session.state.handover.map { HandoverPayload(HandoverNotification.Snapshot($0)) }
    }
}

/// The body of a notification at the callback URL.
struct NotificationPayload: Encodable, Sendable {
    var id: String
    var type: String
    var createdAt: String
    var endpoint: String
    var sessionId: SessionID
    var userId: String
    var handover: HandoverPayload
    /// The agent's message, for `handover.agent_message`, (retracted, its content gone) `handover.agent_message_deleted`,
    /// and (the copy, with `movedFrom`) `handover.agent_message_moved`; the user's, for `handover.user_message_undelivered`.
    var message: MessagePayload?
    /// For `handover.agent_typing`: whether the agent is typing now.
    var typing: Bool?

    init(_ notification: HandoverNotification, session: Session, message: Message?) {
        id = notification.id
        type = notification.kind.rawValue
        createdAt = MessagePayload.timestamp(notification.createdAt)
        endpoint = session.endpointID
        sessionId = session.id
        userId = session.userID
        handover = HandoverPayload(notification.handover)
        self.message = message.map(MessagePayload.init)
    }
}
