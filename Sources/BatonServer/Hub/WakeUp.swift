import Synchronization

/// Wakes the one loop that waits for work: `wake()` resumes it, or, when it is not waiting, makes its next `wait()`
/// return at once, so a wake-up between its look at the work and its wait is never lost. Cancelling the waiting
/// task wakes it too. (`AnnouncementQueue` and `ListeningRegistry` wait with it.)
final class WakeUp: Sendable {
    private struct State {
        var woken = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    func wake() {
        state.withLock { state in
            guard let waiter = state.waiter else {
                state.woken = true
                return nil as CheckedContinuation<Void, Never>?
            }
            state.waiter = nil
            return waiter
        }?.resume()
    }

    /// Returns at the next `wake()` (or at once, after one since the last wait), or when the task is cancelled.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state in
                    guard !state.woken, !Task.isCancelled else {
                        state.woken = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            wake()
        }
    }
}
