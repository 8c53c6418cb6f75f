import Foundation
import Synchronization
import Testing

/// Runs a test body and gives up on it after `limit`, failing the test instead of hanging the suite.
///
/// Swift Testing's `.timeLimit` cancels the test and then still waits for it, so an await that ignores
/// cancellation (a pool request on a connection PostgreSQL just terminated, say) would hold the whole run and
/// CI with it. Here the body runs as its own task and the test stops waiting for it; the task is left behind.
func withDeadline(
    _ limit: Duration = .seconds(90), sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable () async throws -> Void
) async throws {
    // Whichever comes first, the body's end or the deadline, is the outcome; it may come before the wait begins.
    let state = Mutex<(result: Result<Void, any Error>?, waiter: CheckedContinuation<Result<Void, any Error>, Never>?)>((nil, nil))
    let finish: @Sendable (Result<Void, any Error>) -> Void = { result in
        let waiter = state.withLock { state -> CheckedContinuation<Result<Void, any Error>, Never>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: result)
    }
    let work = Task {
        do { finish(.success(try await body())) } catch { finish(.failure(error)) }
    }
    let timer = Task {
        try? await Task.sleep(for: limit)
        finish(.failure(DeadlineExceeded(limit: limit)))
    }
    let result = await withCheckedContinuation { continuation in
        let ready = state.withLock { state -> Result<Void, any Error>? in
            if state.result == nil { state.waiter = continuation }
            return state.result
        }
        if let ready { continuation.resume(returning: ready) }
    }
    timer.cancel()
    if case .failure(let error) = result, error is DeadlineExceeded {
        work.cancel()
        Issue.record("the test did not finish within \(limit); it was left running", sourceLocation: sourceLocation)
    }
    try result.get()
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "deadline of \(limit) exceeded" }
}
