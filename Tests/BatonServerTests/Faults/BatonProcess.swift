import AsyncHTTPClient
import Foundation
import ProcessSpawning
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization
import Testing

/// The real `baton` executable (built by `swift build --build-tests`) run as a child process, so a test can kill
/// it with SIGKILL and start it again on the same files.
final class BatonProcess: Sendable {
    let process: SpawnedProcess
    /// The base URL it printed once listening.
    let baseURL: String

    static var executable: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../.build/debug/baton").standardized
    }

    /// Fires when the process has exited (set up before it runs, so no exit is missed).
    private let exit: ExitSignal
    /// Every line it wrote: standard output, standard error.
    private let written: (output: Box<[String]>, errors: Box<[String]>)

    /// Every line it wrote, on either stream, for ``waitForLine(upTo:where:)``.
    private let lines: LineWatch

    private init(process: SpawnedProcess, baseURL: String, exit: ExitSignal, written: (output: Box<[String]>, errors: Box<[String]>), lines: LineWatch) {
        self.process = process
        self.baseURL = baseURL
        self.exit = exit
        self.written = written
        self.lines = lines
    }

    /// The first line it wrote (so far, or within `timeout`) that `matches` accepts; `nil` when none came in time.
    func waitForLine(upTo timeout: Duration = .seconds(30), where matches: @escaping @Sendable (String) -> Bool) async -> String? {
        await lines.first(upTo: timeout, where: matches)
    }

    /// The complete lines it wrote to standard output so far.
    var outputLines: [String] { written.output.value.withLock { $0 } }
    /// The complete lines it wrote to standard error so far (they are shown with the test's output too).
    var errorLines: [String] { written.errors.value.withLock { $0 } }

    /// Starts `baton serve --config <config>` (and `arguments`) and returns once it printed that it runs.
    static func start(config: URL, arguments: [String] = [], environment: [String: String] = [:], timeout: Duration = .seconds(30)) async throws -> BatonProcess {
        let output = Pipe()
        // Not the test runner's own stderr: a child that outlived its test would hold that pipe open, and
        // `swift test`, reading it to the end, would wait for it for good.
        let errors = Box<[String]>([])
        let watch = LineWatch()
        let errorsEnded = ExitSignal()
        let errorPipe = ChildProcesses.forwardingPipe(
            { line in
                errors.value.withLock { $0.append(line) }
                watch.add(line)
            }, ended: errorsEnded.fire)
        let exit = ExitSignal()
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        let written = Box<[String]>([])
        ChildProcesses.readLines(output.fileHandleForReading) { line in
            guard let line else { return continuation.finish() }
            written.value.withLock { $0.append(line) }
            watch.add(line)
            continuation.yield(line)
        }
        let process = try ChildProcesses.spawn(
            executable.path, arguments: ["serve", "--config", config.path] + arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { _, given in given },
            standardOutput: .pipe(output), standardError: .pipe(errorPipe)
        ) { _ in exit.fire() }
        let start = try await withThrowingTaskGroup(of: Start.self) { group in
            group.addTask {
                for await line in lines {
                    // "  REST API (Faults): http://127.0.0.1:PORT/api/v1/endpoints/…"
                    if let range = line.range(of: "http://"), line.contains("/api/v1/endpoints/") {
                        let url = String(line[range.lowerBound...])
                        return .listening(String(url[..<url.range(of: "/api/v1/")!.lowerBound]))
                    }
                }
                return .exited
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return .timedOut
            }
            let first = try await group.next() ?? .timedOut
            group.cancelAll()
            return first
        }
        switch start {
        case .listening(let url):
            return BatonProcess(process: process, baseURL: url, exit: exit, written: (written, errors), lines: watch)
        case .exited:
            // Its standard output closed: it ended. What it said why is on standard error, read to its end first.
            _ = await errorsEnded.wait(upTo: .seconds(5))
            process.waitUntilExit()
            let said = errors.value.withLock { $0.suffix(10) }.joined(separator: "\n")
            throw ChatError.unexpected("baton ended before it listened (\(process.termination.map { "\($0)" } ?? "still running")): \(said)")
        case .timedOut:
            // SIGKILL, not SIGTERM: a process stuck in its start may not get as far as stopping.
            process.send(SIGKILL)
            process.waitUntilExit()
            throw ChatError.timedOut(waitingFor: "baton to start")
        }
    }

    /// How a start ended: the URL it printed, or why there is none.
    private enum Start: Sendable {
        case listening(String)
        case exited
        case timedOut
    }

    /// A config of one endpoint, `test`, with the REST channel only (URL token `t0k3n`, `flow.yaml` beside the config),
    /// no desk; `server` and `storage` are YAML flow mappings, `topLevel` more lines of the file.
    static func restConfigText(server: String, storage: String = "{ sqlite: { path: baton.sqlite } }", topLevel: [String] = []) -> String {
        """
        server: \(server)
        storage: \(storage)\(topLevel.map { "\n" + $0 }.joined())
        endpoints:
          test:
            name: Test
            urlToken: t0k3n
            flow: flow.yaml
            channels: { rest: { enabled: true } }
        """
    }

    /// A config for the test endpoint `t0k3n` (webchat and REST, flow.yaml beside it) handing over to `chatwoot`
    /// with `token`; `storage` and `delivery` are YAML flow mappings, `chatwootExtra` more lines of its settings,
    /// `endpointExtra` more lines of the endpoint's.
    static func configText(
        storage: String, delivery: String, chatwoot: StandInHarness, token: String, chatwootExtra: [String] = [],
        channels: String = "{ webchat: { enabled: true }, rest: { enabled: true } }", endpointExtra: [String] = [],
        log: String = "{ level: warning }", limits: String = "{ messagesPerMinute: 100000 }", topLevel: [String] = []
    ) -> String {
        let extra = chatwootExtra.map { "\n        " + $0 }.joined()
        let endpoint = endpointExtra.map { "\n    " + $0 }.joined()
        return """
            server: { host: 127.0.0.1, port: 0 }
            storage: \(storage)
            log: \(log)
            limits: \(limits)\(topLevel.map { "\n" + $0 }.joined())
            delivery: \(delivery)
            endpoints:
              test:
                name: Test
                urlToken: t0k3n
                flow: flow.yaml
                channels: \(channels)\(endpoint)
                handover:
                  provider: chatwoot
                  chatwoot:
                    baseURL: \(chatwoot.baseURL)
                    accountId: \(chatwoot.accountID)
                    apiAccessToken: \(token)
                    webhookSecret: \(chatwoot.secret)\(extra)
            """
    }

    /// SIGKILL: no shutdown, no flushing, exactly like a crash or an OOM kill.
    /// SIGSTOP: the process is frozen (keeps its connections, does nothing) until ``resume()``.
    func pause() { process.send(SIGSTOP) }

    /// SIGCONT after ``pause()``.
    func resume() { process.send(SIGCONT) }

    func kill() {
        process.send(SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, as a service manager stops it. Baton must then exit by itself, open sockets and long polls
    /// included: one still running after 10 s is killed (so the test does not hang) and fails the test.
    func stop(within timeout: Duration = .seconds(10)) async {
        guard process.isRunning else { return }
        process.send(SIGTERM)
        guard await !exit.wait(upTo: timeout) else { return }
        kill()
        Issue.record("baton did not stop within \(timeout) of SIGTERM and was killed")
    }

    /// POSTs JSON (with `headers` besides) and returns the status and body; throws when nothing answers.
    func post(_ path: String, json: String, headers: [(String, String)] = []) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(contentsOf: headers)
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(contentsOf: headers)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), String(buffer: body))
    }
}

