import Synchronization

/// A wake-up call for one waiting loop: `ring()` wakes the waiter, or, when none waits, makes the next `wait`
/// return at once, so a ring is never lost between two waits. The outbox and the clock wait with a timeout; the
/// hub's queues (`AnnouncementQueue`, `ListeningRegistry`) until their task is cancelled.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: (token: Int, continuation: CheckedContinuation<Void, Never>)?
        var nextToken = 0
        /// A wait whose timeout fired before it began waiting.
        var expiredEarly: Int?
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil as CheckedContinuation<Void, Never>?
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }

    /// Returns at the next ring (or at once, after one since the last wait), or when the task is cancelled.
    func wait() async {
        let token = nextToken()
        await withTaskCancellationHandler {
            await park(token)
        } onCancel: {
            ring()
        }
    }

    /// Returns at the next ring, after `timeout`, or when the task is cancelled (a long timeout must not hold up a
    /// cancelled service group: it gives its services two seconds).
    func wait(upTo timeout: Duration) async {
        let token = nextToken()
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.expire(token)
        }
        defer { timer.cancel() }
        await withTaskCancellationHandler {
            await park(token)
        } onCancel: {
            ring()
        }
    }

    /// Whether a wait is parked now (for tests).
    var hasWaiter: Bool { state.withLock { $0.waiter != nil } }

    private func nextToken() -> Int {
        state.withLock { state in
            state.nextToken += 1
            return state.nextToken
        }
    }

    /// Waits as `token` until `ring` or `expire(token)`, unless one of them, or the task's cancellation, came first.
    private func park(_ token: Int) async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state in
                if state.rung || state.expiredEarly == token || Task.isCancelled {
                    state.rung = false
                    state.expiredEarly = nil
                    return true
                }
                state.waiter = (token, continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func expire(_ token: Int) {
        let waiter = state.withLock { state in
            guard let waiter = state.waiter, waiter.token == token else {
                state.expiredEarly = token
                return nil as CheckedContinuation<Void, Never>?
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }
}
