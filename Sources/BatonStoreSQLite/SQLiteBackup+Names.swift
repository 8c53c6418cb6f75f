public import Foundation

/// Where a copy goes, and the names of the copies in a folder, which carry their times (so a schedule can be read
/// back from them after a restart).
extension SQLiteBackup {
    /// The copy's path: `destination`, or a name after the time in it when it is a folder (one that exists, or a
    /// path ending in `/`, made when missing).
    static func target(_ destination: String, now: Date) throws -> String {
        if destination.hasSuffix("/") { try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true) }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw Failure.destinationExists(destination) }
            // A second copy within the same second (an operator's "Back up now" just after the schedule's) gets `-2`.
            let stamp = Self.timeStamp(now)
            for name in ["baton-\(stamp).sqlite"] + (2...9).map({ "baton-\(stamp)-\($0).sqlite" }) {
                let path = (destination as NSString).appendingPathComponent(name)
                if !FileManager.default.fileExists(atPath: path) { return path }
            }
            throw Failure.destinationExists((destination as NSString).appendingPathComponent("baton-\(stamp)-9.sqlite"))
        }
        let folder = (destination as NSString).deletingLastPathComponent
        var folderIsFolder: ObjCBool = false
        guard folder.isEmpty || (FileManager.default.fileExists(atPath: folder, isDirectory: &folderIsFolder) && folderIsFolder.boolValue) else {
            throw Failure.noFolder(folder)
        }
        return folder.isEmpty ? "./\(destination)" : destination
    }

    /// The copies in `folder` (by their names: other files are not Baton's to touch), oldest first; within a second,
    /// `baton-….sqlite` before `baton-…-2.sqlite`.
    public static func copies(in folder: String) throws -> [(name: String, time: Date)] {
        try FileManager.default.contentsOfDirectory(atPath: folder)
            .compactMap { name in Self.time(ofCopyNamed: name).map { (name, $0) } }
            .sorted { ($0.time, $0.name.count, $0.name) < ($1.time, $1.name.count, $1.name) }
    }

    /// The time a copy named by `write(database:to:now:)` in a folder was made, from its name; `nil` for any other name.
    public static func time(ofCopyNamed name: String) -> Date? {
        guard name.hasPrefix("baton-"), name.hasSuffix(".sqlite") else { return nil }
        var stamp = Array(name.dropFirst(6).dropLast(7).utf8)
        // `-2` to `-9`: another copy of the same second.
        if stamp.count == 17, stamp[15] == UInt8(ascii: "-"), (UInt8(ascii: "2")...UInt8(ascii: "9")).contains(stamp[16]) { stamp.removeLast(2) }
        guard stamp.count == 15, stamp[8] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            stamp[range].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ? Int(String(decoding: stamp[range], as: UTF8.self)) : nil
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8), let hour = number(9..<11),
            let minute = number(11..<13), let second = number(13..<15)
        else { return nil }
        let parts = DateComponents(
            calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC")!, year: year, month: month, day: day, hour: hour,
            minute: minute, second: second)
        guard parts.isValidDate else { return nil }
        return parts.date
    }

    /// `20261207-093000`, in UTC: sorts as the times do.
    static func timeStamp(_ date: Date) -> String {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(parts.year ?? 0)\(two(parts.month))\(two(parts.day))-\(two(parts.hour))\(two(parts.minute))\(two(parts.second))"
    }
}