/// The processes the tests started and that still run: all are killed when the test process exits, so none
/// outlives the suite whatever a test did.
enum ChildProcesses {
    private static let running = Mutex<Set<Int32>>([])
    private static let installed = Mutex(false)

    /// Starts a child (see ``SpawnedProcess/launch(_:arguments:environment:standardOutput:standardError:onExit:)``)
    /// that is killed if it still runs when the tests end.
    static func spawn(
        _ executable: String, arguments: [String], environment: [String: String]? = nil,
        standardOutput: SpawnedProcess.Output = .discarded, standardError: SpawnedProcess.Output = .discarded,
        onExit: @escaping @Sendable (SpawnedProcess) -> Void = { _ in }
    ) throws -> SpawnedProcess {
        installed.withLock { installed in
            guard !installed else { return }
            installed = true
            atexit { ChildProcesses.killAll() }
        }
        // Remembered before it can exit, forgotten as it is reaped (the lock orders the two).
        return try running.withLock { running in
            let process = try SpawnedProcess.launch(
                executable, arguments: arguments, environment: environment, standardOutput: standardOutput, standardError: standardError
            ) { ended in
                ChildProcesses.running.withLock { _ = $0.remove(ended.processIdentifier) }
                onExit(ended)
            }
            running.insert(process.processIdentifier)
            return process
        }
    }

