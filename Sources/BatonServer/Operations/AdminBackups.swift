import BatonConfig
import BatonStoreSQLite
import Foundation
import Hummingbird

/// The admin page's "Backups" card, for the SQLite store (PostgreSQL has its own tools, and no card): the schedule,
/// the newest copy, the last failure, and `POST /admin/backups` to write a copy now (before an upgrade, say).
struct AdminBackups: Sendable {
    /// Baton's own copies, when `storage.sqlite.backups` names a folder.
    let scheduled: ScheduledBackups?

    var overview: BackupsOverview { scheduled?.overview() ?? BackupsOverview(scheduled: false, copies: 0) }

    /// `POST /admin/backups`: 201 with the copy written into the folder (its name, size, sessions), after the one being
    /// written, if any; 409 when no folder is set; 500 `backup_failed` with SQLite's or the file system's reason.
    func backUpNow() async throws -> Response {
        guard let scheduled else {
            throw APIError(
                .conflict, "backups_not_configured",
                "storage.sqlite.backups names no folder for copies; set it, or write one with `baton backup --to <folder>`")
        }
        let summary: SQLiteBackup.Summary
        do {
            summary = try await scheduled.backUpNow()
        } catch {
            throw APIError(.internalServerError, "backup_failed", "no copy was written: \(error)")
        }
        let written = Written(name: (summary.path as NSString).lastPathComponent, bytes: summary.bytes, sessions: summary.sessions)
        return try .json(written, status: .created)
    }

    struct Written: Encodable {
        var name: String
        var bytes: Int64
        var sessions: Int
    }
}

/// The SQLite database's copies, as `GET /admin/overview` answers them (`backups`).
struct BackupsOverview: Encodable, Sendable {
    struct Copy: Encodable, Sendable {
        var name: String
        var at: String
        var bytes: Int64
    }

    struct Failure: Encodable, Sendable {
        var at: String
        var reason: String
    }

    /// Whether Baton writes copies itself (`storage.sqlite.backups`); when not, the rest is empty.
    var scheduled: Bool
    var folder: String?
    var everyHours: Int?
    var keep: Int?
    var copies: Int
    var newest: Copy?
    /// Why the last copy failed, until one is written.
    var lastFailure: Failure?
}
