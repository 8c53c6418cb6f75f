/// A webhook ready to send: built from the state when its turn comes.
struct PreparedWebhook: Sendable {
    /// The event name (`message_created`, …).
    let eventName: String
    let inboxId: Int
    let messageId: Int?
    let url: String
    let secret: String
    let body: [UInt8]
    let conversationDisplayId: Int?
}
