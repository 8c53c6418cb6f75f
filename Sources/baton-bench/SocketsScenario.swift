import Foundation
import Synchronization

/// Open sockets and what each costs the server: `count` first (resident memory before and after, per socket),
/// then, for Baton, more until it refuses one, to show that it refuses (503) instead of running out of
/// descriptors.
struct SocketsScenario {
    struct Figures: Sendable, Codable {
        var opened = 0
        var bytesPerSocket = 0
        var residentBefore = 0
        var residentAfter = 0
        var openSeconds: Double = 0
        /// Baton only: how many were open when the first was refused, what the refusal said, whether it lived on.
        var openAtRefusal: Int?
        var refusal: String?
        var aliveAfterRefusal: Bool?
    }

    /// Opens `count` sockets with `open` (64 at a time); returns them and the figures.
    static func hold(
        _ count: Int, server: ChildProcess, open: @escaping @Sendable (Int) async throws -> BenchSocket
    ) async throws -> ([BenchSocket], Figures) {
        var figures = Figures()
        figures.residentBefore = server.residentBytes
        let started = ContinuousClock.now
        let sockets = try await openMany(count, from: 0, open: open)
        figures.openSeconds = (ContinuousClock.now - started) / .seconds(1)
        figures.opened = sockets.count
        figures.residentAfter = server.residentBytes
        figures.bytesPerSocket = (figures.residentAfter - figures.residentBefore) / max(1, sockets.count)
        return (sockets, figures)
    }

    static func openMany(_ count: Int, from first: Int, open: @escaping @Sendable (Int) async throws -> BenchSocket) async throws -> [BenchSocket] {
        try await withThrowingTaskGroup(of: BenchSocket.self) { group in
            var sockets: [BenchSocket] = []
            sockets.reserveCapacity(count)
            var next = first
            for _ in 0..<min(64, count) {
                let number = next
                next += 1
                group.addTask { try await open(number) }
            }
            for try await socket in group {
                sockets.append(socket)
                if next < first + count {
                    let number = next
                    next += 1
                    group.addTask { try await open(number) }
                }
            }
            return sockets
        }
    }

    /// Keeps opening sockets (64 at a time) until one is refused or `limit` more are open; returns those opened
    /// and the first refusal. Sockets opened alongside the refused one still count: the server held them.
    static func openUntilRefused(
        alreadyOpen: Int, limit: Int, open: @escaping @Sendable (Int) async throws -> BenchSocket
    ) async -> (extra: [BenchSocket], refusal: String?) {
        await withTaskGroup(of: Result<BenchSocket, any Error>.self) { group in
            var extra: [BenchSocket] = []
            var refusal: String?
            var next = alreadyOpen
            func schedule() {
                let number = next
                next += 1
                group.addTask {
                    do { return .success(try await open(number)) } catch { return .failure(error) }
                }
            }
            for _ in 0..<64 { schedule() }
            for await result in group {
                switch result {
                case .success(let socket): extra.append(socket)
                case .failure(let error): refusal = refusal ?? String(describing: error)
                }
                if refusal == nil, next < alreadyOpen + limit { schedule() }
            }
            return (extra, refusal)
        }
    }

    static func closeAll(_ sockets: [BenchSocket]) async {
        await withDiscardingTaskGroup { group in
            for chunk in stride(from: 0, to: sockets.count, by: 256) {
                let part = sockets[chunk..<min(sockets.count, chunk + 256)]
                group.addTask { for socket in part { await socket.close() } }
            }
        }
    }
}
