import Synchronization

/// What a relayed hub published and its `HubFanOut` has not sent yet, in publication order, for the fan-out to take
/// in batches (one round trip each). It keeps the newest `capacity` while the relay cannot send: the other
/// instances' sockets catch up from the store.
public final class AnnouncementQueue: Sendable {
    private struct State {
        var queue: [HubAnnouncement] = []
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func append(_ announcement: HubAnnouncement) {
        let waiter = state.withLock { state in
            if state.queue.count >= capacity { state.queue.removeFirst(state.queue.count - capacity + 1) }
            state.queue.append(announcement)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// The oldest `limit` announcements, waiting for one when there is none; nil once the task is cancelled.
    /// One consumer at a time.
    func next(upTo limit: Int) async -> [HubAnnouncement]? {
        while !Task.isCancelled {
            let batch: [HubAnnouncement] = state.withLock { state in
                guard state.queue.count > limit else {
                    defer { state.queue = [] }
                    return state.queue
                }
                defer { state.queue.removeFirst(limit) }
                return Array(state.queue.prefix(limit))
            }
            if !batch.isEmpty { return batch }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let hasSome = state.withLock { state in
                        guard state.queue.isEmpty else { return true }
                        state.waiter = continuation
                        return false
                    }
                    if hasSome { continuation.resume() }
                }
            } onCancel: {
                state.withLock { state in
                    defer { state.waiter = nil }
                    return state.waiter
                }?.resume()
            }
        }
        return nil
    }
}
