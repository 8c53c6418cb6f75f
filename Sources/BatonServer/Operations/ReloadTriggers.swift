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

    /// What a look at a file found: the file a path leads to (through symbolic links: a Kubernetes ConfigMap's
    /// update swaps the link under an unchanged path), its modification time and size.
    struct Stamp: Equatable {
        var target: String
        var modified: Date
        var size: Int
    }

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
            guard now != applied, now == previous else { continue }
            // Failed or not, this is what was read: the next change is the next reason to try.
            _ = try? await reload.reload(askedBy: "file change")
            applied = stamps()
        }
    }

    /// Each file's stamp; `nil` while it is missing (an editor that replaces it).
    func stamps() -> [String: Stamp?] {
        Dictionary(reload.files.map { ($0, Self.stamp(of: $0)) }, uniquingKeysWith: { first, _ in first })
    }

    /// The file a path leads to through every link (`realpath(3)`), and that file's own attributes: Foundation's
    /// attributes of a link are the link's, and its own resolution stops at a link named `..data`.
    static func stamp(of path: String) -> Stamp? {
        guard let resolved = realpath(path, nil) else { return nil }
        let target = String(cString: resolved)
        free(resolved)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: target), let modified = attributes[.modificationDate] as? Date else {
            return nil
        }
        return Stamp(target: target, modified: modified, size: (attributes[.size] as? Int) ?? 0)
    }
}
