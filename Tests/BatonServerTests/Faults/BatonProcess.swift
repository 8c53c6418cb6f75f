import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization

/// The real `baton` executable (built by `swift build --build-tests`) run as a child process, so a test can kill
/// it with SIGKILL and start it again on the same files.
final class BatonProcess: Sendable {
    let process: Process
    /// The base URL it printed once listening.
    let baseURL: String

    static var executable: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../.build/debug/baton").standardized
    }

    private init(process: Process, baseURL: String) {
        self.process = process
        self.baseURL = baseURL
    }

    /// Starts `baton serve --config <config>` and returns once it printed that it runs.
    static func start(config: URL, timeout: Duration = .seconds(30)) async throws -> BatonProcess {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve", "--config", config.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        let buffer = Mutex("")
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                continuation.finish()
                handle.readabilityHandler = nil
                return
            }
            let complete: [String] = buffer.withLock { text in
                text += String(decoding: data, as: UTF8.self)
                var parts = text.components(separatedBy: "\n")
                text = parts.removeLast()
                return parts
            }
            complete.forEach { continuation.yield($0) }
        }
        try process.run()
        let url = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                for await line in lines {
                    // "  REST API (Faults): http://127.0.0.1:PORT/api/v1/endpoints/…"
                    if let range = line.range(of: "http://"), line.contains("/api/v1/endpoints/") {
                        let url = String(line[range.lowerBound...])
                        return String(url[..<url.range(of: "/api/v1/")!.lowerBound])
                    }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let url else {
            process.terminate()
            throw ChatError.timedOut(waitingFor: "baton to start")
        }
        return BatonProcess(process: process, baseURL: url)
    }

    /// SIGKILL: no shutdown, no flushing, exactly like a crash or an OOM kill.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then SIGKILL if it has not exited within 10 s: a process on PostgreSQL was seen to hang in its
    /// graceful shutdown (issue 6 notes), and a test must not hang with it.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill() }
    }

    /// POSTs JSON and returns the status and body; throws when nothing answers.
    func post(_ path: String, json: String) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    func get(_ path: String) async throws -> (status: Int, body: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + path), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), String(buffer: body))
    }
}
