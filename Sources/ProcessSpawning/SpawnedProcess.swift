public import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, not Foundation's `Process`: in Swift 6.3.1 `Process.run()` reads
/// `/proc/self/fd` to close the child's descriptors and copies each entry's whole 256-byte name, past the end of
/// glibc's readdir buffer when an entry sits at its end and the next page is unmapped (a SIGSEGV in `memmove`,
/// about one run of the suite in six here). `posix_spawn` closes them in the child itself (`closefrom`).
///
/// Standard input is `/dev/null`; standard output and error go to a pipe, to `/dev/null` or to this process's own.
/// Its exit is noticed by a thread blocked in `waitpid`, so it is reaped even when nobody waits for it.
///
/// The tests' child processes and the benchmark's servers start this way.
public final class SpawnedProcess: Sendable {
    /// How it ended.
    public enum Ending: Equatable, Sendable {
        /// It called `exit` with this status.
        case exited(Int32)
        /// A signal it did not handle ended it.
        case signalled(Int32)
    }

    /// Where one of its output streams goes.
    public enum Output {
        case discarded
        /// This process's own (its standard output or error).
        case inherited
        /// The pipe's writing end (closed here once the child holds it, so a reader sees the end when it exits).
        case pipe(Pipe)
    }

    public let processIdentifier: pid_t
    private let ending = Mutex<Ending?>(nil)
    private let exited = DispatchGroup()

    private init(processIdentifier: pid_t) {
        self.processIdentifier = processIdentifier
    }

    /// How it ended, `nil` while it runs.
    public var termination: Ending? { ending.withLock { $0 } }

    public var isRunning: Bool { termination == nil }

    /// Starts `executable` with `arguments` (not counting its own name) and `environment` (this process's when
    /// `nil`); `onExit` runs on the reaping thread once it has ended.
    public static func launch(
        _ executable: String, arguments: [String], environment: [String: String]? = nil,
        standardOutput: Output = .discarded, standardError: Output = .discarded,
        onExit: @escaping @Sendable (SpawnedProcess) -> Void = { _ in }
    ) throws -> SpawnedProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        for (descriptor, output) in [(Int32(1), standardOutput), (2, standardError)] {
            switch output {
            case .discarded: posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0)
            case .inherited: break
            case .pipe(let pipe): posix_spawn_file_actions_adddup2(&actions, pipe.fileHandleForWriting.fileDescriptor, descriptor)
            }
        }
        guard closeFrom(&actions, 3) == 0 else { throw SpawnError.failed("closefrom", errno) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Signals as a fresh process has them: this one ignores SIGPIPE, and an ignored signal stays ignored
        // across exec.
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let environment = environment ?? ProcessInfo.processInfo.environment
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }

        var pid = pid_t()
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        for case .pipe(let pipe) in [standardOutput, standardError] { try? pipe.fileHandleForWriting.close() }
        guard status == 0 else { throw SpawnError.failed("posix_spawn \(executable)", status) }

        let process = SpawnedProcess(processIdentifier: pid)
        process.exited.enter()
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(process.processIdentifier, &status, 0) == -1, errno == EINTR {}
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which are macros Swift does not import.
            let ending: Ending = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
            process.ending.withLock { $0 = ending }
            onExit(process)
            process.exited.leave()
        }
        return process
    }

    /// Sends `signal` while it runs (once it has ended its pid may belong to another process).
    public func send(_ signal: Int32) {
        guard isRunning else { return }
        kill(processIdentifier, signal)
    }

    /// Blocks until it has ended.
    public func waitUntilExit() { exited.wait() }

    public enum SpawnError: Error, CustomStringConvertible {
        case failed(String, Int32)
        public var description: String {
            switch self {
            case .failed(let what, let code): "\(what) failed: \(String(cString: strerror(code)))"
            }
        }
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time: its header
    /// declares it only under `_GNU_SOURCE`, which Swift's Glibc module is not built with.
    private static let closeFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("this glibc has no posix_spawn_file_actions_addclosefrom_np (2.34 or later is needed)")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()
}
