import Foundation
import ServiceLifecycle
import UnixSignals
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reloads the config on each `signal` (`kill -HUP`, `docker kill -s HUP`) until the server stops.
struct ReloadOnSignal: Service {
    let reload: ConfigurationReload
    let signal: UnixSignal

    init(reload: ConfigurationReload, signal: UnixSignal) {
        self.reload = reload
        self.signal = signal
        // At once, not when the service starts: until then the signal's default action would end the process.
        #if canImport(Glibc)
        Glibc.signal(signal.rawValue, SIG_IGN)
        #elseif canImport(Darwin)
        Darwin.signal(signal.rawValue, SIG_IGN)
        #endif
    }

    func run() async {
        for await _ in await UnixSignalsSequence(trapping: signal).cancelOnGracefulShutdown() {
            // What failed is logged by the reload; the signal has no one to answer.
            _ = try? await reload.reload(askedBy: "\(signal)")
        }
    }
}

/// `baton serve --watch`: reloads when the config file or one of its flows changed, for someone writing a flow who
/// wants to see each save in the webchat. A change is taken once two looks in a row found the files alike, so a file
/// an editor is still writing is not read half-written.
struct ReloadOnFileChange: Service {
    let reload: ConfigurationReload
    let every: Duration

    /// A file's modification time and size; `nil` while it is missing (an editor that replaces it).
    typealias Stamp = (modified: Date, size: Int)?

    func run() async {
        try? await cancelWhenGracefulShutdown { try await watch() }
    }

    private func watch() async throws {
        var applied = stamps()
        var previous = applied
        while true {
            try await Task.sleep(for: every)
            let now = stamps()
            defer { previous = now }
            guard !Self.alike(now, applied), Self.alike(now, previous) else { continue }
            // Failed or not, this is what was read: the next change is the next reason to try.
            _ = try? await reload.reload(askedBy: "file change")
            applied = stamps()
        }
    }

    func stamps() -> [String: Stamp] {
        Dictionary(reload.files.map { path in
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let stamp: Stamp = (attributes?[.modificationDate] as? Date).map { ($0, (attributes?[.size] as? Int) ?? 0) }
            return (path, stamp)
        }, uniquingKeysWith: { first, _ in first })
    }

    static func alike(_ one: [String: Stamp], _ other: [String: Stamp]) -> Bool {
        one.count == other.count && one.allSatisfy { path, stamp in
            guard let theirs = other[path] else { return false }
            return stamp?.modified == theirs?.modified && stamp?.size == theirs?.size
        }
    }
}
