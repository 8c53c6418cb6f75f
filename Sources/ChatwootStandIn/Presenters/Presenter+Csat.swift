extension Presenter {
    /// `views/public/api/v1/models/_csat_survey.json.jbuilder` (the survey page's show and update). `conversation_id` is
    /// the conversation's database id, not its display id.
    func csatSurvey(_ message: Message) -> JSONValue {
        let inbox = db.inbox(message.inboxId)
        let config = inbox?.csatConfig ?? .emptyObject
        let response = db.csatSurveyResponses.first { $0.messageId == message.id }
        return [
            "id": .int(message.id), "csat_survey_response": response.map(csatSurveyResponseRecord) ?? .null,
            "display_type": config["display_type"].flatMap { $0.isNull ? nil : $0 } ?? "emoji", "content": config["message"] ?? .null,
            "inbox_avatar_url": "", "inbox_name": .string(inbox?.name),
            // `account.locale`: the stand-in's accounts keep the default.
            "locale": "en", "conversation_id": .int(message.conversationId), "created_at": .string(message.createdAt.iso8601),
        ]
    }

    /// `CsatSurveyResponse#as_json`: the record's columns.
    func csatSurveyResponseRecord(_ response: CsatSurveyResponse) -> JSONValue {
        [
            "id": .int(response.id), "account_id": .int(response.accountId), "conversation_id": .int(response.conversationId),
            "message_id": .int(response.messageId), "rating": .int(response.rating), "feedback_message": .string(response.feedbackMessage),
            "contact_id": .int(response.contactId), "assigned_agent_id": .int(response.assignedAgentId),
            "created_at": .string(response.createdAt.iso8601), "updated_at": .string(response.updatedAt.iso8601),
        ]
    }

    /// `MessageContentPresenter#webhook_content` (`app/presenters/message_content_presenter.rb`): an `input_csat` message
    /// of any inbox but the website widget's carries the survey link instead of its text — "<csat_config.message> <link>",
    /// or `conversations.survey.response` (`config/locales/en.yml`) without a custom message — then the normalizer.
    func webhookContent(of message: Message) -> String? {
        guard message.contentType == "input_csat", let inbox = db.inbox(message.inboxId), inbox.channel != .webWidget,
            let conversation = db.conversation(id: message.conversationId)
        else { return Self.webhookContent(message.content) }
        let link = "\(frontendURL)/survey/responses/\(conversation.uuid)"
        let custom = inbox.csatConfig["message"]?.stringValue.flatMap { $0.allSatisfy(\.isWhitespace) ? nil : $0 }
        return Self.webhookContent(custom.map { "\($0) \(link)" } ?? "Please rate this conversation, \(link)")
    }
}
