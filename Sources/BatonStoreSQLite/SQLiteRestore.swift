public import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// Puts a copy written by `SQLiteBackup` in the database's place, with Baton stopped, and spares the operator the
/// pitfalls of doing it by hand: the copy is checked first; the database is refused while any process has it open (Baton still
/// running: it takes the database's lock, which it cannot while another connection holds it); the database it
/// replaces is kept beside it, renamed, with its write-ahead log, never deleted; and no log of the old database is
/// left where SQLite would apply it to the copy. The copy takes the old database's owner and permissions.
public enum SQLiteRestore {
    /// What a restore did.
    public struct Summary: Sendable, Equatable {
        /// The copy's sessions and schema, as a backup reports them.
        public var copy: SQLiteBackup.Summary
        /// Where the database that was replaced now is (`nil` when there was none).
        public var keptAs: String?
    }

    /// Why nothing was restored.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// A process has the database open.
        case inUse(String)

        public var description: String {
            switch self {
            case .inUse(let path):
                "\(path) is open in another process (Baton is running on it?): stop every Baton using it first; nothing was changed"
            }
        }
    }

    /// Replaces the database at `database` with the copy at `copy`.
    ///
    /// - Parameter now: what the replaced database's new name says (`baton.sqlite.before-restore-20261207-093000`).
    public static func restore(_ copy: String, as database: String, now: Date = Date()) throws -> Summary {
        let checked = try SQLiteBackup.check(copy)
        let folder = (database as NSString).deletingLastPathComponent
        let exists = FileManager.default.fileExists(atPath: database)
        if exists { try Self.ensureUnused(database) } else if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let aside = "\(database).before-restore-\(SQLiteBackup.timeStamp(now))"
        guard !exists || !FileManager.default.fileExists(atPath: aside) else { throw SQLiteBackup.Failure.destinationExists(aside) }

        // The copy is made whole beside the database first: a full disk fails here, with the database untouched.
        let partial = (folder.isEmpty ? "." : folder) + "/.\((database as NSString).lastPathComponent).restoring-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: partial) }
        try FileManager.default.copyItem(atPath: copy, toPath: partial)
        let owner = exists ? try FileManager.default.attributesOfItem(atPath: database) : [:]
        let attributes = owner.filter { [.posixPermissions, .ownerAccountID, .groupOwnerAccountID].contains($0.key) }
        try FileManager.default.setAttributes(attributes.isEmpty ? [.posixPermissions: NSNumber(value: 0o600)] : attributes, ofItemAtPath: partial)
        try SQLiteBackup.flush(partial)

        if exists {
            // The log goes with its database (SQLite finds it by the database's name plus -wal); the index is rebuilt.
            try FileManager.default.moveItem(atPath: database, toPath: aside)
            if FileManager.default.fileExists(atPath: database + "-wal") { try FileManager.default.moveItem(atPath: database + "-wal", toPath: aside + "-wal") }
            try? FileManager.default.removeItem(atPath: database + "-shm")
        }
        guard rename(partial, database) == 0 else { throw SQLiteBackup.error(errno) }
        try SQLiteBackup.flush(folder.isEmpty ? "." : folder)
        return Summary(copy: checked, keptAs: exists ? aside : nil)
    }

    /// Throws `inUse` when another connection has the database open: in WAL mode every connection holds a shared
    /// lock on the file for as long as it is open, so an exclusive one is granted only when there is none.
    static func ensureUnused(_ database: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .immediateError
        var connection: DatabaseQueue?
        defer { try? connection?.close() }
        do {
            // GRDB reads the schema as it opens: a damaged file fails here already.
            connection = try DatabaseQueue(path: database, configuration: configuration)
            try connection?.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
                try db.execute(sql: "BEGIN EXCLUSIVE")
                try db.execute(sql: "ROLLBACK")
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            throw Failure.inUse(database)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT {
            // A damaged database is what a restore is often for, and nothing can be running on it; it is kept aside too.
            return
        }
        // Closed as the last connection (the `defer`): SQLite copies its log into the file and deletes it, so the
        // file is whole where it is kept.
    }
}
