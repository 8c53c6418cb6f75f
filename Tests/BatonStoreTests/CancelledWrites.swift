import BatonCore
import Testing

/// A server told to stop cancels its requests, and their writes' waits must end then, in both stores' group commits:
/// a queued write is taken out and never runs, a caller cancelled before it writes never queues, and one whose write
/// is in a transaction hears at once while the write goes on. Checked with `held`, a write in a transaction that
/// `release` lets go, ahead of what `queue` submits (returning once it waits in the queue, whose length `waiting` is).
func expectCancelledCallersToStopWaiting<Held: Sendable>(
    store: any SessionStore, session: Session, waiting: () -> Int,
    queue: (@escaping @Sendable () async throws -> [Message]) async -> Task<[Message], any Error>,
    held: Task<Held, any Error>, release: () async throws -> Void
) async throws {
    let cancelled = await queue { try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("cancelled")) }.messages }
    let kept = await queue { try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("kept")) }.messages }
    cancelled.cancel()
    // Answered while the transaction ahead is still held.
    await #expect(throws: CancellationError.self) { try await cancelled.value }
    #expect(waiting() == 1)
    let early = Task { () async throws -> [Message] in
        withUnsafeCurrentTask { $0?.cancel() }
        return try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("too late")) }.messages
    }
    await #expect(throws: CancellationError.self) { try await early.value }
    #expect(waiting() == 1)
    held.cancel()
    await #expect(throws: CancellationError.self) { try await held.value }
    try await release()
    #expect(try await kept.value.map(\.content.text) == ["kept"])
    #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).map(\.content.text) == ["kept"])
}
