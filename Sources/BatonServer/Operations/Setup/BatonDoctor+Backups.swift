import BatonConfig
import BatonStoreSQLite
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension BatonDoctor {
    /// A copy is late when the newest is older than this many intervals: one is written each interval, and one that
    /// failed is tried again within the hour.
    static let backupsLateAfterIntervals = 2.0

    /// `storage.sqlite.backups`: the folder is writable and its newest copy is not late, so a lost disk would cost at
    /// most the hours since.
    func backups(_ settings: SQLiteBackupSettings) -> CheckLine {
        let folder = settings.folder
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            return CheckLine(
                .failed, "backups", "there is no folder \(folder) and so no copy yet",
                fix: "start Baton (it makes the folder and writes the first copy at start), or check that its user may create \(folder)")
        }
        guard access(folder, W_OK) == 0 else {
            return CheckLine(.failed, "backups", "\(folder) cannot be written to", fix: "give Baton's user write access to it")
        }
        let copies = (try? SQLiteBackup.copies(in: folder)) ?? []
        guard let newest = copies.last?.time else {
            return CheckLine(
                .failed, "backups", "\(folder) has no copy yet",
                fix: "start Baton (it writes the first copy at start); if it runs, its log says why it could not ('the database could not be backed up')")
        }
        let hours = now().timeIntervalSince(newest) / 3600
        let age = hours < 1 ? "less than an hour" : "\(Int(hours)) hour\(Int(hours) == 1 ? "" : "s")"
        guard hours <= Double(settings.everyHours) * Self.backupsLateAfterIntervals else {
            return CheckLine(
                .failed, "backups", "the newest copy in \(folder) is \(age) old, and one is due every \(settings.everyHours) hours",
                fix: "check that Baton runs, and its log for 'the database could not be backed up' (a full disk, permissions)")
        }
        return CheckLine(.ok, "backups", "\(copies.count) cop\(copies.count == 1 ? "y" : "ies") in \(folder), the newest \(age) old")
    }
}
