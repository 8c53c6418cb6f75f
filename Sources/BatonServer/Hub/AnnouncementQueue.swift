import Synchronization

/// What a relayed hub published and its `HubFanOut` has not sent yet, in publication order, for the fan-out to take
/// in batches (one round trip each). It keeps the newest `capacity` while the relay cannot send: the other
/// instances' sockets catch up from the store.
public final class AnnouncementQueue: Sendable {
    private let queue = Mutex<[HubAnnouncement]>([])
    private let bell = Doorbell()
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func append(_ announcement: HubAnnouncement) {
        queue.withLock { queue in
            if queue.count >= capacity { queue.removeFirst(queue.count - capacity + 1) }
            queue.append(announcement)
        }
        bell.ring()
    }

    /// The oldest `limit` announcements, waiting for one when there is none; nil once the task is cancelled.
    /// One consumer at a time.
    func next(upTo limit: Int) async -> [HubAnnouncement]? {
        while !Task.isCancelled {
            let batch: [HubAnnouncement] = queue.withLock { queue in
                guard queue.count > limit else {
                    defer { queue = [] }
                    return queue
                }
                defer { queue.removeFirst(limit) }
                return Array(queue.prefix(limit))
            }
            if !batch.isEmpty { return batch }
            await bell.wait()
        }
        return nil
    }
}
