import Synchronization

/// The answer a caller of a store's group commit waits for: given once, by whichever comes first, the outcome of
/// the transaction that holds its write or the caller's cancellation. (PostgreSQL's statements are waited for the
/// same way, through cancellation: see `waitingThroughCancellation`.)
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

    private init() {}

    /// Waits for the answer; `submit` runs once the wait is set up, and queues the write.
    private func wait(submitting submit: () -> Void) async throws -> T {
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

extension WriteAnswer {
    /// Waits for the answer to the write `submit` queues (handing it the answer to give), and has `withdraw` take the
    /// write back out of the queue, if it still waits there, should the caller be cancelled; the caller is then told
    /// `CancellationError` at once, wherever its write is.
    public static func waiting(
        withdraw: @escaping @Sendable () -> Void, submit: (WriteAnswer<T>) -> Void
    ) async throws -> T {
        let answer = WriteAnswer<T>()
        return try await withTaskCancellationHandler {
            try await answer.wait {
                submit(answer)
                // Cancelled while it was being queued: the handler may have found nothing to take out.
                if Task.isCancelled { withdraw() }
            }
        } onCancel: {
            withdraw()
            answer.give(.failure(CancellationError()))
        }
    }
}

extension WriteAnswer {
    /// Waits for the answer `submit` arranges (handing it the answer to give), whether or not the caller is
    /// cancelled meanwhile: for work that holds something until it ends, such as a statement on a leased connection.
    public static func waitingThroughCancellation(submit: (WriteAnswer<T>) -> Void) async throws -> T {
        let answer = WriteAnswer<T>()
        return try await answer.wait { submit(answer) }
    }
}

/// A write in a store's group-commit queue, which a cancelled caller takes back out by its id.
public protocol QueuedWrite {
    var id: Int { get }
}

extension Array where Element: QueuedWrite {
    /// Removes and returns the write `id`, if it is here.
    public mutating func removeWrite(_ id: Int) -> Element? {
        guard let index = firstIndex(where: { $0.id == id }) else { return nil }
        return remove(at: index)
    }
}
