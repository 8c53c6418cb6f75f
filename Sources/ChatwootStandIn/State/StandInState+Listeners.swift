/// Work Chatwoot's listeners do in jobs, after the request that caused it (`app/listeners/*`). The stand-in runs it
/// when the outermost transaction commits, so its effects — and their webhooks — come after the operation's own.
enum AfterCommitJob: Sendable {
    /// `CsatSurveyListener#conversation_status_changed` → `CsatSurveyService#perform`.
    case csatSurvey(conversationId: Int)
    /// `CsatSurveyListener#message_updated` → `CsatSurveys::ResponseBuilder#perform`.
    case csatResponse(messageId: Int)
}

extension StandInState {
    /// The jobs an event starts (whatever the inbox's channel: the listeners are not the API-inbox webhook).
    func listenerJobs(for event: WebhookEvent) -> [AfterCommitJob] {
        switch event.kind {
        case .conversationStatusChanged(let id):
            return [.csatSurvey(conversationId: id)]
        case .messageUpdated(let id):
            // `return unless message.input_csat?`
            return db.message(id)?.contentType == "input_csat" ? [.csatResponse(messageId: id)] : []
        default:
            return []
        }
    }

    /// Runs one job in its own transaction; a job that fails changes nothing (Sidekiq would log and drop it).
    func run(_ job: AfterCommitJob) {
        switch job {
        case .csatSurvey(let conversationId):
            _ = try? transaction { try sendCsatSurvey(conversationId: conversationId) }
        case .csatResponse(let messageId):
            _ = try? transaction { recordCsatResponse(messageId: messageId) }
        }
    }
}
