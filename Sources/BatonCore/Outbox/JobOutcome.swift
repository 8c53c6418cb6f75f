/// What became of one attempt at an outbox job: the one vocabulary desks answer in and the outbox worker acts on.
public enum JobOutcome: Sendable, Hashable {
    /// Done (or deliberately not done, e.g. an agent's own message is never posted back): the job is removed.
    case done
    /// Done, and the desk learnt something the conversation must hear (the handover's conversation is open, or
    /// never will be). The job is removed once the event is applied; if it cannot be applied, the job runs again.
    case reported(HandoverEvent)
    /// Not now (an outage, a rate limit): tried again after a backoff, the session's later jobs waiting, or
    /// dead-lettered once the retry budget is spent.
    case retry(String)
    /// Sent without an answer (a timeout): the desk may still carry it out, so it is tried again like `retry`, but
    /// not before `settle` has passed, when the retry can see whether it did.
    case unsettled(String, settle: Duration)
    /// Not now, and the performer chose when to try again (a `Retry-After`, or its own backoff within a budget of
    /// its own): tried again after exactly `after`, unless the job is out of the outbox's budget.
    case retryAfter(String, Duration)
    /// Refused for good (the same request would be refused again): dead-lettered at once.
    case dead(String)
}
