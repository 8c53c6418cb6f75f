import Synchronization

/// Every request in arrival order, and the tests waiting for a number of them.
final class RequestLog: Sendable {
    private struct State {
        var requests: [RecordedRequest] = []
        var waiters: [(id: Int, count: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var nextWaiter = 0
    }
    private let state = Mutex(State())

    /// Records a request as it arrives (before it is answered, so a test can see a request that is still waiting).
    @discardableResult
    func record(_ request: IncomingRequest) -> Int {
        let (id, ready) = state.withLock { state in
            let id = state.requests.count + 1
            state.requests.append(
                RecordedRequest(id: id, method: request.method, path: request.path, query: request.query, headers: request.headers, body: request.body))
            let ready = state.waiters.filter { $0.count <= id }
            state.waiters.removeAll { $0.count <= id }
            return (id, ready.map(\.continuation))
        }
        for continuation in ready { continuation.resume() }
        return id
    }

    var all: [RecordedRequest] { state.withLock { $0.requests } }

    /// The first `count` requests, once they have arrived; throws ``StandInWaitTimeout`` after `timeout`.
    func wait(count: Int, timeout: Duration) async throws -> [RecordedRequest] {
        let arrived = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.arrival(of: count); return true }
            group.addTask { (try? await Task.sleep(for: timeout)) == nil }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        let requests = all
        guard arrived, requests.count >= count else { throw StandInWaitTimeout(wanted: count, arrived: requests.count) }
        return Array(requests.prefix(count))
    }

    private func arrival(of count: Int) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.requests.count >= count || Task.isCancelled { return true }
                    state.waiters.append((id, count, continuation))
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                let found = state.waiters.first { $0.id == id }
                state.waiters.removeAll { $0.id == id }
                return found?.continuation
            }
            waiter?.resume()
        }
    }
}
