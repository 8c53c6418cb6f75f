/// Puts the events of one conversation in their sender's order when they arrive together.
///
/// Chatwoot delivers agent-bot webhooks from parallel workers, so two messages a contact sent in quick succession
/// can arrive in either order, within milliseconds of each other. Events of one key run one at a time; the first
/// of a burst waits `window` for the rest, then the lowest `order` (Chatwoot's message id) goes first. An event that
/// arrives after its burst was handled is handled late rather than never: the transcript and the bot see it then.
/// In one process only: instances sharing a store are serialised by the store, in arrival order.
actor ArrivalOrder {
    private struct Waiter {
        let id: Int
        let order: Int
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct Line {
        var waiting: [Waiter] = []
    }

    /// Keys whose turn is taken, with who waits behind it.
    private var lines: [String: Line] = [:]
    private var nextWaiter = 0
    let window: Duration

    init(window: Duration) { self.window = window }

    /// Runs `body` in its turn among the events of `key`.
    func run<T: Sendable>(_ key: String, order: Int, _ body: @Sendable () async throws -> T) async throws -> T {
        await enter(key, order: order)
        do {
            let result = try await body()
            leave(key)
            return result
        } catch {
            leave(key)
            throw error
        }
    }

    private func enter(_ key: String, order: Int) async {
        guard lines[key] == nil else {
            await withCheckedContinuation { lines[key, default: Line()].waiting.append(waiter(order, $0)) }
            return
        }
        lines[key] = Line()
        // The first of a burst: let the others arrive and queue behind it (the actor runs them while this sleeps).
        if window > .zero { try? await Task.sleep(for: window) }
        guard let lowest = lowestWaiter(key), lowest.order < order else { return }
        // Someone earlier came in meanwhile: it goes first, and this one waits its turn.
        await withCheckedContinuation { continuation in
            lines[key]?.waiting.append(waiter(order, continuation))
            take(lowest, from: key).continuation.resume()
        }
    }

    private func leave(_ key: String) {
        guard let next = lowestWaiter(key) else {
            lines[key] = nil
            return
        }
        take(next, from: key).continuation.resume()
    }

    private func lowestWaiter(_ key: String) -> Waiter? {
        lines[key]?.waiting.min { $0.order < $1.order }
    }

    private func take(_ waiter: Waiter, from key: String) -> Waiter {
        lines[key]?.waiting.removeAll { $0.id == waiter.id }
        return waiter
    }

    private func waiter(_ order: Int, _ continuation: CheckedContinuation<Void, Never>) -> Waiter {
        nextWaiter += 1
        return Waiter(id: nextWaiter, order: order, continuation: continuation)
    }
}
