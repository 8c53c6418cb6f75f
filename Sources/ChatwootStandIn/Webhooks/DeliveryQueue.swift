/// The ordered hand-over between model events and the delivery worker.
///
/// Events enter through a synchronous `yield` (keeping event order across requests) and the worker takes them
/// one at a time, or as a shuffled batch when the shuffle knob is on.
actor DeliveryQueue<Item: Sendable> {
    private var items: [Item] = []
    private var waiter: CheckedContinuation<Void, Never>?
    private var closed = false

    func append(_ item: Item) {
        items.append(item)
        waiter?.resume()
        waiter = nil
    }

    func close() {
        closed = true
        waiter?.resume()
        waiter = nil
    }

    /// Waits for at least one event; nil once closed and drained.
    private func waitForItems() async -> Bool {
        while items.isEmpty {
            if closed { return false }
            await withCheckedContinuation { waiter = $0 }
        }
        return true
    }

    /// The next event (in order).
    func next() async -> Item? {
        guard await waitForItems() else { return nil }
        return items.removeFirst()
    }

    /// Everything queued after waiting `window` for more to arrive, shuffled.
    func nextShuffledBatch(window: Duration) async -> [Item]? {
        guard await waitForItems() else { return nil }
        try? await Task.sleep(for: window)
        let batch = items.shuffled()
        items.removeAll()
        return batch
    }

    /// Number of events not yet taken.
    var count: Int { items.count }
}
