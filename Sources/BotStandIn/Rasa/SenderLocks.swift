/// One turn at a time per sender, first come first served: Rasa locks the tracker per conversation, so a second
/// request for the same sender waits for the first (contract §4). Different senders do not wait for each other.
actor SenderLocks {
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Returns once `sender`'s lock is held.
    func acquire(_ sender: String) async {
        guard waiting[sender] != nil else {
            waiting[sender] = []
            return
        }
        await withCheckedContinuation { waiting[sender, default: []].append($0) }
    }

    /// Hands the lock to the next waiter, or frees it.
    func release(_ sender: String) {
        guard var queue = waiting[sender] else { return }
        if queue.isEmpty {
            waiting[sender] = nil
        } else {
            let next = queue.removeFirst()
            waiting[sender] = queue
            next.resume()
        }
    }
}
