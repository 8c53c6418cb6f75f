import BatonCore
import Logging
import PostgresNIO

/// A step's save (its new messages, its outbox jobs and its session's row), waiting to be written together with
/// the saves of other sessions in the same transaction: one statement and one round trip for all of them, a call of
/// a function PostgreSQL plans once per connection (see `PostgresGroupCommit` and ``query(_:notifying:)``).
struct PendingSave: Sendable {
    let step: PostgresSessionStore.StepWrite
    /// When set, the save writes only if no live message of its session has a provider order after this one
    /// (an agent's reply that came in order, the usual case); otherwise it writes nothing and says so.
    let unlessLaterThan: Int64?

    /// Writes `saves` (of different sessions) in one statement and returns the positions of those that wrote. A
    /// save alone reports a repeated client or external id as the `SessionStoreError` its caller expects; in a
    /// statement of several, whose it was is not known, and the error is PostgreSQL's. The statement also sends
    /// what `announcer` gives for each save's messages, for the saves that write.
    static func write(
        _ saves: [PendingSave], announcedBy announcer: TransactionAnnouncerSlot, on connection: PostgresConnection, logger: Logger
    ) async throws -> Set<Int> {
        var saved: Set<Int> = []
        let message = saves.count == 1 ? saves[0].step.messages.first(where: \.bringsItsOwnID) : nil
        try await PostgresSessionStore.reportingDuplicates(of: message) {
            let notifications = Notifications(saves, announcer: announcer)
            for try await position in try await connection.query(try query(saves, notifying: notifications), logger: logger).decode(Int64.self) {
                saved.insert(Int(position))
            }
        }
        return saved
    }

    /// The statement that writes `saves`: `baton_save_sessions` (migration 9), whose statement PostgreSQL plans once
    /// per connection, given the saves' sessions, messages, jobs and notifications as columns of arrays, which
    /// `unnest` turns back into rows: its parts are the same whatever the number of saves. In it `s` is a row per
    /// save; `ok` those that write (a save with `unlessLaterThan` only when no live message of its session has a
    /// later provider order); `m`, `o` and `u` write the messages, jobs and session rows of those, `u` returning
    /// each save's position; `nt` sends the notifications of the saves that write, in order (`ORDER BY`: PostgreSQL
    /// calls the volatile `pg_notify` after sorting), read through its count, as PostgreSQL runs a part that only
    /// reads only when the query reads it. It runs every data-modifying part once, whether the query reads it or
    /// not, and they write different rows (one session per save, its messages and jobs), so the snapshot they share
    /// hides nothing any of them needs. The jobs go in the order given, so their ids (the order jobs run in) follow
    /// each step's.
    static func query(_ saves: [PendingSave], notifying notifications: Notifications = Notifications()) throws -> PostgresQuery {
        var sessions = SessionColumns()
        var messages = MessageColumns()
        var jobs = JobColumns()
        for (position, save) in saves.enumerated() {
            sessions.append(save, position: Int64(position))
            for message in save.step.messages { messages.append(message) }
            for job in save.step.update.jobs { try jobs.append(job, of: save.step) }
        }
        var sql = PostgresQuery.StringInterpolation(literalCapacity: 128, interpolationCount: 28)
        sql.appendLiteral("SELECT n FROM baton_save_sessions(")
        sql.appendList(sessions.columns + messages.columns + jobs.columns + notifications.columns)
        sql.appendLiteral(") AS n")
        return PostgresQuery(stringInterpolation: sql)
    }
}

extension PendingSave {
    /// The notifications a save statement sends for the messages it takes back and stores and the handover phases it
    /// moves to (see ``TransactionAnnouncer``), each with its save's session, so that a save that does not write
    /// (`unlessLaterThan`) announces nothing.
    struct Notifications {
        var channels: [String] = [], payloads: [String] = [], sessions: [String] = []

        init() {}

        /// What `announcer` gives for each save's retraction, messages and phase; none when it wants them announced
        /// after the commit.
        init(_ saves: [PendingSave], announcer: TransactionAnnouncerSlot) {
            for save in saves where !save.step.messages.isEmpty || save.step.update.handoverPhase != nil || save.step.update.retracted != nil {
                for (channel, payload) in announcer.notifications(of: save.step) ?? [] {
                    channels.append(channel)
                    payloads.append(payload)
                    sessions.append(save.step.sessionID.rawValue)
                }
            }
        }

        /// The arguments of `baton_save_sessions` that say what to send: channels, payloads, and each one's session.
        var columns: [any PostgresDynamicTypeEncodable] { [channels, payloads, sessions] }
    }
}
