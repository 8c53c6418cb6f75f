/// A lock per key for async code: `lock` waits while another caller holds the key; `unlock` hands it to the next,
/// in the order they came. (The SQLite store's settings made once, one copy of the database at a time.)
public actor KeyedLock {
    private var held: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    public init() {}

    public func lock(_ key: String) async {
        guard held.contains(key) else {
            held.insert(key)
            return
        }
        await withCheckedContinuation { waiting[key, default: []].append($0) }
    }

    public func unlock(_ key: String) {
        if var queue = waiting[key], !queue.isEmpty {
            // The key stays held: it passes to the next waiter.
            let next = queue.removeFirst()
            waiting[key] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            held.remove(key)
        }
    }

    /// Runs `body` holding `key`, and lets it go however `body` ends.
    public nonisolated func holding<T: Sendable>(_ key: String, _ body: @Sendable () async throws -> T) async throws -> T {
        await lock(key)
        do {
            let result = try await body()
            await unlock(key)
            return result
        } catch {
            await unlock(key)
            throw error
        }
    }
}
