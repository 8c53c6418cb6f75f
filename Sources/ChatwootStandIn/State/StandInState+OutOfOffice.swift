import Foundation

/// `MessageTemplates::HookExecutionService` (`app/services/message_templates/hook_execution_service.rb`), the
/// out-of-office part; greeting and e-mail collection are not modelled.
extension StandInState {
    /// Runs after a message is created (`Message#execute_message_template_hooks`, in `after_create_commit`).
    func executeMessageTemplateHooks(_ message: Message) {
        guard shouldSendOutOfOfficeMessage(after: message), let inbox = db.inbox(message.inboxId) else { return }
        // `MessageTemplates::Template::OutOfOffice`: a template with the inbox's text, no sender.
        var input = MessageInput()
        input.messageType = "template"
        input.content = inbox.outOfOfficeMessage
        input.fromSystem = true
        // `create!` inside the callback: a failure (the flood guard) would surface as the caller's error; the stand-in
        // keeps the incoming message and drops the template instead.
        _ = try? transaction { try buildMessage(conversationId: message.conversationId, caller: .none, input: input) }
    }

    /// `should_send_out_of_office_message?`: after an incoming message, when no public outgoing message was written in
    /// the last 5 minutes, the inbox is out of office, the conversation has no template message today (UTC date) and
    /// the inbox has an out-of-office text.
    private func shouldSendOutOfOfficeMessage(after message: Message) -> Bool {
        guard message.messageType == .incoming, let inbox = db.inbox(message.inboxId), let text = inbox.outOfOfficeMessage,
            !text.allSatisfy(\.isWhitespace)
        else { return false }
        let now = now()
        // The clock check first: it is cheap, and inside working hours nothing else matters.
        guard inbox.outOfOffice(at: clock.now()) else { return false }
        let fiveMinutesAgo = now.adding(seconds: -300)
        let today = now.unixSeconds.floorDiv(86_400)
        return !db.messages.contains { other in
            other.conversationId == message.conversationId
                && ((other.messageType == .outgoing && !other.isPrivate && other.createdAt > fiveMinutesAgo)
                    || (other.messageType == .template && other.createdAt.unixSeconds.floorDiv(86_400) == today))
        }
    }
}

extension Int64 {
    /// Division rounding toward minus infinity (days before 1970 stay on their own day).
    func floorDiv(_ divisor: Int64) -> Int64 { self >= 0 ? self / divisor : (self - divisor + 1) / divisor }
}
