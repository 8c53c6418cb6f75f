public import BatonConfig
import BatonCore
import Foundation
import Logging
import NIOPosix
public import UnixSignals
import Synchronization

/// Where a running Baton reads its config again (see ``ConfigurationReload``): how to read the file, and what it
/// said when Baton started.
public struct ConfigurationSource: Sendable {
    /// The configuration as the file gave it at start, before what the command set itself (the demo's stand-ins):
    /// what a reload compares the settings it cannot apply with.
    public var asLoaded: BatonConfiguration
    /// Reads and checks the file again, as `baton check` does.
    public var load: @Sendable () throws -> (BatonConfiguration, [Diagnostic])
    /// The signal that asks for a reload (`SIGHUP` for `baton serve`); `nil` listens for none.
    public var signal: UnixSignal?
    /// How often the config file and its flows are looked at for a change, which reloads them (`baton serve
    /// --watch`); `nil` never.
    public var watchEvery: Duration?

    public init(
        asLoaded: BatonConfiguration, signal: UnixSignal? = nil, watchEvery: Duration? = nil,
        load: @escaping @Sendable () throws -> (BatonConfiguration, [Diagnostic])
    ) {
        self.asLoaded = asLoaded
        self.signal = signal
        self.watchEvery = watchEvery
        self.load = load
    }
}

/// Gives the running endpoints the flows, notices and handover defaults their config names now, without a restart
/// (on SIGHUP, and `POST /admin/reload`): a team changes what its bot says without dropping a socket. The whole file
/// and every flow are read and checked first, as `baton check` does; one error and nothing changes. Conversations
/// go on where they are, each step on one version whole: a conversation waiting at a node the new flow still has
/// goes on there, one at a node that is gone starts over from the top (as after a restart with an edited flow). What
/// else changed in the file takes effect at the next start, and the answer lists it.
final class ConfigurationReload: Sendable {
    let endpoints: EndpointRegistry
    let source: ConfigurationSource
    let metrics: BatonMetrics
    let logger: Logger
    /// One reload at a time: two at once could each read the file, and the older reading be put in place last.
    private let turns = Mutex(())
    /// The config file and the flows it named when last read whole (see ``files``).
    private let lastRead: Mutex<[String]>

    init(endpoints: EndpointRegistry, source: ConfigurationSource, metrics: BatonMetrics, logger: Logger) {
        self.endpoints = endpoints
        self.source = source
        self.metrics = metrics
        self.logger = logger
        lastRead = Mutex(Self.files(of: source.asLoaded))
    }

    /// The files a reload reads: the config file and each endpoint's flow, as the file named them when it was last
    /// read without an error (a file with an error may not say which flows it names).
    var files: [String] { lastRead.withLock { $0 } }

    static func files(of configuration: BatonConfiguration) -> [String] {
        (configuration.sourceFile.map { [$0] } ?? []) + configuration.endpoints.map(\.flowFile)
    }

    /// What a reload did.
    struct Outcome: Sendable {
        /// Endpoints that run their new flow (or new notices or handover defaults) from now on.
        var reloaded: [String] = []
        /// Endpoints whose flow and notices are as they were.
        var unchanged: [String] = []
        /// Settings that differ from the running ones and take effect at the next start, named as in the file
        /// (`server`, `endpoints.shop.handover`, `endpoints.new`).
        var restartNeeded: [String] = []
        /// The file's warnings, as `baton check` prints them.
        var warnings: [String] = []
    }

    /// Reads the config again (off the event loops and the executor's threads: it reads files) and puts the endpoints'
    /// new flows in place; throws ``BatonConfig/ConfigurationError`` when the file has an error, and nothing changed.
    /// - Parameter askedBy: for the log (`SIGHUP`, `admin`).
    func reload(askedBy: String) async throws -> Outcome {
        do {
            let outcome = try await NIOThreadPool.singleton.runIfActive { try self.turns.withLock { _ in try self.reloadNow() } }
            metrics.configurationReload(applied: true)
            var metadata: Logger.Metadata = ["asked": "\(askedBy)", "reloaded": "\(outcome.reloaded.joined(separator: ","))"]
            if !outcome.restartNeeded.isEmpty { metadata["restart_needed"] = "\(outcome.restartNeeded.joined(separator: ","))" }
            logger.info("configuration reloaded", metadata: metadata)
            for warning in outcome.warnings { logger.warning("\(warning)") }
            for setting in outcome.restartNeeded {
                logger.warning("a changed setting takes effect at the next start", metadata: ["setting": "\(setting)"])
            }
            return outcome
        } catch {
            metrics.configurationReload(applied: false)
            let diagnostics = (error as? ConfigurationError)?.diagnostics.map(\.description) ?? ["\(error)"]
            logger.error(
                "configuration not reloaded: the running flows stay", metadata: ["asked": "\(askedBy)", "errors": "\(diagnostics.joined(separator: "; "))"])
            throw error
        }
    }

    private func reloadNow() throws -> Outcome {
        let (configuration, warnings) = try source.load()
        lastRead.withLock { $0 = Self.files(of: configuration) }
        try Self.checkBotsRun(configuration, running: source.asLoaded)
        var outcome = Outcome(
            restartNeeded: configuration.settingsNeedingARestart(running: source.asLoaded),
            warnings: warnings.filter { $0.severity == .warning }.map(\.description))
        let now = Dictionary(configuration.endpoints.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for endpoint in endpoints.endpoints {
            // An endpoint gone from the file serves on as it was until the next start (listed in `restartNeeded`).
            guard let new = now[endpoint.id], endpoint.reload(new) else {
                outcome.unchanged.append(endpoint.id)
                continue
            }
            outcome.reloaded.append(endpoint.id)
        }
        return outcome
    }

    /// A flow's `bot` node must name a bot Baton runs: one added to `bots` starts with the next start, and a flow put
    /// in place before would fail each turn at that node.
    static func checkBotsRun(_ configuration: BatonConfiguration, running: BatonConfiguration) throws {
        var problems: [Diagnostic] = []
        for endpoint in configuration.endpoints {
            for node in endpoint.flow.nodes {
                guard case .bot(let bot) = node.kind, running.bots[bot.bot] == nil else { continue }
                problems.append(
                    Diagnostic(
                        at: node.location ?? SourceLocation(file: endpoint.flowFile, line: 1), path: "",
                        "node '\(node.id)' names bot '\(bot.bot)', which this Baton does not run yet: a bot added to the config starts with the next start"))
            }
        }
        if !problems.isEmpty { throw ConfigurationError(diagnostics: problems) }
    }
}
