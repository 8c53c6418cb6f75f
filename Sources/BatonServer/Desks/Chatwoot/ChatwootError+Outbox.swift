import BatonCore
import Logging

extension ChatwootError {
    /// What the outbox does with a message (a transcript post, a bot reply, a note) that Chatwoot did not take,
    /// logged once. Unanswered: wait `settle` for the request to finish, then look for its copy before retrying.
    /// Outages, rate limits and Chatwoot's flood guard pass, and a refused token is an operator's mistake that is
    /// usually mended within the retry budget: retry. A conversation that is gone or a message Chatwoot refuses
    /// will not change: give it up.
    func postingOutcome(settle: Duration, session: SessionID, logger: Logger) -> JobOutcome {
        if mayHaveArrived {
            logger.warning("Chatwoot did not answer in time", metadata: ["session": "\(session)", "error": "\(self)"])
            return .unsettled(description, settle: settle)
        }
        switch kind {
        case .rateLimited, .server, .unreachable, .invalidResponse, .unauthorized:
            logger.warning("Chatwoot is not taking messages now", metadata: ["session": "\(session)", "error": "\(self)"])
            return .retry(description)
        case .unprocessable where message.contains("Too many messages"):
            return .retry(description)
        case .notFound, .unprocessable:
            logger.error("Chatwoot refused a message", metadata: ["session": "\(session)", "error": "\(self)"])
            return .dead(description)
        }
    }
}

extension JobOutcome {
    /// The outcome of Chatwoot calls that are harmless to repeat: done, given up when Chatwoot refuses them for good
    /// (an error of `refusals`' kinds), retried otherwise.
    static func chatwoot(givingUpOn refusals: Set<ChatwootError.Kind>, _ calls: () async throws -> Void) async -> JobOutcome {
        do {
            try await calls()
            return .done
        } catch let error as ChatwootError where refusals.contains(error.kind) {
            return .dead(error.description)
        } catch {
            return .retry(String(describing: error))
        }
    }
}
