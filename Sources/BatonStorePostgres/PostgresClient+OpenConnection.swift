import BatonCore
import Logging
import PostgresNIO
import Synchronization

/// Statements that never wait for good on a connection the server closed.
///
/// After the server closes connections (a restart, a failover, `pg_terminate_backend`), PostgresNIO 1.33's pool may
/// hand one out once more before it notices, and a statement written to a closing connection may be neither
/// answered nor failed (the query goes to a channel whose handler is gone, with no promise to fail). Its caller, an
/// outbox worker, a request or the group commit, would wait for good, holding its lease and its sessions. So a
/// connection found closed is given back for another, and a statement still unanswered a moment after its
/// connection closed is given up (``ClosedConnectionWatch``).
extension PostgresClient {
    /// How many connections are leased in all while closed ones are handed out.
    static let leasesForAnOpenConnection = 3

    /// Runs `body` on a pooled connection that is not closed, and gives up waiting for it (``ConnectionLost``) should
    /// that connection close and `body` not end within `watch`'s grace. One found closed is given back once it is
    /// closed through: the pool's own callback on `closeFuture` came first, so it leases another next time.
    func withOpenConnection<Result: Sendable>(
        watchedBy watch: ClosedConnectionWatch, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withOpenConnection { connection in try await watch.run(on: connection) { try await body(connection) } }
    }

    /// Runs `body` on a pooled connection that is not closed, unwatched: for the rare transactions whose body cannot
    /// outlive its caller (a migration, a setting made once, a job requeued by hand).
    func withOpenConnection<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        for lease in 1...Self.leasesForAnOpenConnection {
            let result: Result? = try await withConnection { connection in
                guard !connection.isClosed else {
                    try? await connection.closeFuture.get()
                    if lease == Self.leasesForAnOpenConnection { throw ConnectionClosed() }
                    return nil
                }
                do {
                    return try await body(connection)
                } catch where Self.isCut(error) {
                    await Self.closeThrough(connection)
                    throw error
                }
            }
            if let result { return result }
        }
        throw ConnectionClosed()
    }

    /// Closes `connection`, which was cut, and waits until it is closed through, so that a caller's next try is not
    /// handed it again once it is back in the pool: the pool may not have seen it close yet.
    static func closeThrough(_ connection: PostgresConnection) async {
        try? await connection.close()
        try? await connection.closeFuture.get()
    }

    /// Runs `body` in a transaction on a pooled connection that is not closed (unwatched, see above), and throws what
    /// `body` threw rather than PostgresNIO's wrapper around it.
    func transaction<Result: Sendable>(logger: Logger, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await withOpenConnection { connection in
                try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
            }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
    }

    /// Runs `query` on an open pooled connection and collects its rows.
    func rows(_ query: PostgresQuery, logger: Logger, watchedBy watch: ClosedConnectionWatch) async throws -> [PostgresRandomAccessRow] {
        try await withOpenConnection(watchedBy: watch) { connection in
            try await connection.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
        }
    }

    /// Runs `query`, which is safe to run twice (a read, or a write whose second run changes nothing more: an upsert,
    /// an update to given values, a delete), and runs it again on another connection while it fails because the
    /// server cut its connection, up to ``runsAfterACut`` times in all: after a restart every pooled connection may
    /// fail one statement before the pool has heard of the close.
    func repeatable(_ query: PostgresQuery, logger: Logger, watchedBy watch: ClosedConnectionWatch) async throws -> [PostgresRandomAccessRow] {
        for _ in 1..<Self.runsAfterACut {
            do { return try await rows(query, logger: logger, watchedBy: watch) } catch where Self.isCut(error) {}
        }
        return try await rows(query, logger: logger, watchedBy: watch)
    }

    /// How many times ``repeatable(_:logger:watchedBy:)`` runs a statement in all while its connection is cut under it.
    static let runsAfterACut = 5

    /// Whether `error` says the server ended the statement's connection (a restart, a failover, a terminated
    /// backend), rather than anything about the statement.
    static func isCut(_ error: any Error) -> Bool {
        if error is ConnectionClosed || error is ConnectionLost { return true }
        if let failed = error as? PostgresTransactionError {
            return [failed.beginError, failed.closureError, failed.commitError, failed.rollbackError].contains { $0.map(isCut) == true }
        }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError: return true
        // 57P01–57P05: the server ended the session (a shutdown, a crash, `pg_terminate_backend`, an idle timeout).
        case .server: return error.serverInfo?[.sqlState]?.hasPrefix("57P0") == true
        default: return false
        }
    }

    /// Runs `query`, whose rows are of no interest, on an open pooled connection.
    func execute(_ query: PostgresQuery, logger: Logger, watchedBy watch: ClosedConnectionWatch) async throws {
        _ = try await rows(query, logger: logger, watchedBy: watch)
    }
}

