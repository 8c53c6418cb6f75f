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
            or a path ending in /) to have it named after the time (baton-YYYYMMDD-HHMMSS.sqlite, UTC), e.g. from cron. To restore: stop Baton, put the copy \
            in the database's place and remove the old file's -wal and -shm. With PostgreSQL, use pg_dump.
            """)

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "Where to write the copy: a new file, or a folder (one that exists, or a path ending in /).")
    var to: String

    func run() throws {
        var (configuration, _) = try Check.load(options.path())
        if options.isDemo { configuration.storage.sqlitePath = ConfigOptions.demoSQLitePath }
        guard configuration.storage.postgres == nil else {
            // The location, never the URL: it may hold a password.
            print("error: this configuration keeps its data in \(configuration.storage.location); back it up with PostgreSQL's own tools, e.g. pg_dump --format=custom (docs/operations.md, \"Backups\")")
            throw ExitCode.failure
        }
        let summary: SQLiteBackup.Summary
        do {
            summary = try SQLiteBackup.write(database: configuration.storage.sqlitePath, to: to)
        } catch {
            print("error: no backup of \(configuration.storage.sqlitePath) was written: \(error)")
            throw ExitCode.failure
        }
        let megabytes = Double(summary.bytes) / 1_048_576
        print("ok: \(summary.path): \(summary.sessions) session(s), \(String(format: "%.1f", megabytes)) MB, schema \(summary.schema ?? "none")")
    }
}
