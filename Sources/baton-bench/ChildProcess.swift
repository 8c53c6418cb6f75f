import Foundation
import ProcessSpawning
import Synchronization

/// A server under measurement, run as its own process so its memory and CPU are its own. Started with
/// `posix_spawn` (`SpawnedProcess`), not Foundation's `Process`, whose `run()` can crash the benchmark in Swift 6.3.1.
final class ChildProcess: Sendable {
    let process: SpawnedProcess
    /// The line it printed that said it was ready.
    let readyLine: String
    /// From launch to that line.
    let startToReady: Duration

    private init(process: SpawnedProcess, readyLine: String, startToReady: Duration) {
        self.process = process
        self.readyLine = readyLine
        self.startToReady = startToReady
    }

    /// Launches `executable` and returns once a line of its standard output satisfies `isReady`.
    static func start(
        _ executable: URL, arguments: [String], environment: [String: String] = [:],
        timeout: Duration = .seconds(30), isReady: @escaping @Sendable (String) -> Bool
    ) async throws -> ChildProcess {
        let output = Pipe()
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        let partial = Mutex("")
        let reader = output.fileHandleForReading
        // Blocking reads on a thread of their own, not `readabilityHandler`, whose dispatch sources crashed a test
        // process in libdispatch's event loop (see the tests' BatonProcess).
        Thread.detachNewThread {
            while true {
                let data = reader.availableData
                guard !data.isEmpty else { break }
                let complete = partial.withLock { text -> [String] in
                    text += String(decoding: data, as: UTF8.self)
                    var parts = text.components(separatedBy: "\n")
                    text = parts.removeLast()
                    return parts
                }
                complete.forEach { continuation.yield($0) }
            }
            continuation.finish()
        }
        let clock = ContinuousClock()
        let launched = clock.now
        let process = try SpawnedProcess.launch(
            executable.path, arguments: arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
            standardOutput: .pipe(output), standardError: .inherited)
        let line = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                for await line in lines where isReady(line) { return line }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        let elapsed = clock.now - launched
        guard let line else {
            process.send(SIGTERM)
            throw BenchError("\(executable.lastPathComponent) did not become ready within \(timeout)")
        }
        return ChildProcess(process: process, readyLine: line, startToReady: elapsed)
    }

    /// Resident memory in bytes, from /proc.
    var residentBytes: Int { statusBytes("VmRSS:") }

    /// The part of the resident memory that is the process's own (heap, stacks), not pages of its executable mapped
    /// from the file. Those are most of an idle process's, and how many are resident varies with the file's pages in
    /// the kernel's cache (a just-linked binary maps more around each page it touches).
    var anonymousBytes: Int { statusBytes("RssAnon:") }

    /// A size line of `/proc/<pid>/status`, in bytes.
    private func statusBytes(_ field: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) })
        else { return 0 }
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kilobytes * 1024
    }

    /// The machine's processor time so far, busy and in all, in clock ticks (the first line of `/proc/stat`).
    static func machineTicks() -> (busy: Double, total: Double) {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let line = stat.split(separator: "\n").first else { return (0, 0) }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 5 else { return (0, 0) }
        // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
        let total = ticks.prefix(8).reduce(0, +)
        return (total - ticks[3] - ticks[4], total)
    }

    /// Processor time it has used so far (user and system), from `/proc/<pid>/stat`.
    var cpuSeconds: Double { Self.cpuSeconds(stat: "/proc/\(process.processIdentifier)/stat")?.seconds ?? 0 }

    /// Processor time used so far by the bench's own process: the load, the sockets and the Chatwoot stand-in.
    static var ownCPUSeconds: Double { cpuSeconds(stat: "/proc/self/stat")?.seconds ?? 0 }

    /// Processor time used so far by the running processes named `name` (e.g. PostgreSQL's server and backends,
    /// all named `postgres`).
    static func cpuSeconds(ofProcessesNamed name: String) -> Double {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { $0.allSatisfy(\.isNumber) } ?? []
        return pids.compactMap { cpuSeconds(stat: "/proc/\($0)/stat") }.filter { $0.name == name }.map(\.seconds).reduce(0, +)
    }

    /// A process's name and processor time (user and system) from its `stat` file; nil once it is gone.
    static func cpuSeconds(stat path: String) -> (name: Substring, seconds: Double)? {
        guard let stat = try? String(contentsOfFile: path, encoding: .utf8),
            let nameStart = stat.firstIndex(of: "("), let afterName = stat.range(of: ") ", options: .backwards)
        else { return nil }
        // Fields after the name start at field 3 (state); utime and stime are fields 14 and 15, in clock ticks.
        let fields = stat[afterName.upperBound...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let name = stat[stat.index(after: nameStart)..<afterName.lowerBound]
        return (name, (user + system) / Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// Open descriptors, from /proc.
    var openFiles: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/fd").count) ?? 0
    }

    var isRunning: Bool { process.isRunning }

    func stop() {
        process.send(SIGTERM)
        process.waitUntilExit()
    }

    func kill() {
        process.send(SIGKILL)
        process.waitUntilExit()
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
