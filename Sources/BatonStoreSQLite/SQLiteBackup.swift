public import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// A consistent copy of Baton's SQLite database, taken while Baton runs (from this process or another one).
///
/// Copying the file itself is not a backup: the last commits are in its write-ahead log (`-wal`), and a copy made
/// while a commit or a checkpoint writes is torn. SQLite's online backup copies every page in one read
/// transaction, so the copy is the database as one commit left it, and Baton goes on writing meanwhile (a reader
/// holds no writer back in WAL mode; the log grows for as long as the copy takes, and starts over after it).
///
/// The copy is written beside the destination under a hidden name, checked (`PRAGMA quick_check`), flushed to the
/// disk and only then given the destination's name, so a destination that exists is always a whole, checked copy;
/// an existing file is never replaced. It is a plain SQLite file with everything Baton keeps (sessions, messages,
/// the users' files, the outbox, the handovers' links): to restore it, stop Baton and put it in the database's
/// place (docs/operations.md, "Backups").
public enum SQLiteBackup {
    /// What a backup wrote.
    public struct Summary: Sendable, Equatable {
        /// The copy's path.
        public var path: String
        /// Its size.
        public var bytes: Int64
        /// Its page size (a copy keeps the database's).
        public var pageSize: Int
        /// Sessions in it.
        public var sessions: Int
        /// The last schema migration it has (one of SQLite's migrations' names, e.g. "v12: files and links by session").
        public var schema: String?
    }

    /// Why no backup was written.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Nothing is at the database's path (a backup never creates a database).
        case noDatabase(String)
        /// The destination exists; a backup never replaces a file.
        case destinationExists(String)
        /// The destination's folder does not exist.
        case noFolder(String)
        /// The file is an SQLite database, but not Baton's (it has no sessions).
        case notBaton(String)
        /// The copy did not pass SQLite's check: what it said.
        case damaged(String)

        public var description: String {
            switch self {
            case .noDatabase(let path): "there is no database at \(path)"
            case .destinationExists(let path): "\(path) exists; a backup never replaces a file (choose another name, or a folder)"
            case .noFolder(let path): "the folder \(path) does not exist"
            case .notBaton(let path): "\(path) is not Baton's database (it has no sessions table)"
            case .damaged(let report): "the copy did not pass SQLite's check: \(report)"
            }
        }
    }

    /// Copies the database at `database` to `destination`: a file path, or a folder (one that exists, or a path
    /// ending in `/`), in which the copy is named after the time (`baton-20261207-093000.sqlite`, UTC; a second copy
    /// within that second `baton-20261207-093000-2.sqlite`).
    ///
    /// - Parameter now: the time a copy in a folder is named after.
    public static func write(database: String, to destination: String, now: Date = Date()) throws -> Summary {
        // Opening a connection would create an empty database where there is none, and copy that.
        guard FileManager.default.fileExists(atPath: database) else { throw Failure.noDatabase(database) }
        let target = try Self.target(destination, now: now)
        let folder = (target as NSString).deletingLastPathComponent
        let partial = (folder as NSString).appendingPathComponent(".\((target as NSString).lastPathComponent).\(UUID().uuidString).partial")
        defer { Self.removeQuietly(partial) }

        var configuration = Configuration()
        // The database's writer holds its lock only while it commits; a busy one makes the copy wait, never fail.
        configuration.busyMode = .timeout(10)
        let source = try DatabaseQueue(path: database, configuration: configuration)
        // Made first, readable by its owner alone until it has the database's own permissions (below).
        let made = open(partial, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard made >= 0 else { throw Self.error(errno) }
        close(made)
        let copy = try DatabaseQueue(path: partial)
        try source.backup(to: copy)
        try copy.close()
        try source.close()
        var summary: Summary
        do {
            summary = try Self.check(partial)
        } catch Failure.notBaton {
            throw Failure.notBaton(database)
        }
        // As readable as the database, no more: it holds the same conversations.
        if let mode = try FileManager.default.attributesOfItem(atPath: database)[.posixPermissions] as? NSNumber {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: partial)
        }

        try Self.flush(partial)
        try Self.place(partial, at: target)
        try Self.flush(folder)
        summary.path = target
        return summary
    }

    /// Checks a copy (or any database of Baton's): SQLite's `quick_check` passes and it has Baton's sessions; returns
    /// what it holds.
    public static func check(_ path: String) throws -> Summary {
        guard FileManager.default.fileExists(atPath: path) else { throw Failure.noDatabase(path) }
        let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        let database = try DatabaseQueue(path: path)
        defer { try? database.close() }
        return try database.read { db in
            let report = try String.fetchAll(db, sql: "PRAGMA quick_check")
            guard report == ["ok"] else { throw Failure.damaged(report.prefix(5).joined(separator: "; ")) }
            guard try db.tableExists("sessions") else { throw Failure.notBaton(path) }
            return Summary(
                path: path, bytes: bytes, pageSize: try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0,
                sessions: try Int.fetchOne(db, sql: "SELECT count(*) FROM sessions") ?? 0,
                schema: try String.fetchOne(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid DESC LIMIT 1"))
        }
    }

    /// Gives the flushed copy its name without replacing a file that appeared there meanwhile: link(2) fails where a
    /// file exists, where rename(2) would replace it. On a file system without hard links, a check and a rename.
    private static func place(_ partial: String, at target: String) throws {
        if link(partial, target) == 0 { return }
        let failure = errno
        if failure == EEXIST { throw Failure.destinationExists(target) }
        guard failure == EPERM || failure == EOPNOTSUPP else { throw Self.error(failure) }
        guard !FileManager.default.fileExists(atPath: target) else { throw Failure.destinationExists(target) }
        guard rename(partial, target) == 0 else { throw Self.error(errno) }
    }

    static func error(_ code: Int32) -> POSIXError { POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO) }

    /// Flushes a file's or a folder's contents to the disk (for a folder: the names in it).
    static func flush(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw Self.error(errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw Self.error(errno) }
    }

    /// Removes the hidden copy (linked to its name by then, or left by a failure) and any journal SQLite left beside it.
    private static func removeQuietly(_ partial: String) {
        for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: partial + suffix) }
    }
}
