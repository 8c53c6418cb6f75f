import Synchronization

/// The answer a caller of a store's group commit waits for: given once, by whichever comes first, the outcome of
/// the transaction that holds its write or the caller's cancellation.
///
/// A server told to stop cancels its requests, and they must end then: a write still queued is taken out by the
/// store, and one already in a transaction stops being waited for (it commits or not, and the caller, told
/// `CancellationError`, acknowledged nothing: an agent's reply comes back through the failed delivery's
/// `message_updated` or the reconciliation at the next start, a client sends its message again, an outbox job runs
/// again, each deduplicated as always). Under overload a PostgreSQL instance held over a thousand requests in its
/// queue and in transactions when it was stopped, and outlived its shutdown's deadline.
public final class WriteAnswer<T: Sendable>: Sendable {
    private enum State {
        case waiting
        case parked(CheckedContinuation<T, any Error>)
        /// Given before the caller parked (its result kept for then), or delivered (nothing kept).
        case answered(Result<T, any Error>?)
    }

    private let state = Mutex<State>(.waiting)

    public init() {}

    /// Waits for the answer; `submit` runs once the wait is set up, and queues the write.
    public func wait(submitting submit: () -> Void) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let early = state.withLock { state -> Result<T, any Error>? in
                guard case .answered(let result) = state else {
                    state = .parked(continuation)
                    return nil
                }
                state = .answered(nil)
                return result
            }
            if let early {
                continuation.resume(with: early)
            } else {
                submit()
            }
        }
    }

    /// Gives the answer, unless one was given already.
    public func give(_ result: Result<T, any Error>) {
        let parked = state.withLock { state -> CheckedContinuation<T, any Error>? in
            switch state {
            case .waiting:
                state = .answered(result)
                return nil
            case .parked(let continuation):
                state = .answered(nil)
                return continuation
            case .answered:
                return nil
            }
        }
        parked?.resume(with: result)
    }
}
