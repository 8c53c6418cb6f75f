import Foundation

/// CSAT on resolve and its answers (`app/listeners/csat_survey_listener.rb`, `app/services/csat_survey_service.rb`,
/// `app/services/message_templates/template/csat_survey.rb`, `app/builders/csat_surveys/response_builder.rb`).
extension StandInState {
    /// `conversations.templates.csat_input_message_body` (`config/locales/en.yml`).
    static let defaultCsatMessage = "Please rate the conversation"

    /// `CsatSurveyService#perform`: a resolved conversation of an inbox with CSAT enabled gets one `input_csat` survey
    /// (never a second, across reopen and resolve) when the label rule allows it. `can_reply?` is always true here:
    /// no reply window is modelled.
    func sendCsatSurvey(conversationId: Int) throws {
        guard let conversation = db.conversation(id: conversationId), conversation.status == .resolved, let inbox = db.inbox(conversation.inboxId),
            inbox.csatSurveyEnabled
        else { return }
        if db.messages.contains(where: { $0.conversationId == conversationId && $0.contentType == "input_csat" }) { return }
        guard Self.csatAllowedBySurveyRules(inbox.csatConfig, labels: conversation.labels) else { return }
        var input = MessageInput()
        input.messageType = "template"
        input.contentType = "input_csat"
        let custom = inbox.csatConfig["message"]?.stringValue
        input.content = custom.flatMap { $0.allSatisfy(\.isWhitespace) ? nil : $0 } ?? Self.defaultCsatMessage
        // `csat_config['display_type'] || 'emoji'`.
        let displayType = inbox.csatConfig["display_type"].flatMap { $0.isNull ? nil : $0 } ?? "emoji"
        input.contentAttributes = ["display_type": displayType]
        input.fromSystem = true
        _ = try buildMessage(conversationId: conversationId, caller: .none, input: input)
    }

