import Synchronization

/// Lets scripted delays end early when the stand-in shuts down, so `shutdown()` never waits for a long `.delay`.
final class ShutdownSignal: Sendable {
    private struct State {
        var fired = false
        var nextId = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelledEarly: Set<Int> = []
    }
    private let state = Mutex(State())

    /// Wakes every sleeper, now and later.
    func fire() {
        let waiters = state.withLock { state in
            state.fired = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Sleeps for `duration`; returns false when the stand-in shut down (or the task was cancelled) first.
    func sleep(for duration: Duration) async -> Bool {
        guard duration > .zero else { return !state.withLock { $0.fired } }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await Task.sleep(for: duration)) != nil }
            group.addTask { await self.waitForFire(); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func waitForFire() async {
        let id = state.withLock { state in
            state.nextId += 1
            return state.nextId
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.fired || state.cancelledEarly.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    // Cancelled before the continuation was registered: leave a note so it resumes at once.
                    if !state.fired { state.cancelledEarly.insert(id) }
                    return nil
                }
                return waiter
            }
            waiter?.resume()
        }
    }
}