/// Gives up the statements whose connection closed and that were not answered within `grace` of it.
///
/// Each statement runs in a task of its own, so that its caller can stop waiting for it. The close of each
/// connection is heard once (one callback on its `closeFuture`, whatever the number of statements it runs).
final class ClosedConnectionWatch: Sendable {
    private struct State {
        /// The connections whose close is heard of, by id.
        var heard: Set<Int> = []
        /// What gives up each waiting statement, by connection id and then statement.
        var waiting: [Int: [Int: @Sendable () -> Void]] = [:]
        var lastStatement = 0
    }

    private let state = Mutex(State())
    /// How long after its connection closed a statement may still be answered (PostgresNIO fails the ones it knows
    /// of at once, with the server's own error).
    let grace: TimeAmount

    init(grace: TimeAmount = .seconds(1)) {
        self.grace = grace
    }

    /// Runs `operation`, statements on `connection`, and fails its wait with ``ConnectionLost`` once `connection`
    /// has been closed for `grace` and it has not ended. A cancelled caller waits for it all the same (as for a
    /// statement run in its own task): the connection goes back to the pool only once `operation` is done with it.
    func run<Result: Sendable>(on connection: PostgresConnection, _ operation: @escaping @Sendable () async throws -> Result) async throws -> Result {
        let id = connection.id
        return try await WriteAnswer<Result>.waitingThroughCancellation { answer in
            let (mine, firstHeard) = state.withLock { state -> (Int, Bool) in
                state.lastStatement += 1
                state.waiting[id, default: [:]][state.lastStatement] = { answer.give(.failure(ConnectionLost())) }
                return (state.lastStatement, state.heard.insert(id).inserted)
            }
            if firstHeard {
                connection.closeFuture.whenComplete { _ in
                    connection.eventLoop.scheduleTask(in: self.grace) { self.giveUp(connection: id) }
                }
            }
            Task {
                let result: Swift.Result<Result, any Error>
                do { result = .success(try await operation()) } catch { result = .failure(error) }
                self.state.withLock { _ = $0.waiting[id]?.removeValue(forKey: mine) }
                answer.give(result)
            }
        }
    }

    /// Statements waiting now (for tests).
    var waiting: Int { state.withLock { $0.waiting.values.reduce(0) { $0 + $1.count } } }

    private func giveUp(connection id: Int) {
        let given = state.withLock { state in
            state.heard.remove(id)
            return state.waiting.removeValue(forKey: id)?.values
        }
        given?.forEach { $0() }
    }
}

/// The pool handed out only connections the server had closed: nothing ran.
struct ConnectionClosed: Error, CustomStringConvertible {
    var description: String { "the database connection was closed" }
}

/// A statement, or a transaction, whose connection closed and that was never answered: whether it ran, or
/// committed, is not known.
struct ConnectionLost: Error, CustomStringConvertible {
    var description: String {
        "the database connection closed and the statement was never answered; whether it ran is not known"
    }
}