    /// `csat_allowed_by_survey_rules?`: with `survey_rules.values` set, `contains` (the default operator) needs one of
    /// the labels on the conversation, `does_not_contain` none of them; any other operator allows.
    static func csatAllowedBySurveyRules(_ config: JSONValue, labels: [String]) -> Bool {
        let values = (config["survey_rules"]?["values"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard !values.isEmpty else { return true }
        switch config["survey_rules"]?["operator"]?.stringValue ?? "contains" {
        case "contains": return values.contains { labels.contains($0) }
        case "does_not_contain": return !values.contains { labels.contains($0) }
        default: return true
        }
    }

    /// `CsatSurveys::ResponseBuilder#perform`: a blank rating records nothing; otherwise the message's one response is
    /// created (crediting the conversation's assignee now) or updated in place. A rating outside 1…5 fails the
    /// model's validation, so nothing is stored.
    func recordCsatResponse(messageId: Int) {
        guard let message = db.message(messageId), message.contentType == "input_csat", let conversation = db.conversation(id: message.conversationId)
        else { return }
        let answer = message.contentAttributes["submitted_values"]?["csat_survey_response"]
        guard let rawRating = answer?["rating"], !rawRating.isBlank else { return }
        guard let rating = rawRating.railsInteger, (1...5).contains(rating) else { return }
        let feedback = answer?["feedback_message"].flatMap(\.railsString)
        let now = now()
        if let index = db.csatSurveyResponses.firstIndex(where: { $0.messageId == messageId }) {
            db.csatSurveyResponses[index].rating = rating
            db.csatSurveyResponses[index].feedbackMessage = feedback
            db.csatSurveyResponses[index].updatedAt = now
        } else {
            db.csatSurveyResponses.append(
                CsatSurveyResponse(
                    id: nextId("csat_survey_response"), accountId: message.accountId, conversationId: conversation.id,
                    conversationDisplayId: conversation.displayId, messageId: messageId, contactId: conversation.contactId,
                    assignedAgentId: conversation.assigneeId, rating: rating, feedbackMessage: feedback, createdAt: now, updatedAt: now))
        }
    }

    // MARK: The survey page's API

    /// `Public::Api::V1::CsatSurveyController#set_conversation` + `#set_message`: the conversation by uuid and its
    /// first `input_csat` message, else Rails' 404 page (`PublicController` does not rescue `RecordNotFound`).
    func csatSurveyMessage(uuid: String) throws -> Message {
        guard let conversation = db.conversations.first(where: { $0.uuid == uuid }),
            let message = db.messages.first(where: { $0.conversationId == conversation.id && $0.contentType == "input_csat" })
        else { throw StandInAPIError.railsNotFound }
        return message
    }

    /// `CsatSurveyController#update`: 422 more than 14 days (by UTC date) after the survey; `update!(nil)` (no `message`)
    /// is a 500; then `submitted_values` (as permitted) is written → `message_updated`. `render` builds the answer before
    /// the listener records the response, as Chatwoot renders before its job runs.
    func answerCsatSurvey(uuid: String, message params: JSONValue?, render: (Presenter, Message) -> JSONValue) throws -> JSONValue {
        try transaction {
            let survey = try csatSurveyMessage(uuid: uuid)
            let days = now().unixSeconds.floorDiv(86_400) - survey.createdAt.unixSeconds.floorDiv(86_400)
            if days > 14 { throw StandInAPIError.unprocessable("You cannot update the CSAT survey after 14 days") }
            guard let params, params.isObject else { throw StandInAPIError.internalServerError }
            if let permitted = params["submitted_values"].flatMap(Self.permittedSubmittedValues), let index = messageIndex(survey.id) {
                var message = db.messages[index]
                if message.contentAttributes["submitted_values"] != permitted {
                    message.contentAttributes = message.contentAttributes.setting("submitted_values", permitted)
                    message.updatedAt = now()
                    replaceMessage(at: index, with: message)
                    emit(WebhookEvent(kind: .messageUpdated(messageId: message.id), inboxId: message.inboxId))
                }
            }
            let current = db.message(survey.id) ?? survey
            return render(Presenter(db: db, frontendURL: frontendURL), current)
        }
    }

    /// `params.permit(message: [{ submitted_values: [:name, :title, :value, { csat_survey_response: [:feedback_message,
    /// :rating] }] }])`: a hash (or an array of hashes) keeping those keys with scalar values; nil when nothing is permitted.
    static func permittedSubmittedValues(_ raw: JSONValue) -> JSONValue? {
        func scalar(_ value: JSONValue) -> Bool {
            switch value {
            case .array, .object: false
            default: true
            }
        }
        func permit(_ hash: JSONValue) -> JSONValue {
            var kept: [(String, JSONValue)] = []
            for (key, value) in hash.members {
                if ["name", "title", "value"].contains(key), scalar(value) { kept.append((key, value)) }
                if key == "csat_survey_response", value.isObject {
                    kept.append((key, .object(value.members.filter { ["feedback_message", "rating"].contains($0.0) && scalar($0.1) })))
                }
            }
            return .object(kept)
        }
        switch raw {
        case .object: return permit(raw)
        case .array(let items): return .array(items.filter(\.isObject).map(permit))
        default: return nil
        }
    }
}

extension JSONValue {
    /// Rails' `blank?` for a parameter value.
    var isBlank: Bool {
        switch self {
        case .null: true
        case .string(let s): s.allSatisfy(\.isWhitespace)
        case .array(let a): a.isEmpty
        case .object(let o): o.isEmpty
        case .bool(let b): !b
        default: false
        }
    }

    /// ActiveModel's integer cast: numbers truncated, strings that start with a number read up to it, else nil.
    var railsInteger: Int? {
        switch self {
        case .int(let i): return Int(exactly: i)
        case .double(let d): return d.isFinite ? Int(d.rounded(.towardZero)) : nil
        case .bool(let b): return b ? 1 : 0
        case .string(let s):
            let trimmed = s.drop { $0.isWhitespace }
            let sign = trimmed.first == "-" || trimmed.first == "+" ? String(trimmed.prefix(1)) : ""
            let digits = trimmed.dropFirst(sign.count).prefix { $0.isASCII && $0.isNumber }
            return digits.isEmpty ? nil : Int(sign + digits)
        default: return nil
        }
    }

    /// ActiveModel's string cast (numbers and booleans as text).
    var railsString: String? {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): JSONWriter.formatDouble(d)
        case .bool(let b): b ? "t" : "f"
        default: nil
        }
    }
}
