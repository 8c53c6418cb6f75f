import ArgumentParser
import BatonConfig
import BatonStoreSQLite
import Foundation

/// `baton backup`: a consistent copy of the SQLite database while Baton runs (see `SQLiteBackup`). PostgreSQL has
/// its own tools, which this command names rather than wraps.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the SQLite database, consistent and checked, while Baton runs.",
        discussion: """
            The copy holds everything Baton keeps (sessions, messages, users' files, the outbox). It is written under a \
            hidden name, checked, flushed and then named, and never replaces a file. Give a folder (one that exists, \
            or a path ending in /) to have it named after the time (baton-YYYYMMDD-HHMMSS.sqlite, UTC), e.g. from \
            cron. baton restore puts one back. With PostgreSQL, use pg_dump.
            """)

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "Where to write the copy: a new file, or a folder (one that exists, or a path ending in /).")
    var to: String

    func run() throws {
        let database = try sqliteDatabase(options, otherwise: "back it up with PostgreSQL's own tools, e.g. pg_dump --format=custom")
        let summary: SQLiteBackup.Summary
        do {
            summary = try SQLiteBackup.write(database: database, to: to)
        } catch {
            print("error: no backup of \(database) was written: \(error)")
            throw ExitCode.failure
        }
        let megabytes = Double(summary.bytes) / 1_048_576
        print("ok: \(summary.path): \(summary.sessions) session(s), \(String(format: "%.1f", megabytes)) MB, schema \(summary.schema ?? "none")")
    }
}

/// `baton restore`: a copy put in the SQLite database's place, with Baton stopped (see `SQLiteRestore`).
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put a copy written by baton backup in the SQLite database's place (Baton stopped).",
        discussion: """
            The copy is checked first, and the command refuses while any process has the database open. The database \
            it replaces is kept beside it as <database>.before-restore-YYYYMMDD-HHMMSS, with its log. Start Baton \
            afterwards: it migrates an older copy and reads the handovers in progress back from Chatwoot. With \
            PostgreSQL, use pg_restore.
            """)

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "The copy to restore (a file baton backup wrote).")
    var from: String

    func run() throws {
        let database = try sqliteDatabase(options, otherwise: "restore it with PostgreSQL's own tools, e.g. pg_restore")
        let summary: SQLiteRestore.Summary
        do {
            summary = try SQLiteRestore.restore(from, as: database)
        } catch {
            print("error: \(from) was not restored: \(error)")
            throw ExitCode.failure
        }
        print("ok: \(database) is now \(from): \(summary.copy.sessions) session(s), schema \(summary.copy.schema ?? "none")")
        if let kept = summary.keptAs { print("the database it replaced is kept as \(kept)") }
    }
}

/// The SQLite database the config names; with PostgreSQL, an error that says what to do `otherwise`, naming the
/// storage's location and never its URL (it may hold a password).
func sqliteDatabase(_ options: ConfigOptions, otherwise: String) throws -> String {
    let configuration = try options.loadForStore()
    guard configuration.storage.postgres == nil else {
        print("error: this configuration keeps its data in \(configuration.storage.location); \(otherwise) (docs/operations.md, \"Backups\")")
        throw ExitCode.failure
    }
    return configuration.storage.sqlitePath
}