    static func killAll() {
        for pid in running.withLock({ $0 }) { Foundation.kill(pid, SIGKILL) }
    }

    /// A pipe whose bytes are copied to this process's stderr, so a child's log still shows with the test's output;
    /// `line` gets each complete line, and `ended` is called once the writer closed it and all was read.
    static func forwardingPipe(_ line: @escaping @Sendable (String) -> Void = { _ in }, ended: @escaping @Sendable () -> Void = {}) -> Pipe {
        let pipe = Pipe()
        let pending = Mutex("")
        read(pipe.fileHandleForReading) { data in
            guard let data else { return ended() }
            FileHandle.standardError.write(data)
            split(data, pending: pending).forEach(line)
        }
        return pipe
    }

    /// Reads `handle` to its end, handing each complete line to `receive` and then `nil`.
    static func readLines(_ handle: FileHandle, _ receive: @escaping @Sendable (String?) -> Void) {
        let pending = Mutex("")
        read(handle) { data in
            guard let data else { return receive(nil) }
            split(data, pending: pending).forEach(receive)
        }
    }

    /// The lines `data` completes, keeping a last partial line in `pending` for the next chunk.
    private static func split(_ data: Data, pending: borrowing Mutex<String>) -> [String] {
        pending.withLock { text in
            text += String(decoding: data, as: UTF8.self)
            var parts = text.components(separatedBy: "\n")
            text = parts.removeLast()
            return parts
        }
    }

    /// Reads `handle` to its end on a thread of its own, handing each chunk to `receive` and then `nil`. Blocking
    /// reads, not `readabilityHandler`: its dispatch sources crashed the test process in libdispatch's event loop
    /// (`_dispatch_event_loop_drain`), leaving the children orphaned.
    static func read(_ handle: FileHandle, _ receive: @escaping @Sendable (Data?) -> Void) {
        Thread.detachNewThread {
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                receive(data)
            }
            receive(nil)
        }
    }
}

/// The lines a process wrote, and tests waiting for one; waiting never blocks a thread.
final class LineWatch: Sendable {
    private struct Waiter {
        let matches: @Sendable (String) -> Bool
        let continuation: CheckedContinuation<String?, Never>
    }

    private let state = Mutex<(lines: [String], waiters: [UUID: Waiter])>(([], [:]))

    /// Every line so far.
    var all: [String] { state.withLock { $0.lines } }

    func add(_ line: String) {
        let matched = state.withLock { state in
            state.lines.append(line)
            let matched = state.waiters.filter { $0.value.matches(line) }
            for id in matched.keys { state.waiters[id] = nil }
            return matched.values
        }
        matched.forEach { $0.continuation.resume(returning: line) }
    }

    func first(upTo timeout: Duration, where matches: @escaping @Sendable (String) -> Bool) async -> String? {
        let id = UUID()
        let timer = Task {
            try? await Task.sleep(for: timeout)
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: nil)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let found = state.withLock { state -> String? in
                if let line = state.lines.first(where: matches) { return line }
                state.waiters[id] = Waiter(matches: matches, continuation: continuation)
                return nil
            }
            if let found { continuation.resume(returning: found) }
        }
    }
}

/// Set once, when a process exits; waiting on it never blocks a thread (tests share a small thread pool).
final class ExitSignal: Sendable {
    private let state = Mutex<(fired: Bool, waiters: [UUID: CheckedContinuation<Bool, Never>])>((false, [:]))

    func fire() {
        let waiters = state.withLock { state in
            state.fired = true
            defer { state.waiters = [:] }
            return state.waiters.values
        }
        waiters.forEach { $0.resume(returning: true) }
    }

    /// Whether it fired within `timeout`.
    func wait(upTo timeout: Duration) async -> Bool {
        let id = UUID()
        let timer = Task {
            try? await Task.sleep(for: timeout)
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let fired = state.withLock { state in
                if !state.fired { state.waiters[id] = continuation }
                return state.fired
            }
            if fired { continuation.resume(returning: true) }
        }
    }
}
